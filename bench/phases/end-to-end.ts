// End-to-end: events published at concurrency 64 and delivered to receivers answering 200, with 1 or 10
// subscriptions per event. The clock runs from the first publish until every delivery is recorded a success.
import { closedLoop, pollUntil } from "../load.ts";
import { withHerald, type HeraldProcess, type ReceiverProcess } from "../processes.ts";
import { CONCURRENCY, heraldYaml, publishBody, publishHeaders } from "../workload.ts";

export interface EndToEndResult {
  subscriptions: number;
  events: number;
  /** Deliveries recorded a success per second, and events per second. */
  deliveryRate: number;
  eventRate: number;
  /** Publishes accepted per second meanwhile. */
  publishRate: number;
  finished: boolean;
  /** Herald's CPU time (user + system) per event, its deliveries included. */
  cpuMsPerEvent: number;
  peakRss: number;
}

async function succeeded(herald: HeraldProcess): Promise<number> {
  return Number((await herald.api("/api/v1/events?status=success&per_page=1")).headers.get("x-total-count"));
}

export async function measureEndToEnd(dir: string, receiver: ReceiverProcess, options: { subscriptions: number; events: number; warmup: number; deadlineMs: number }): Promise<EndToEndResult> {
  const fanout = options.subscriptions;
  const subscriptions = Array.from({ length: fanout }, (_, k) => `{ id: s${k}, url: "${receiver.url}/s${k}", events: ["*"] }`);
  const { result, peakRss } = await withHerald(
    dir,
    (port) => heraldYaml({ port, subscriptions }),
    async (herald) => {
      const bodies = Array.from({ length: options.warmup + options.events }, (_, i) => publishBody(i));
      const publish = (offset: number) => async (i: number) => {
        const response = await fetch(`${herald.url}/api/v1/events`, { method: "POST", headers: publishHeaders, body: bodies[offset + i] });
        await response.arrayBuffer();
        return response.status === 202;
      };
      // The receiver's count is cheap to read; the API is asked only once every POST has arrived.
      const delivered = async (sinceReset: number, inAll: number) => {
        const arrived = await pollUntil(async () => (await receiver.stats()).received >= sinceReset * fanout, options.deadlineMs);
        return arrived && (await pollUntil(async () => (await succeeded(herald)) >= inAll, options.deadlineMs));
      };

      const warm = await closedLoop(options.warmup, CONCURRENCY, 60_000, publish(0));
      await delivered(warm.ok, warm.ok);
      await receiver.reset();
      const cpuBefore = herald.cpuSeconds();
      const started = performance.now();
      const run = await closedLoop(options.events, CONCURRENCY, options.deadlineMs, publish(options.warmup));
      const finished = await delivered(run.ok, warm.ok + run.ok);
      const seconds = (performance.now() - started) / 1000;
      const cpuMsPerEvent = ((herald.cpuSeconds() - cpuBefore) * 1000) / run.ok;
      return { run, seconds, finished, cpuMsPerEvent };
    },
  );
  const { run, seconds, finished, cpuMsPerEvent } = result;
  return {
    subscriptions: fanout,
    events: run.ok,
    deliveryRate: (run.ok * fanout) / seconds,
    eventRate: run.ok / seconds,
    publishRate: run.ok / run.seconds,
    finished,
    cpuMsPerEvent,
    peakRss,
  };
}
