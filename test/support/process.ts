// Herald as a child process: `serve` from source (or a compiled binary) on a known port, killed by the test.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ADMIN_TOKEN, PUBLISH_TOKEN } from "./herald.ts";

export const REPO_ROOT = join(import.meta.dir, "..", "..");
/** `bun src/main.ts`, the same entry point `npm start` runs. */
export const FROM_SOURCE = [process.execPath, join(REPO_ROOT, "src", "main.ts")];

/** A port nothing listens on right now: the OS picks it, we let it go at once. */
export function freePort(): number {
  const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

/** Polls `check` until it returns a value (not undefined) or the deadline passes; never sleeps longer than needed. */
export async function waitUntil<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(everyMs);
  }
}

export interface HeraldProcess {
  url: string;
  proc: Subprocess<"ignore", "pipe", "pipe">;
  /** Everything the process wrote so far (stdout then stderr), for failure messages. */
  output(): string;
  /** Resolves with the exit code; Bun reports a process killed by a signal as 128 + its number (SIGKILL: 137). */
  exited: Promise<number>;
  api(path: string, init?: RequestInit & { token?: string; json?: unknown }): Promise<Response>;
  publish(body: unknown): Promise<Response>;
  /** Sends the signal and waits for the exit, bounded; SIGKILL is the default (a crash). */
  kill(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number>;
}

const running = new Set<HeraldProcess>();

/**
 * Writes `yaml` (with its `port: 0` replaced by a free port) to `<dir>/webhooks.config.yaml`, starts
 * `<command> serve --config <file>` in `cwd`, and resolves once GET /healthz answers 200.
 */
export async function spawnHerald(options: {
  dir: string;
  yaml: string;
  command?: string[];
  cwd?: string;
  readyTimeoutMs?: number;
  /** Added to the inherited environment. */
  env?: Record<string, string>;
}): Promise<HeraldProcess> {
  const port = freePort();
  if (!options.yaml.includes("port: 0")) throw new Error("spawnHerald needs a config with `port: 0` to fill in");
  const file = join(options.dir, "webhooks.config.yaml");
  writeFileSync(file, options.yaml.replace("port: 0", `port: ${port}`));

  const proc = Bun.spawn([...(options.command ?? FROM_SOURCE), "serve", "--config", file], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let stdout = "";
  let stderr = "";
  const drain = async (stream: ReadableStream<Uint8Array>, append: (text: string) => void) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) append(decoder.decode(chunk, { stream: true }));
  };
  void drain(proc.stdout, (t) => (stdout += t));
  void drain(proc.stderr, (t) => (stderr += t));

  const url = `http://127.0.0.1:${port}`;
  const api: HeraldProcess["api"] = (path, init = {}) => {
    const { token = ADMIN_TOKEN, json, ...rest } = init;
    const headers = new Headers(rest.headers);
    headers.set("authorization", `Bearer ${token}`);
    if (json !== undefined) headers.set("content-type", "application/json");
    return fetch(url + path, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body });
  };
  const herald: HeraldProcess = {
    url,
    proc,
    output: () => `--- stdout\n${stdout}--- stderr\n${stderr}`,
    exited: proc.exited,
    api,
    publish: (body) => api("/api/v1/events", { method: "POST", json: body, token: PUBLISH_TOKEN }),
    async kill(signal = "SIGKILL", timeoutMs = 10_000) {
      proc.kill(signal);
      const code = await Promise.race([proc.exited, Bun.sleep(timeoutMs).then(() => null)]);
      if (code === null) {
        proc.kill("SIGKILL");
        await proc.exited;
        throw new Error(`herald did not exit within ${timeoutMs} ms of ${signal}\n${herald.output()}`);
      }
      return code;
    },
  };
  running.add(herald);
  void proc.exited.then(() => running.delete(herald));

  let exitedEarly = false;
  void proc.exited.then(() => (exitedEarly = true));
  try {
    await waitUntil(
      "GET /healthz",
      async () => {
        if (exitedEarly) throw new Error(`herald exited with ${proc.exitCode} before listening`);
        const ok = await fetch(`${url}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
        return ok ? true : undefined;
      },
      options.readyTimeoutMs ?? 10_000,
    );
  } catch (error) {
    if (!exitedEarly) await herald.kill();
    throw new Error(`${(error as Error).message}\n${herald.output()}`);
  }
  return herald;
}

/** For afterAll: SIGKILLs every Herald this module started that is still running. */
export async function killAllHeralds(): Promise<void> {
  await Promise.all([...running].map((h) => h.kill("SIGKILL").catch(() => undefined)));
}

/** Runs a command to its end, with only PATH (and `env`) in its environment, and collects what it printed. */
export async function runCommand(command: string[], options: { cwd: string; env?: Record<string, string> }) {
  const child = Bun.spawn(command, {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? "", ...options.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    timeout: 60_000, // a guard, not a wait: a command that should exit but serves instead is killed
  });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { exitCode, stdout, stderr };
}
