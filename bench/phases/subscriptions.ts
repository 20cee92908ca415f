// Scale in subscriptions: a busy subscription's delivery rate alone and beside 999 idle ones, Herald's idle CPU
// with 1 and with 3,000 subscriptions, and 3,000 subscriptions created one after another through the API. Each
// figure comes with its baseline from the same run; every wait is bounded.
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
}

/** The phase's sizes: BENCH_SCALE_EVENTS events per rate (after 500 to warm up). */
export const SUBSCRIPTION_SCALE = {
  events: Number(process.env.BENCH_SCALE_EVENTS || 10_000),
  idle: 999,
  manyIdle: 3_000,
  created: 3_000,
  idleSeconds: 20,
  settleSeconds: 40,
  deadlineMs: 120_000,
};

/** Subscriptions to an event type the bench never publishes: they have nothing to deliver, ever. */
const idleSubscriptions = (count: number, url: string) => Array.from({ length: count }, (_, i) => `{ id: idle_${i}, url: "${url}/idle/${i}", events: [report_corrected] }`);

async function busyRate(herald: HeraldProcess, receiver: ReceiverProcess, events: number, deadlineMs: number): Promise<number> {
  const publish = async (i: number) => {
    const response = await fetch(`${herald.url}/api/v1/events`, { method: "POST", headers: publishHeaders, body: publishBody(i) });
    await response.arrayBuffer();
    return response.status === 202;
  };
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

export async function measureSubscriptionScale(
  freshDir: () => string,
  receiver: ReceiverProcess,
  options: { events: number; idle: number; manyIdle: number; created: number; idleSeconds: number; settleSeconds: number; deadlineMs: number },
): Promise<SubscriptionScaleResult> {
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
      const times: number[] = [];
      const started = performance.now();
      for (let i = 0; i < options.created && performance.now() - started < options.deadlineMs; i++) {
        const t0 = performance.now();
        const body = JSON.stringify({ id: `made_${i}`, url: `${receiver.url}/made/${i}`, events: ["report_corrected"] });
        const response = await herald.api("/api/v1/subscriptions", { method: "POST", body, headers: { "content-type": "application/json" } });
        await response.arrayBuffer();
        if (response.status !== 201) throw new Error(`creating subscription ${i} answered ${response.status}`);
        times.push(performance.now() - t0);
      }
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      return { seconds: (performance.now() - started) / 1000, created: times.length, slowdown: sum(times.slice(-tenth)) / sum(times.slice(0, tenth)) };
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
  };
}

/** The figures as lines for the results' notes, with the targets of issue 18. */
export function subscriptionScaleNotes(r: SubscriptionScaleResult): string[] {
  const rate = (x: number) => `${Math.round(x).toLocaleString("en-US")}/s`;
  return [
    `Subscriptions: one busy subscription delivered ${rate(r.busyAlone)} alone and ${rate(r.busyBesideIdle)} beside ${r.idle} idle ones: ${((r.busyBesideIdle / r.busyAlone) * 100).toFixed(0)}% (target ≥ 80%).`,
    `Idle CPU once start-up has settled (${SUBSCRIPTION_SCALE.idleSeconds} s from ${SUBSCRIPTION_SCALE.settleSeconds} s after readiness): ${r.idleCpuOne.settled.toFixed(2)}% of a core with 1 subscription, ${r.idleCpuMany.settled.toFixed(2)}% with ${r.manyIdle.toLocaleString("en-US")} (target < 1%); over the first ${SUBSCRIPTION_SCALE.idleSeconds} s after readiness, while start-up's garbage is collected and its memory handed back: ${r.idleCpuOne.afterStart.toFixed(2)}% and ${r.idleCpuMany.afterStart.toFixed(2)}%.`,
    `Creating ${r.created.toLocaleString("en-US")} subscriptions through the API one after another: ${r.createSeconds.toFixed(1)} s (target < 10 s for 3,000); the last tenth took ${r.createSlowdown.toFixed(2)}× the first tenth's time.`,
  ];
}
