// Latency at a steady rate: from the moment a publish is sent to the moment its first attempt arrives at the
// receiver (both clocks are this machine's wall clock, read in two processes), and the publish round trip.
import { openLoop, percentile, pollUntil, wallClock } from "../load.ts";
import { withHerald, type ReceiverProcess } from "../processes.ts";
import { heraldYaml, publishBody, publishHeaders } from "../workload.ts";

export interface LatencyResult {
  /** Publishes per second, as scheduled. */
  rate: number;
  /** Publish sent → first attempt arrived, ms. */
  firstAttempt: { p50: number; p99: number; max: number };
  /** Publish round trip, ms. */
  publish: { p50: number; p99: number };
  measured: number;
  missing: number;
  peakRss: number;
}

export async function measureLatency(dir: string, receiver: ReceiverProcess, options: { rate: number; seconds: number; warmupSeconds: number }): Promise<LatencyResult> {
  const yaml = (port: number) => heraldYaml({ port, subscriptions: [`{ id: steady, url: "${receiver.url}/steady", events: ["*"] }`] });
  const { result, peakRss } = await withHerald(dir, yaml, async (herald) => {
    const sentAt = new Map<string, number>();
    const publish = (record: boolean) => async (i: number) => {
      const sent = wallClock();
      const response = await fetch(`${herald.url}/api/v1/events`, { method: "POST", headers: publishHeaders, body: publishBody(i) });
      const { id } = (await response.json()) as { id: string };
      if (record) sentAt.set(id, sent);
      return response.status === 202;
    };
    await openLoop(options.rate, options.warmupSeconds, publish(false));
    await pollUntil(async () => (await receiver.stats()).received >= options.rate * options.warmupSeconds, 10_000);
    await receiver.reset();
    const run = await openLoop(options.rate, options.seconds, publish(true));
    await pollUntil(async () => (await receiver.stats()).distinctEvents >= sentAt.size, 10_000);
    const arrivals = await receiver.arrivals();
    return { run, sentAt, arrivals };
  });
  const { run, sentAt, arrivals } = result;
  const delays = [...sentAt].flatMap(([id, sent]) => (arrivals[id] === undefined ? [] : [arrivals[id] - sent]));
  return {
    rate: options.rate,
    firstAttempt: { p50: percentile(delays, 50), p99: percentile(delays, 99), max: Math.max(...delays) },
    publish: { p50: percentile(run.latencies, 50), p99: percentile(run.latencies, 99) },
    measured: delays.length,
    missing: sentAt.size - delays.length,
    peakRss,
  };
}
