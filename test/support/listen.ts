// `herald listen` as a child process (from source), its stdout collected so tests can wait for what it prints.
import type { Subprocess } from "bun";
import { FROM_SOURCE, REPO_ROOT, waitUntil } from "./process.ts";

export interface ListenProcess {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  output(): string;
  /** Resolves with everything printed once `text` appears in it. */
  waitForOutput(text: string | RegExp, timeoutMs?: number): Promise<string>;
  stop(): Promise<number>;
}

/** Starts `herald listen <args>` and resolves once it says it is listening. */
export async function spawnListen(args: string[], options: { cwd?: string } = {}): Promise<ListenProcess> {
  const proc = Bun.spawn([...FROM_SOURCE, "listen", ...args], { cwd: options.cwd ?? REPO_ROOT, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  let out = "";
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) out += decoder.decode(chunk, { stream: true });
  };
  void drain(proc.stdout);
  void drain(proc.stderr);
  const listen: ListenProcess = {
    proc,
    output: () => out,
    waitForOutput: (text, timeoutMs = 10_000) =>
      waitUntil(
        `herald listen to print ${text}\n${out}`,
        () => {
          if (proc.exitCode !== null) throw new Error(`herald listen exited with ${proc.exitCode}:\n${out}`);
          return (typeof text === "string" ? out.includes(text) : text.test(out)) ? out : undefined;
        },
        timeoutMs,
      ),
    async stop() {
      proc.kill("SIGTERM");
      return proc.exited;
    },
  };
  await listen.waitForOutput("listening on");
  return listen;
}
