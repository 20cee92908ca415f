// The README's first run: `npm start`, the curl publish it shows, and the delivery seen verified by the listener.
import { afterAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { copyFileSync, existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { changeMeFallbacksInForce } from "../src/config/fallbacks.ts";
import { tempDir } from "./support/herald.ts";
import { freePort, REPO_ROOT, waitUntil } from "./support/process.ts";

// Each test starts Herald from source (through npm for the first run).
setDefaultTimeout(30_000);

const README = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
const FIRST_RUN = README.slice(README.indexOf("## First run"), README.indexOf("## Configuration"));
const dir = tempDir("herald-first-run-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The README's curl publish: its token and its body, so the test publishes exactly what the README shows. */
function readmePublish(): { token: string; body: string } {
  const curl = /```sh\n(curl[^`]+)```/.exec(FIRST_RUN)?.[1];
  if (!curl) throw new Error("README's First run has no curl block");
  return { token: /Bearer ([^']+)'/.exec(curl)![1]!, body: /-d '([^']+)'/.exec(curl)![1]! };
}

/** `npm start -- --config <copy of the shipped file>`, on free ports so it runs beside anything else. */
function npmStart(env: Record<string, string>) {
  copyFileSync(join(REPO_ROOT, "webhooks.config.yaml"), join(dir, "webhooks.config.yaml"));
  const proc = Bun.spawn(["npm", "start", "--silent", "--", "--config", join(dir, "webhooks.config.yaml")], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? dir, ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let out = "";
  for (const stream of [proc.stdout, proc.stderr]) {
    void (async () => {
      for await (const chunk of stream) out += new TextDecoder().decode(chunk);
    })();
  }
  return { proc, output: () => out };
}

describe("the first run, as the README tells it", () => {
  it("npm start, then the README's curl: 202, and the listener prints each delivery verified", async () => {
    expect(FIRST_RUN).toContain("npm start");
    const heraldPort = freePort();
    const listenPort = freePort();
    const receivers = Object.fromEntries(["LIMS", "REPORTS", "ANALYTICS"].map((name) => [`${name}_WEBHOOK_URL`, `http://127.0.0.1:${listenPort}/${name.toLowerCase()}`]));
    const start = npmStart({ HERALD_PORT: String(heraldPort), ...receivers });
    try {
      const url = `http://127.0.0.1:${heraldPort}`;
      await waitUntil(
        "herald to serve",
        () =>
          fetch(`${url}/healthz`).then(
            (r) => (r.ok ? true : undefined),
            () => undefined,
          ),
        20_000,
      );
      await waitUntil("the start log", () => (start.output().includes('"message":"event log"') ? true : undefined));
      const log = start.output();
      expect(log).toContain(`"url":"${url}/"`);
      expect(log).toContain("the admin key ops, token dev-admin-token-change-me");
      expect(log).toContain('"level":"warn","message":"published dev fallbacks are in force');
      expect(log).toContain('"ANALYTICS_SECRET"');

      const { token, body } = readmePublish();
      const published = await fetch(`${url}/api/v1/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body,
      });
      expect(published.status).toBe(202);
      const event = (await published.json()) as { id: string };

      const printed = (scheme: string) => start.output().includes(`verified (${scheme})`);
      await waitUntil("both deliveries to be printed", () => (printed("onecodex") && printed("standard-webhooks") ? true : undefined));
      expect(start.output()).toContain(`event ${event.id}`);
      expect(start.output()).not.toContain("NOT VERIFIED");
      const status = await waitUntil("the event to succeed", async () => {
        const detail = (await (await fetch(`${url}/api/v1/events/${event.id}`, { headers: { authorization: "Bearer dev-admin-token-change-me" } })).json()) as { status: string };
        return detail.status === "success" ? detail.status : undefined;
      });
      expect(status).toBe("success");
    } finally {
      start.proc.kill("SIGTERM");
      await start.proc.exited;
    }
  });

  it("HERALD_PORT sets the port; a start on a taken port fails without creating the database", async () => {
    const taken = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    const folder = tempDir("herald-taken-");
    try {
      copyFileSync(join(REPO_ROOT, "webhooks.config.yaml"), join(folder, "webhooks.config.yaml"));
      const proc = Bun.spawn([process.execPath, join(REPO_ROOT, "src", "main.ts"), "serve", "--config", join(folder, "webhooks.config.yaml")], {
        env: { PATH: process.env.PATH ?? "", HERALD_PORT: String(taken.port) },
        stdout: "pipe",
        stderr: "pipe",
      });
      expect(await proc.exited).toBe(1);
      expect(await new Response(proc.stderr).text()).toContain(`cannot listen on 127.0.0.1:${taken.port}`);
      expect(existsSync(join(folder, "data"))).toBe(false);
    } finally {
      taken.stop(true);
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe("the warning about published dev fallbacks", () => {
  const shipped = readFileSync(join(REPO_ROOT, "webhooks.config.yaml"), "utf8");
  it("names every ...change-me fallback in force in the shipped file, a whsec_ one included", () => {
    expect(changeMeFallbacksInForce(shipped, {}).map((f) => f.variable)).toEqual([
      "HERALD_METRICS_TOKEN",
      "LIMS_SECRET",
      "REPORTS_PASSWORD",
      "ANALYTICS_SECRET",
      "HERALD_PUBLISH_TOKEN",
      "HERALD_ADMIN_TOKEN",
      "PARTNER_TOKEN",
    ]);
  });
  it("is silent once the variables are set", () => {
    const env = Object.fromEntries(
      ["LIMS_SECRET", "REPORTS_PASSWORD", "ANALYTICS_SECRET", "HERALD_PUBLISH_TOKEN", "HERALD_ADMIN_TOKEN", "PARTNER_TOKEN", "HERALD_METRICS_TOKEN"].map((v) => [v, "set"]),
    );
    expect(changeMeFallbacksInForce(shipped, env)).toEqual([]);
  });
});
