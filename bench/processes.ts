// The processes a bench run starts: the receiver script and the compiled Herald binary, each on its own.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";

export const REPO_ROOT = join(import.meta.dir, "..");
export const BINARY = join(REPO_ROOT, "dist", "herald");
export const PUBLISH_TOKEN = "bench-publish-token-0001";
export const ADMIN_TOKEN = "bench-admin-token-00001";
const READY_TIMEOUT_MS = 30_000;

/** Peak resident set size of a running process (VmHWM), in bytes; Linux only. */
export function peakRss(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmHWM:\s+(\d+) kB$/m);
  if (!line) throw new Error(`no VmHWM for process ${pid}`);
  return Number(line[1]) * 1024;
}

/** CPU time a running process has used so far (user + system), in seconds; Linux only. */
export function cpuSeconds(pid: number): number {
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th, in ticks.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function stopProcess(proc: Subprocess, timeoutMs = 15_000): Promise<void> {
  if (proc.exitCode !== null) return;
  proc.kill("SIGTERM");
  const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(timeoutMs).then(() => false)]);
  if (!exited) {
    proc.kill("SIGKILL");
    await proc.exited;
  }
}

export interface ReceiverProcess {
  url: string;
  pid: number;
  stats(): Promise<{ received: number; distinctEvents: number }>;
  /** First arrival time (wall clock, ms) of each event id since the last reset. */
  arrivals(): Promise<Record<string, number>>;
  /** Forgets counts and arrivals, and answers every held request. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function startReceiverProcess(): Promise<ReceiverProcess> {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "receiver.ts")], { stdout: "pipe", stderr: "inherit" });
  const reader = proc.stdout.getReader();
  const first = await Promise.race([reader.read(), Bun.sleep(READY_TIMEOUT_MS).then(() => null)]);
  reader.releaseLock();
  if (!first || first.done) throw new Error("the bench receiver did not start");
  const { port } = JSON.parse(new TextDecoder().decode(first.value)) as { port: number };
  const url = `http://127.0.0.1:${port}`;
  const control = (path: string) => fetch(`${url}${path}`);
  return {
    url,
    pid: proc.pid,
    stats: async () => (await control("/_stats")).json() as never,
    arrivals: async () => (await control("/_arrivals")).json() as never,
    reset: async () => void (await (await control("/_reset")).text()),
    stop: () => stopProcess(proc),
  };
}

export interface HeraldProcess {
  url: string;
  pid: number;
  peakRss(): number;
  cpuSeconds(): number;
  /** fetch against the API with the admin key (or `token`). */
  api(path: string, init?: RequestInit & { token?: string }): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * The compiled binary; with BENCH_PROFILE=<folder>, Herald from source under Bun's CPU profiler instead, which
 * writes a Markdown profile per Herald process into that folder when it stops.
 */
function heraldCommand(): string[] {
  const folder = process.env.BENCH_PROFILE;
  if (!folder) return [BINARY];
  return [process.execPath, "--cpu-prof-md", `--cpu-prof-dir=${folder}`, join(REPO_ROOT, "src", "main.ts")];
}

/** Writes the config to `<dir>/webhooks.config.yaml`, starts `dist/herald serve` on it and waits for /readyz. */
export async function startHeraldProcess(dir: string, yaml: (port: number) => string): Promise<HeraldProcess> {
  const port = freePort();
  const file = join(dir, "webhooks.config.yaml");
  writeFileSync(file, yaml(port));
  const log = Bun.file(join(dir, "herald.log"));
  const proc = Bun.spawn([...heraldCommand(), "serve", "--config", file], { cwd: dir, stdout: log, stderr: log });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (
    !(await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      await stopProcess(proc);
      throw new Error(`herald did not become ready (exit ${proc.exitCode}):\n${await log.text()}`);
    }
    await Bun.sleep(50);
  }
  return {
    url,
    pid: proc.pid,
    peakRss: () => peakRss(proc.pid),
    cpuSeconds: () => cpuSeconds(proc.pid),
    api(path, init = {}) {
      const { token = ADMIN_TOKEN, ...rest } = init;
      const headers = new Headers(rest.headers);
      headers.set("authorization", `Bearer ${token}`);
      return fetch(url + path, { ...rest, headers });
    },
    stop: () => stopProcess(proc),
  };
}

/** A port nothing listens on right now. */
export function freePort(): number {
  const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

/**
 * Runs `work` against a fresh Herald process whose folder (config, database, log) is `dir`, then stops it;
 * returns what `work` returned and Herald's peak RSS over its whole life.
 */
export async function withHerald<T>(dir: string, yaml: (port: number) => string, work: (herald: HeraldProcess) => Promise<T>): Promise<{ result: T; peakRss: number }> {
  const herald = await startHeraldProcess(dir, yaml);
  try {
    const result = await work(herald);
    return { result, peakRss: herald.peakRss() };
  } finally {
    await herald.stop();
  }
}
