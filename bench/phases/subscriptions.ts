// Scale in subscriptions: a busy subscription's delivery rate alone and beside 999 idle ones, Herald's idle CPU
// with 1 and with 3,000 subscriptions, 3,000 subscriptions created one after another through the API, and
// 1,000 made through the API: Herald's idle CPU with them, then 200 events to each of them (their delivery rate
// against the busy one's alone). Each figure comes with its baseline from the same run; every wait is bounded.
import { closedLoop, pollUntil } from "../load.ts";
import { withHerald, type HeraldProcess, type ReceiverProcess } from "../processes.ts";
import { CONCURRENCY, heraldYaml, publishBody, publishHeaders } from "../workload.ts";

export interface SubscriptionScaleResult {
  /** Deliveries per second to one busy subscription, alone and beside `idle` idle ones. */
  busyAlone: number;
  busyBesideIdle: number;
  idle: number;
  /**
   * Herald's CPU use (% of one core) while nothing happens, with 1 and with `manyIdle` subscriptions: once start-up
   * has settled (the target), and over the first seconds after readiness (start-up's garbage collected and its
   * memory handed back to the system, which takes longer with a larger config).
   */
  idleCpuOne: IdleCpu;
  idleCpuMany: IdleCpu;
  manyIdle: number;
  /** Seconds to create `created` subscriptions through the API, one after another; and the last tenth's time over the first's. */
  createSeconds: number;
  created: number;
  createSlowdown: number;
  /** `fanoutSubscriptions` made through the API: Herald's idle CPU with them, then deliveries per second of `fanoutEvents` events to each. */
  idleCpuApiMade: IdleCpu;
  fanoutRate: number;
  fanoutSubscriptions: number;
  fanoutEvents: number;
  /** Whether every delivery of the fan-out arrived before the deadline (the rate counts those that did). */
  fanoutFinished: boolean;
}

/** The phase's sizes: BENCH_SCALE_EVENTS events per rate (after 500 to warm up). */
export const SUBSCRIPTION_SCALE = {
  events: Number(process.env.BENCH_SCALE_EVENTS || 10_000),
  idle: 999,
  manyIdle: 3_000,
  created: 3_000,
  idleSeconds: 20,
  settleSeconds: 40,
  fanoutSubscriptions: 1_000,
  fanoutEvents: 200,
  deadlineMs: 120_000,
  /** 200,000 deliveries: at this machine's end-to-end rate, more than the other steps' deadline. */
  fanoutDeadlineMs: 300_000,
};

/** Subscriptions to an event type the bench never publishes: they have nothing to deliver, ever. */
const idleSubscriptions = (count: number, url: string) => Array.from({ length: count }, (_, i) => `{ id: idle_${i}, url: "${url}/idle/${i}", events: [report_corrected] }`);

const publisher = (herald: HeraldProcess) => async (i: number) => {
  const response = await fetch(`${herald.url}/api/v1/events`, { method: "POST", headers: publishHeaders, body: publishBody(i) });
  await response.arrayBuffer();
  return response.status === 202;
};

/** Creates subscriptions through the API one after another (until the deadline); the time each took, in ms. */
async function createSubscriptions(herald: HeraldProcess, count: number, deadlineMs: number, spec: (i: number) => Record<string, unknown>): Promise<number[]> {
  const times: number[] = [];
  const started = performance.now();
  for (let i = 0; i < count && performance.now() - started < deadlineMs; i++) {
    const t0 = performance.now();
    const response = await herald.api("/api/v1/subscriptions", { method: "POST", body: JSON.stringify(spec(i)), headers: { "content-type": "application/json" } });
    await response.arrayBuffer();
    if (response.status !== 201) throw new Error(`creating subscription ${i} answered ${response.status}`);
    times.push(performance.now() - t0);
  }
  return times;
}

async function busyRate(herald: HeraldProcess, receiver: ReceiverProcess, events: number, deadlineMs: number): Promise<number> {
  const publish = publisher(herald);
  const warm = await closedLoop(500, CONCURRENCY, deadlineMs, publish);
  await pollUntil(async () => (await receiver.stats()).received >= warm.ok, deadlineMs);
  await receiver.reset();
  const started = performance.now();
  const run = await closedLoop(events, CONCURRENCY, deadlineMs, publish);
  await pollUntil(async () => (await receiver.stats()).received >= run.ok, deadlineMs);
  return (await receiver.stats()).received / ((performance.now() - started) / 1000);
}

export interface IdleCpu {
  /** From readiness over the first `seconds`. */
  afterStart: number;
  /** Over `seconds`, after `settleSeconds` since readiness. */
  settled: number;
}

async function idleCpu(herald: HeraldProcess, seconds: number, settleSeconds: number): Promise<IdleCpu> {
  const share = async (over: number) => {
    const before = herald.cpuSeconds();
    await Bun.sleep(over * 1000);
    return ((herald.cpuSeconds() - before) / over) * 100;
  };
  const afterStart = await share(seconds);
  await Bun.sleep(Math.max(0, settleSeconds - seconds) * 1000);
  return { afterStart, settled: await share(seconds) };
}

export async function measureSubscriptionScale(freshDir: () => string, receiver: ReceiverProcess, options: typeof SUBSCRIPTION_SCALE): Promise<SubscriptionScaleResult> {
  const busy = `{ id: busy, url: "${receiver.url}/busy", events: [sample.uploaded] }`;
  const rate = (subscriptions: string[]) =>
    withHerald(
      freshDir(),
      (port) => heraldYaml({ port, subscriptions }),
      (herald) => busyRate(herald, receiver, options.events, options.deadlineMs),
    );
  const busyAlone = (await rate([busy])).result;
  const busyBesideIdle = (await rate([busy, ...idleSubscriptions(options.idle, receiver.url)])).result;

  const cpu = (subscriptions: string[]) =>
    withHerald(
      freshDir(),
      (port) => heraldYaml({ port, subscriptions }),
      (herald) => idleCpu(herald, options.idleSeconds, options.settleSeconds),
    );
  const idleCpuOne = (await cpu([busy])).result;
  const idleCpuMany = (await cpu(idleSubscriptions(options.manyIdle, receiver.url))).result;

  const { result: creation } = await withHerald(
    freshDir(),
    (port) => heraldYaml({ port, subscriptions: [busy] }),
    async (herald) => {
      const tenth = Math.max(1, Math.floor(options.created / 10));
      const started = performance.now();
      const times = await createSubscriptions(herald, options.created, options.deadlineMs, (i) => ({ id: `made_${i}`, url: `${receiver.url}/made/${i}`, events: ["report_corrected"] }));
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      return { seconds: (performance.now() - started) / 1000, created: times.length, slowdown: sum(times.slice(-tenth)) / sum(times.slice(0, tenth)) };
    },
  );

  // Made through the API and all subscribed to the type published: idle first (nothing published yet), then
  // every event fans out to each of them.
  const { result: fanout } = await withHerald(
    freshDir(),
    (port) => heraldYaml({ port, subscriptions: [] }),
    async (herald) => {
      const made = await createSubscriptions(herald, options.fanoutSubscriptions, options.deadlineMs, (i) => ({ id: `fan_${i}`, url: `${receiver.url}/fan/${i}`, events: ["sample.uploaded"] }));
      if (made.length < options.fanoutSubscriptions) throw new Error(`only ${made.length} subscriptions were made before the deadline`);
      const idleCpuApiMade = await idleCpu(herald, options.idleSeconds, options.settleSeconds);
      await receiver.reset();
      const started = performance.now();
      const run = await closedLoop(options.fanoutEvents, CONCURRENCY, options.deadlineMs, publisher(herald));
      const expected = run.ok * options.fanoutSubscriptions;
      const finished = await pollUntil(async () => (await receiver.stats()).received >= expected, options.fanoutDeadlineMs);
      const received = (await receiver.stats()).received;
      return { idleCpuApiMade, rate: received / ((performance.now() - started) / 1000), finished };
    },
  );
  return {
    busyAlone,
    busyBesideIdle,
    idle: options.idle,
    idleCpuOne,
    idleCpuMany,
    manyIdle: options.manyIdle,
    createSeconds: creation.seconds,
    created: creation.created,
    createSlowdown: creation.slowdown,
    idleCpuApiMade: fanout.idleCpuApiMade,
    fanoutRate: fanout.rate,
    fanoutSubscriptions: options.fanoutSubscriptions,
    fanoutEvents: options.fanoutEvents,
    fanoutFinished: fanout.finished,
  };
}

/** The figures as lines for the results' notes, with the targets of issues 18 and 13. */
export function subscriptionScaleNotes(r: SubscriptionScaleResult): string[] {
  const rate = (x: number) => `${Math.round(x).toLocaleString("en-US")}/s`;
  return [
    `Subscriptions: one busy subscription delivered ${rate(r.busyAlone)} alone and ${rate(r.busyBesideIdle)} beside ${r.idle} idle ones: ${((r.busyBesideIdle / r.busyAlone) * 100).toFixed(0)}% (target ≥ 80%).`,
    `Idle CPU once start-up has settled (${SUBSCRIPTION_SCALE.idleSeconds} s from ${SUBSCRIPTION_SCALE.settleSeconds} s after readiness): ${r.idleCpuOne.settled.toFixed(2)}% of a core with 1 subscription, ${r.idleCpuMany.settled.toFixed(2)}% with ${r.manyIdle.toLocaleString("en-US")} (target < 1%); over the first ${SUBSCRIPTION_SCALE.idleSeconds} s after readiness, while start-up's garbage is collected and its memory handed back: ${r.idleCpuOne.afterStart.toFixed(2)}% and ${r.idleCpuMany.afterStart.toFixed(2)}%.`,
    `${r.fanoutSubscriptions.toLocaleString("en-US")} subscriptions made through the API: idle CPU ${r.idleCpuApiMade.settled.toFixed(2)}% of a core once settled, ${r.idleCpuApiMade.afterStart.toFixed(2)}% over the first ${SUBSCRIPTION_SCALE.idleSeconds} s after they were made (target < 1%); ${r.fanoutEvents} events to each delivered ${rate(r.fanoutRate)}, ${((r.fanoutRate / r.busyAlone) * 100).toFixed(0)}% of one subscription's end-to-end rate above (target ≥ 80%)${r.fanoutFinished ? "" : "; NOT all delivered before the deadline"}.`,
    `Creating ${r.created.toLocaleString("en-US")} subscriptions through the API one after another: ${r.createSeconds.toFixed(1)} s (target < 10 s for 3,000); the last tenth took ${r.createSlowdown.toFixed(2)}× the first tenth's time.`,
  ];
}
