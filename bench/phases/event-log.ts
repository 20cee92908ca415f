// The event-log API over a large log: seeded through Herald's store, then served by the binary. Reads are
// sequential (one in flight), so each figure is a request's own latency, not a queue's.
import { Database } from "bun:sqlite";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { closedLoop, percentile } from "../load.ts";
import { withHerald, type ReceiverProcess } from "../processes.ts";
import { SEEDED_SUBSCRIPTIONS, seedEventLog, type SeededSample } from "../seed.ts";
import { heraldYaml } from "../workload.ts";

export interface ReadLatency {
  label: string;
  p50: number;
  p99: number;
  /** X-Total-Count of the first page (list queries). */
  total: number | null;
}

export interface EventLogResult {
  events: number;
  seedSeconds: number;
  /** Database file size (with its WAL) per million events, in bytes. */
  bytesPerMillion: number;
  lists: ReadLatency[];
  /** GET /api/v1/events?q=...: by event id, delivery id, the object's $uri, its file name, a word in every event. */
  searches: ReadLatency[];
  get: ReadLatency;
  peakRss: number;
}

const DAY_MS = 86_400_000;

/** The database's size with everything checkpointed into it: the WAL file keeps its largest size, not its content's. */
function fileSize(path: string): number {
  const db = new Database(path);
  db.run("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
  return [path, `${path}-wal`].filter(existsSync).reduce((sum, p) => sum + statSync(p).size, 0);
}

export async function measureEventLog(dir: string, receiver: ReceiverProcess, options: { events: number; days: number; reads: number }): Promise<EventLogResult> {
  const database = join(dir, "herald.db");
  const seedStarted = performance.now();
  const sample = await seedEventLog(database, options.events, options.days);
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const bytesPerMillion = (fileSize(database) / options.events) * 1_000_000;

  const subscriptions = SEEDED_SUBSCRIPTIONS.map((id) => `{ id: ${id}, url: "${receiver.url}/${id}", events: ["*"] }`);
  const { result, peakRss } = await withHerald(
    dir,
    (port) => heraldYaml({ port, subscriptions }),
    async (herald) => {
      const day = new Date(Date.now() - 10 * DAY_MS);
      const since = day.toISOString();
      const until = new Date(day.getTime() + DAY_MS).toISOString();
      const filters: [string, string][] = [
        ["status=failed", "status=failed"],
        ["status=success", "status=success"],
        ["event_type=analysis.failed", "event_type=analysis.failed"],
        ["subscription=reports", "subscription=reports"],
        ["subscription=reports&status=failed", "subscription=reports&status=failed"],
        ["one day (since, until)", `since=${since}&until=${until}`],
      ];
      const read = async (label: string, path: (i: number) => string, status = 200): Promise<ReadLatency> => {
        let total: number | null = null;
        const call = async (i: number) => {
          const response = await herald.api(path(i));
          await response.arrayBuffer();
          if (i === 0 && response.headers.has("x-total-count")) total = Number(response.headers.get("x-total-count"));
          return response.status === status;
        };
        await closedLoop(Math.ceil(options.reads / 10), 1, 60_000, call); // warm-up
        const run = await closedLoop(options.reads, 1, 120_000, call);
        return { label, p50: percentile(run.latencies, 50), p99: percentile(run.latencies, 99), total };
      };
      const lists: ReadLatency[] = [];
      for (const [label, query] of filters) lists.push(await read(label, (i) => `/api/v1/events?${query}&page=${1 + (i % 5)}&per_page=50`));
      const get = await read("get by id", (i) => `/api/v1/events/${sample[(i * 7919) % sample.length]!.eventId}`);
      // Each read looks for another sampled event, so no answer comes from a cache of the last one.
      const searchFor = (label: string, query: (s: SeededSample) => string, status = 200) =>
        read(label, (i) => `/api/v1/events?q=${encodeURIComponent(query(sample[(i * 7919) % sample.length]!))}&per_page=50`, status);
      const searches = [
        await searchFor("an event id", (s) => s.eventId),
        await searchFor("a delivery id", (s) => s.deliveryId),
        await searchFor("an object's $uri", (s) => String(s.object.$uri)),
        await searchFor("a file name (words in order)", (s) => String(s.object.filename)),
        // Too broad to page through: refused (422 search_too_broad), and that answer must come as quickly.
        await searchFor("a word in every event (illumina), refused 422", () => "illumina", 422),
      ];
      return { lists, searches, get };
    },
  );
  return { events: options.events, seedSeconds, bytesPerMillion, ...result, peakRss };
}
