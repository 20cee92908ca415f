// `npm run bench` (after `npm run build`): Herald as the compiled binary in its own process, the load generator
// (this process) and the receivers (another) on the same machine, all on 127.0.0.1. Measures the raw limits
// first, then Herald phase by phase, each bounded; prints the table and writes it to bench/RESULTS.md.
import { cpus, loadavg, totalmem } from "node:os";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SYNCHRONOUS } from "../src/store/sqlite/db.ts";
import { measureEndToEnd } from "./phases/end-to-end.ts";
import { measureEventLog } from "./phases/event-log.ts";
import { measureIngest } from "./phases/ingest.ts";
import { measureLatency } from "./phases/latency.ts";
import { measureRawLimits } from "./phases/raw.ts";
import { measureSubscriptionScale, SUBSCRIPTION_SCALE, subscriptionScaleNotes } from "./phases/subscriptions.ts";
import { BINARY, startReceiverProcess } from "./processes.ts";
import { markdownTable, resultRows, type RunFigures } from "./report.ts";
import { publishBody } from "./workload.ts";

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

const SIZES = {
  requests: positiveInt("BENCH_REQUESTS", 40_000),
  endToEndEvents: positiveInt("BENCH_E2E_EVENTS", 40_000),
  fanoutEvents: positiveInt("BENCH_FANOUT_EVENTS", 5_000),
  latencyRate: positiveInt("BENCH_LATENCY_RATE", 1_000),
  latencySeconds: positiveInt("BENCH_LATENCY_SECONDS", 10),
  logEvents: positiveInt("BENCH_LOG_EVENTS", 1_000_000),
  reads: positiveInt("BENCH_READS", 300),
};
const OUTPUT = process.env.BENCH_OUTPUT ?? join(import.meta.dir, "RESULTS.md");
const PHASE_DEADLINE_MS = 120_000;

const step = (what: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${what}`);

/** Other processes busy over one second at the start (top's second frame): the machine is shared. */
function busyProcesses(): string {
  const top = Bun.spawnSync(["top", "-b", "-n", "2", "-d", "1", "-w", "200"]).stdout.toString();
  const frame = top.slice(top.lastIndexOf("PID USER"));
  const busy = frame
    .split("\n")
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((cols) => Number(cols[8]) >= 5 && Number(cols[0]) !== process.pid);
  return busy.map((cols) => `${cols[11]} ${cols[8]}%`).join(", ") || "none above 5% CPU";
}

function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux, Bun ${Bun.version}`;
}

async function run(): Promise<number> {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run \`npm run bench\`, which builds it first`);
  const started = performance.now();
  const loadBefore = loadavg();
  const busyBefore = busyProcesses();
  const receiver = await startReceiverProcess();
  const dirs: string[] = [];
  const freshDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "herald-bench-"));
    dirs.push(dir);
    return dir;
  };
  try {
    step("raw limits");
    const raw = await measureRawLimits(receiver, { requests: SIZES.requests, latencyRate: SIZES.latencyRate, latencySeconds: SIZES.latencySeconds, reads: SIZES.reads });
    step("ingest");
    const ingest = await measureIngest(freshDir(), receiver, { events: SIZES.requests, warmup: 2_000 });
    const endToEnd = [];
    for (const [subscriptions, events] of [
      [1, SIZES.endToEndEvents],
      [10, SIZES.fanoutEvents],
    ] as const) {
      step(`end-to-end, ${subscriptions} subscription(s)`);
      endToEnd.push(await measureEndToEnd(freshDir(), receiver, { subscriptions, events, warmup: 1_000, deadlineMs: PHASE_DEADLINE_MS }));
    }
    step("latency at a steady rate");
    const latency = await measureLatency(freshDir(), receiver, { rate: SIZES.latencyRate, seconds: SIZES.latencySeconds, warmupSeconds: 2 });
    step("subscriptions: a busy one beside 999 idle ones, idle CPU at 3,000, creating 3,000, 1,000 made through the API idle and with 200 events each");
    const scale = await measureSubscriptionScale(freshDir, receiver, SUBSCRIPTION_SCALE);
    step(`event log: seeding ${SIZES.logEvents} events, then reading`);
    const eventLog = await measureEventLog(freshDir(), receiver, { events: SIZES.logEvents, days: 30, reads: SIZES.reads });

    const figures: RunFigures = { raw, ingest, endToEnd, latency, eventLog, bodyBytes: publishBody(0).length };
    const table = markdownTable(resultRows(figures));
    const minutes = (performance.now() - started) / 60_000;
    const problems = [
      ingest.stored !== ingest.accepted ? `ingest: ${ingest.accepted} publishes answered 202 but ${ingest.stored} events are stored` : "",
      ingest.failed ? `ingest: ${ingest.failed} publishes did not answer 202` : "",
      ...endToEnd.filter((e) => !e.finished).map((e) => `end-to-end with ${e.subscriptions} subscription(s) did not finish within ${PHASE_DEADLINE_MS / 1000} s`),
      latency.missing ? `latency: ${latency.missing} events never arrived` : "",
    ].filter(Boolean);
    const notes = [
      `Machine: ${machine()}. Load average before the run ${loadBefore.map((l) => l.toFixed(2)).join(", ")}, after ${loadavg()
        .map((l) => l.toFixed(2))
        .join(", ")}; busy at the start: ${busyBefore}.`,
      `Durability: SQLite WAL, synchronous=${SYNCHRONOUS}, and no publish is answered 202 before an fdatasync of the WAL has covered its commit (shared by the commits before it, run off the event loop): every accepted event is on disk, as with synchronous=FULL.`,
      `Herald's CPU time per event (user + system, all its threads): ingest ${ingest.cpuMsPerEvent.toFixed(3)} ms, end-to-end ${endToEnd.map((e) => `${e.cpuMsPerEvent.toFixed(3)} ms with ${e.subscriptions} subscription${e.subscriptions > 1 ? "s" : ""}`).join(", ")}; publishes accepted meanwhile in end-to-end: ${endToEnd.map((e) => `${Math.round(e.publishRate).toLocaleString("en-US")}/s`).join(", ")}.`,
      `Processes: Herald is \`dist/herald\` (bun build --compile) alone in its process; the load generator and the receivers are two other processes sharing the same cores.`,
      `Sizes: ${SIZES.requests} publishes (ingest, raw), ${SIZES.endToEndEvents} events with 1 subscription, ${SIZES.fanoutEvents} with 10, ${SIZES.latencySeconds} s at ${SIZES.latencyRate}/s, ${SIZES.logEvents} seeded events (${eventLog.seedSeconds.toFixed(0)} s to seed), ${SIZES.reads} reads per query; the run took ${minutes.toFixed(1)} min.`,
      ...subscriptionScaleNotes(scale),
      `A target missed: what the profile shows, and why, in bench/PROFILE.md.`,
      ...problems.map((p) => `WARNING: ${p}`),
    ];
    const markdown = `# Herald bench results\n\n\`npm run bench\`, ${new Date().toISOString().slice(0, 16)}Z.\n\n${table}\n\n${notes.map((n) => `- ${n}`).join("\n")}\n`;
    console.log(`\n${markdown}`);
    writeFileSync(OUTPUT, markdown);
    step(`written to ${OUTPUT}`);
    return problems.length === 0 ? 0 : 1;
  } finally {
    await receiver.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

// Exit explicitly: an idle keep-alive socket in fetch's pool must not keep a finished bench alive.
process.exit(await run());
