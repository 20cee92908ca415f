// The raw limits of this machine, measured with the same load generator and receiver as Herald: what a bare
// Bun.serve takes, what a bare fetch loop gives, and the latency of one bare hop.
import { closedLoop, openLoop, percentile } from "../load.ts";
import { peakRss, type ReceiverProcess } from "../processes.ts";
import { CONCURRENCY, publishBody, publishHeaders, sampleObject } from "../workload.ts";

export interface RawLimits {
  /** The publish load generator against a bare Bun.serve answering 200: requests/s, p50/p99 ms. */
  server: { rate: number; p50: number; p99: number };
  /** A bare fetch loop POSTing 1 KB JSON bodies to the receiver at the same concurrency: requests/s. */
  fetchPost: { rate: number };
  /** One bare hop at a steady LATENCY_RATE per second: p50/p99 ms. */
  hop: { p50: number; p99: number };
  /** Sequential GETs answered 200 by a bare Bun.serve: p50/p99 ms. */
  get: { p50: number; p99: number };
  /** Peak RSS of the bare receiver process, in bytes. */
  serverRss: number;
}

const post = (url: string, body: string, headers: Record<string, string>) => async () => {
  const response = await fetch(url, { method: "POST", headers, body });
  await response.arrayBuffer();
  return response.status === 200;
};

export async function measureRawLimits(receiver: ReceiverProcess, options: { requests: number; latencyRate: number; latencySeconds: number; reads: number }): Promise<RawLimits> {
  const publishLike = post(`${receiver.url}/bare`, publishBody(0), publishHeaders);
  const envelope = JSON.stringify({ api_version: "v1", event_type: "sample.uploaded", object: sampleObject(0), object_type: "sample", triggered_at: new Date().toISOString() });
  const deliveryLike = post(`${receiver.url}/bare`, envelope, { "content-type": "application/json" });

  // An untimed warm-up opens the connections and warms both JITs.
  await closedLoop(CONCURRENCY * 32, CONCURRENCY, 30_000, deliveryLike);
  const server = await closedLoop(options.requests, CONCURRENCY, 60_000, publishLike);
  const fetchPost = await closedLoop(options.requests, CONCURRENCY, 60_000, deliveryLike);
  const hop = await openLoop(options.latencyRate, options.latencySeconds, deliveryLike);
  const get = await closedLoop(options.reads, 1, 30_000, async () => (await fetch(`${receiver.url}/_stats`)).ok);
  await receiver.reset();
  return {
    server: { rate: server.ok / server.seconds, p50: percentile(server.latencies, 50), p99: percentile(server.latencies, 99) },
    fetchPost: { rate: fetchPost.ok / fetchPost.seconds },
    hop: { p50: percentile(hop.latencies, 50), p99: percentile(hop.latencies, 99) },
    get: { p50: percentile(get.latencies, 50), p99: percentile(get.latencies, 99) },
    serverRss: peakRss(receiver.pid),
  };
}
