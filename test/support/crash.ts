// The crash scenario: the compiled binary ingests events fanned out to three receivers and is killed with
// SIGKILL at random moments, then restarted on the same database, until every event is published; then we
// wait for every delivery and count what arrived. Shared by the crash test and its soak variant.
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { compiledHerald } from "./binary.ts";
import { configYaml } from "./herald.ts";
import { spawnHerald, waitUntil, type HeraldProcess } from "./process.ts";
import { receiverPool } from "./receiver.ts";

export const SUBSCRIPTIONS = ["a", "b", "c"] as const;

export interface CrashOptions {
  dir: string;
  events: number;
  kills: number;
  /** Publishes in flight at once. */
  concurrency?: number;
  /** How long to wait, after the last publish, for every delivery. */
  settleTimeoutMs?: number;
}

export interface CrashFigures {
  accepted: number;
  /** (event, subscription) pairs that reached their receiver at least once. */
  delivered: number;
  /** POSTs beyond the first for the same delivery. */
  duplicated: number;
  /** Accepted pairs that never arrived. */
  lost: number;
  /** (event, subscription) pairs that arrived under more than one delivery id: must be 0. */
  mixedDeliveryIds: number;
  kills: number;
  /** `PRAGMA integrity_check` after the last, clean stop. */
  integrity: string;
  /** Deliveries left unfinished, leased or due after everything arrived: must be 0. */
  unfinished: number;
  seconds: number;
}

export async function runCrashScenario(options: CrashOptions): Promise<CrashFigures> {
  const started = performance.now();
  const binary = await compiledHerald();
  const receivers = receiverPool();
  try {
    // Each receiver records, per event, the delivery ids it was sent (a repeat is a duplicate).
    const seen = SUBSCRIPTIONS.map(() => new Map<string, string[]>());
    const urls = SUBSCRIPTIONS.map(
      (_, i) =>
        receivers.start((request) => {
          const eventId = request.headers["herald-event-id"]!;
          seen[i]!.set(eventId, [...(seen[i]!.get(eventId) ?? []), request.headers["herald-delivery-id"]!]);
          return new Response("ok");
        }).url,
    );
    // A short timeout makes a short lease (2 × 500 ms + 1 s): a delivery cut off by a kill is sent again soon.
    const yaml = configYaml({
      subscriptions: SUBSCRIPTIONS.map((id, i) => `  - { id: ${id}, url: "${urls[i]}/hook", events: ["*"] }`).join("\n"),
      retry: "retry: { timeout: 500ms, schedule: [1s, 1s, 1s, 1s, 1s], success: 2xx }",
    });
    const start = () => spawnHerald({ dir: options.dir, yaml, command: [binary], cwd: options.dir });

    // Kill after a random number of 202s, spread over the ingest.
    const killAt = Array.from({ length: options.kills }, () => Math.floor(options.events * (0.1 + 0.8 * Math.random()))).sort((a, b) => a - b);
    const accepted = new Set<number>();
    let herald: HeraldProcess = await start();
    let restarting: Promise<void> | null = null;
    let kills = 0;
    const crashAndRestart = () =>
      (restarting ??= (async () => {
        kills++;
        await herald.kill("SIGKILL");
        herald = await start();
        restarting = null;
      })());

    let next = 0;
    const lane = async () => {
      while (next < options.events) {
        const index = next++;
        // A publish cut off by a kill is sent again (same id: idempotent) until it is answered.
        for (;;) {
          await restarting;
          const response = await herald.publish({ id: `crash-${index}`, event_type: "sample.uploaded", object: { index } }).catch(() => null);
          if (response && response.status < 300) {
            await response.body?.cancel();
            accepted.add(index);
            if (killAt.length > 0 && accepted.size >= killAt[0]!) {
              killAt.shift();
              await crashAndRestart();
            }
            break;
          }
          await Bun.sleep(10);
        }
      }
    };
    await Promise.all(Array.from({ length: options.concurrency ?? 32 }, lane));

    const delivered = () => SUBSCRIPTIONS.reduce((sum, _, i) => sum + seen[i]!.size, 0);
    const expected = accepted.size * SUBSCRIPTIONS.length;
    // Settled: every pair arrived, and Herald knows it (an attempt cut off after its POST arrived is sent
    // again once its lease runs out: a duplicate, which at-least-once allows).
    const succeeded = async () => Number((await herald.api("/api/v1/events?status=success&per_page=1")).headers.get("x-total-count"));
    const settled = async () => (delivered() >= expected && (await succeeded()) >= accepted.size ? true : undefined);
    await waitUntil("every accepted event delivered everywhere and settled", settled, options.settleTimeoutMs ?? 30_000, 100).catch(() => undefined);
    const code = await herald.kill("SIGTERM");
    if (code !== 0) throw new Error(`herald exited ${code} on SIGTERM\n${herald.output()}`);

    const db = new Database(join(options.dir, "herald.db"), { readonly: true });
    const integrity = (db.query("PRAGMA integrity_check").get() as { integrity_check: string }).integrity_check;
    const unfinished = (db.query("SELECT count(*) AS n FROM deliveries WHERE state != 'succeeded' OR leased OR due_at IS NOT NULL").get() as { n: number }).n;
    db.close();

    const all = seen.flatMap((byEvent) => [...byEvent.values()]);
    return {
      accepted: accepted.size,
      delivered: delivered(),
      duplicated: all.reduce((sum, ids) => sum + ids.length - 1, 0),
      lost: [...accepted].reduce((sum, index) => sum + seen.filter((byEvent) => !byEvent.has(`crash-${index}`)).length, 0),
      mixedDeliveryIds: all.filter((ids) => new Set(ids).size > 1).length,
      kills,
      integrity,
      unfinished,
      seconds: Math.round((performance.now() - started) / 100) / 10,
    };
  } finally {
    await receivers.stopAll();
  }
}
