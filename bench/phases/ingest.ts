// Ingest: publishes accepted durably per second at concurrency 64, with their latency. Each event fans out to
// one subscription, so its delivery row is written too; that subscription's receiver holds its answers, so the
// worker parks at its limit and the figure is the accept path's alone (end-to-end measures both together).
import { closedLoop, percentile } from "../load.ts";
import { withHerald, type ReceiverProcess } from "../processes.ts";
import { CONCURRENCY, heraldYaml, publishBody, publishHeaders } from "../workload.ts";

export interface IngestResult {
  rate: number;
  p50: number;
  p99: number;
  failed: number;
  /** Events the API lists afterwards: every accepted one must be there. */
  stored: number;
  accepted: number;
  /** Herald's CPU time (user + system) per accepted event. */
  cpuMsPerEvent: number;
  peakRss: number;
}

export async function measureIngest(dir: string, receiver: ReceiverProcess, options: { events: number; warmup: number }): Promise<IngestResult> {
  const yaml = (port: number) => heraldYaml({ port, subscriptions: [`{ id: parked, url: "${receiver.url}/hold", events: ["*"] }`] });
  const { result, peakRss } = await withHerald(dir, yaml, async (herald) => {
    const bodies = Array.from({ length: options.warmup + options.events }, (_, i) => publishBody(i));
    const publish = (offset: number) => async (i: number) => {
      const response = await fetch(`${herald.url}/api/v1/events`, { method: "POST", headers: publishHeaders, body: bodies[offset + i] });
      await response.arrayBuffer();
      return response.status === 202;
    };
    const warm = await closedLoop(options.warmup, CONCURRENCY, 60_000, publish(0));
    const cpuBefore = herald.cpuSeconds();
    const run = await closedLoop(options.events, CONCURRENCY, 120_000, publish(options.warmup));
    const cpuMsPerEvent = ((herald.cpuSeconds() - cpuBefore) * 1000) / run.ok;
    const stored = Number((await herald.api("/api/v1/events?per_page=1")).headers.get("x-total-count"));
    await receiver.reset(); // answers the held POSTs, so Herald stops at once
    return { run, stored, accepted: warm.ok + run.ok, cpuMsPerEvent };
  });
  const { run, stored, accepted, cpuMsPerEvent } = result;
  return { rate: run.ok / run.seconds, p50: percentile(run.latencies, 50), p99: percentile(run.latencies, 99), failed: run.failed, stored, accepted, cpuMsPerEvent, peakRss };
}
