// `npm run bench`: how close Herald comes to the raw HTTP limit of this machine, publish to delivered.
// Everything runs in one process on 127.0.0.1: a bare receiver, a bare fetch loop against it (the baseline),
// then Herald publishing to and delivering at that same receiver. The machine is noisy, so the ratio
// Herald/baseline is the figure to compare between runs, not the absolute rates.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfigText } from "../src/config/load.ts";
import { silentLogger } from "../src/log.ts";
import { startHerald, type Herald } from "../src/server.ts";

const EVENTS = positiveInt("BENCH_EVENTS", 20_000);
const CONCURRENCY = positiveInt("BENCH_CONCURRENCY", 64);
/** Bounds each phase: a run that stalls reports what it got instead of hanging. */
const DEADLINE_MS = positiveInt("BENCH_DEADLINE_MS", 120_000);
const PUBLISH_TOKEN = "bench-publish-token-0001";
const POLL_MS = 20;

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

/** A sample object whose JSON is about 1 KB, as a LIMS record would be. */
function sampleObject(index: number): Record<string, unknown> {
  const object: Record<string, unknown> = {
    id: `smp_${index.toString(16).padStart(12, "0")}`,
    filename: `run-${index}.fastq.gz`,
    project: "prj_bench",
    size: 1_234_567 + index,
    tags: ["bench", "wgs", "illumina"],
    metadata: { platform: "NovaSeq", library: "paired-end", location: "freezer-3" },
    notes: "",
  };
  object.notes = "x".repeat(Math.max(0, 1024 - JSON.stringify(object).length));
  return object;
}

// ---- the receiver: answers 200 "ok" as fast as Bun can ----

function startBareReceiver() {
  let received = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(request) {
      await request.arrayBuffer();
      received++;
      return new Response("ok");
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    get received() {
      return received;
    },
    reset() {
      received = 0;
    },
    stop: () => server.stop(true),
  };
}
type BareReceiver = ReturnType<typeof startBareReceiver>;

// ---- measuring helpers ----

/** Peak resident set size, sampled while a phase runs. */
function startRssSampler() {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

/** Runs `task(0..total-1)` with `concurrency` calls in flight; counts the calls that did not return true. */
async function runPool(total: number, concurrency: number, task: (index: number) => Promise<boolean>): Promise<number> {
  let next = 0;
  let failures = 0;
  const lane = async () => {
    while (next < total) {
      const index = next++;
      const ok = await task(index).catch(() => false);
      if (!ok) failures++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, lane));
  return failures;
}

/** Polls `done` until it holds or the deadline passes; returns whether it held. */
async function waitUntil(done: () => boolean, deadline: number): Promise<boolean> {
  while (!done()) {
    if (performance.now() > deadline) return false;
    await Bun.sleep(POLL_MS);
  }
  return true;
}

// ---- phase 1: the raw limit ----

interface BaselineResult {
  seconds: number;
  failures: number;
  peakRss: number;
}

async function measureBaseline(receiver: BareReceiver): Promise<BaselineResult> {
  const body = JSON.stringify({ api_version: "v1", event_type: "sample.uploaded", object: sampleObject(0), object_type: "sample" });
  const headers = { "content-type": "application/json" };
  const signal = AbortSignal.timeout(DEADLINE_MS);
  const post = async () => {
    const response = await fetch(receiver.url, { method: "POST", headers, body, signal });
    await response.arrayBuffer();
    return response.status === 200;
  };
  // An untimed warm-up opens the connections and warms the JIT: the timed window is short, so it would show.
  await runPool(CONCURRENCY * 16, CONCURRENCY, post);
  receiver.reset();
  const rss = startRssSampler();
  const started = performance.now();
  const failures = await runPool(EVENTS, CONCURRENCY, post);
  const seconds = (performance.now() - started) / 1000;
  return { seconds, failures, peakRss: rss.stop() };
}

// ---- phase 2: Herald, publish to delivered ----

function heraldYaml(receiverUrl: string): string {
  return `
server: { host: 127.0.0.1, port: 0 }
storage: { sqlite: ./herald.db }
retry: { timeout: 10s, schedule: [64s, 729s], success: 2xx }
delivery: { concurrency: ${CONCURRENCY}, per_subscription: ${CONCURRENCY} }
event_types:
  - { name: sample.uploaded, object_type: sample }
subscriptions:
  - { id: bench, url: "${receiverUrl}/hooks", events: ["*"] }
api_keys:
  - { name: platform, role: publisher, token: ${PUBLISH_TOKEN} }
`;
}

interface HeraldResult {
  publishSeconds: number;
  endToEndSeconds: number | null;
  publishFailures: number;
  delivered: number;
  succeeded: number;
  peakRss: number;
}

async function measureHerald(receiver: BareReceiver): Promise<HeraldResult> {
  const dir = mkdtempSync(join(tmpdir(), "herald-bench-"));
  let herald: Herald | null = null;
  try {
    const loaded = await loadConfigText(heraldYaml(receiver.url), join(dir, "webhooks.config.yaml"), {});
    if (!loaded.ok) throw new Error(`bench config invalid: ${JSON.stringify(loaded.problems)}`);
    herald = await startHerald({ config: loaded.config, plugins: loaded.plugins, log: silentLogger });
    const { store, url } = herald;
    const succeeded = () => store.listEvents({ status: "success" }, 0, 1).total;

    // Bodies are built before the clock starts: the client's JSON work is not Herald's.
    const bodies = Array.from({ length: EVENTS }, (_, i) =>
      JSON.stringify({ event_type: "sample.uploaded", object_type: "sample", object: sampleObject(i) }),
    );
    const headers = { "content-type": "application/json", authorization: `Bearer ${PUBLISH_TOKEN}` };
    receiver.reset();
    const rss = startRssSampler();
    const started = performance.now();
    const deadline = started + DEADLINE_MS;
    const signal = AbortSignal.timeout(DEADLINE_MS);

    const publishFailures = await runPool(EVENTS, CONCURRENCY, async (i) => {
      const response = await fetch(`${url}/api/v1/events`, { method: "POST", headers, body: bodies[i], signal });
      await response.arrayBuffer();
      return response.status === 202;
    });
    const publishSeconds = (performance.now() - started) / 1000;

    const expected = EVENTS - publishFailures;
    // The receiver's count is free to read; the store is asked only once every POST has arrived.
    const allArrived = await waitUntil(() => receiver.received >= expected, deadline);
    const allSucceeded = allArrived && (await waitUntil(() => succeeded() >= expected, deadline));
    const endToEndSeconds = allSucceeded ? (performance.now() - started) / 1000 : null;
    const peakRss = rss.stop();
    return { publishSeconds, endToEndSeconds, publishFailures, delivered: receiver.received, succeeded: succeeded(), peakRss };
  } finally {
    await herald?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- report ----

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const rate = (count: number, seconds: number) => Math.round(count / seconds);

function printReport(baseline: BaselineResult, herald: HeraldResult) {
  const baselineRate = rate(EVENTS - baseline.failures, baseline.seconds);
  const published = EVENTS - herald.publishFailures;
  const endToEndRate = herald.endToEndSeconds === null ? null : rate(published, herald.endToEndSeconds);
  const publishRate = rate(published, herald.publishSeconds);
  const percent = (value: number) => `${((100 * value) / baselineRate).toFixed(1)}%`;
  const rows: [string, string, string][] = [
    ["baseline (bare fetch → receiver)", `${baselineRate} req/s`, "100%"],
    ["Herald end-to-end (publish → success)", endToEndRate === null ? "did not finish" : `${endToEndRate} events/s`, endToEndRate === null ? "-" : percent(endToEndRate)],
    ["Herald publish only (all 202s back)", `${publishRate} events/s`, percent(publishRate)],
  ];
  console.log(`\nHerald bench: ${EVENTS} requests/events of ~1 KB, concurrency ${CONCURRENCY}, Bun ${Bun.version}\n`);
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(`${"".padEnd(width)}  ${"rate".padStart(18)}  ${"of baseline".padStart(11)}`);
  for (const [label, value, share] of rows) console.log(`${label.padEnd(width)}  ${value.padStart(18)}  ${share.padStart(11)}`);
  console.log(`\npeak RSS: baseline ${mb(baseline.peakRss)}, Herald ${mb(herald.peakRss)}`);
  console.log(`times: baseline ${baseline.seconds.toFixed(2)} s, publish ${herald.publishSeconds.toFixed(2)} s, end-to-end ${herald.endToEndSeconds?.toFixed(2) ?? "-"} s`);
  const problems = [
    baseline.failures ? `${baseline.failures} baseline requests failed` : "",
    herald.publishFailures ? `${herald.publishFailures} publishes did not answer 202` : "",
    herald.endToEndSeconds === null ? `deadline passed: ${herald.delivered} delivered, ${herald.succeeded} events success of ${published}` : "",
  ].filter(Boolean);
  for (const problem of problems) console.log(`WARNING: ${problem}`);
  return problems.length === 0;
}

async function main(): Promise<number> {
  const receiver = startBareReceiver();
  try {
    const baseline = await measureBaseline(receiver);
    const herald = await measureHerald(receiver);
    return printReport(baseline, herald) ? 0 : 1;
  } finally {
    await receiver.stop();
  }
}

// Exit explicitly: an idle keep-alive socket in fetch's pool must not keep a finished bench alive.
process.exit(await main());
