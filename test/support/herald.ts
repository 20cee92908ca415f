// Start a real Herald (Elysia app on a random port, SQLite file in a temp folder) from a YAML config text.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfigText } from "../../src/config/load.ts";
import type { Clock } from "../../src/clock.ts";
import { silentLogger, type Logger } from "../../src/log.ts";
import { startHerald, type Herald } from "../../src/runtime/herald.ts";
import { waitUntil } from "./process.ts";

export const PUBLISH_TOKEN = "test-publish-token-0001";
export const ADMIN_TOKEN = "test-admin-token-00001";
export const USER_TOKEN = "test-user-token-000001";

export function tempDir(prefix = "herald-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A config with the One Codex event types, the given subscriptions YAML and one key per role. */
export function configYaml(options: { subscriptions: string; retry?: string; extra?: string; extraTypes?: string; userSubscriptions?: string[] }) {
  return `
server: { host: 127.0.0.1, port: 0 }
storage: { sqlite: ./herald.db }
${options.retry ?? "retry: { timeout: 2s, schedule: [64s, 729s], success: 2xx }"}
${options.extra ?? ""}
event_types:
  - { name: sample.uploaded, object_type: sample }
  - { name: analysis.succeeded, object_type: analysis }
  - { name: analysis.failed, object_type: analysis }${options.extraTypes ?? ""}
subscriptions:
${options.subscriptions}
api_keys:
  - { name: platform, role: publisher, token: ${PUBLISH_TOKEN} }
  - { name: ops, role: admin, token: ${ADMIN_TOKEN} }
  - { name: partner, role: user, token: ${USER_TOKEN}, subscriptions: [${(options.userSubscriptions ?? ["a"]).join(", ")}] }
`;
}

export interface TestHerald extends Herald {
  dir: string;
  /** fetch against the API with a token (admin by default). */
  api(path: string, init?: RequestInit & { token?: string; json?: unknown }): Promise<Response>;
  publish(body: unknown, token?: string): Promise<Response>;
  /** POST /api/v1/events/resend (202 expected), then the job once it has finished. */
  bulkResend(body: unknown, token?: string): Promise<any>;
  close(): Promise<void>;
}

export interface TestHeraldOptions {
  clock?: Clock;
  startWorker?: boolean;
  /** A folder to keep (a restart on the same database); otherwise a fresh one, removed by close(). */
  dir?: string;
  showGeneratedToken?: (token: string) => void;
  /** Where Herald logs (nowhere by default). */
  log?: Logger;
}

export async function startTestHerald(yaml: string, options: TestHeraldOptions = {}): Promise<TestHerald> {
  const dir = options.dir ?? tempDir();
  const file = join(dir, "webhooks.config.yaml");
  writeFileSync(file, yaml);
  const loaded = await loadConfigText(yaml, file, {});
  if (!loaded.ok) throw new Error(`test config invalid: ${JSON.stringify(loaded.problems)}`);
  const herald = await startHerald({
    config: loaded.config,
    plugins: loaded.plugins,
    problemAt: loaded.problemAt,
    env: {},
    clock: options.clock,
    log: options.log ?? silentLogger,
    startWorker: options.startWorker,
    showGeneratedToken: options.showGeneratedToken,
  });
  const api: TestHerald["api"] = (path, init = {}) => {
    const { token = ADMIN_TOKEN, json, ...rest } = init;
    const headers = new Headers(rest.headers);
    headers.set("authorization", `Bearer ${token}`);
    if (json !== undefined) headers.set("content-type", "application/json");
    return fetch(herald.url + path, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body });
  };
  return {
    ...herald,
    dir,
    api,
    publish: (body, token = PUBLISH_TOKEN) => api("/api/v1/events", { method: "POST", json: body, token }),
    async bulkResend(body, token = ADMIN_TOKEN) {
      const response = await api("/api/v1/events/resend", { method: "POST", json: body, token });
      if (response.status !== 202) throw new Error(`bulk resend answered ${response.status}: ${await response.text()}`);
      const { $uri } = (await response.json()) as { $uri: string };
      return waitUntil(
        `job ${$uri} to finish`,
        async () => {
          const job = (await (await api($uri, { token })).json()) as { state: string };
          return job.state === "running" ? undefined : job;
        },
        5_000,
        2,
      );
    },
    async close() {
      await herald.stop();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
