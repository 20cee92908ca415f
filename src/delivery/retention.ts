// Retention: events older than the configured age go, with their deliveries and attempts; so do audit entries.
import type { Clock } from "../clock.ts";
import type { Store } from "../store/index.ts";

const BATCH_SIZE = 500;

/**
 * Purges in small transactions and yields to the event loop between them, so API requests and the worker
 * run in between even when a large backlog expires at once. Returns how many events went.
 */
export async function purgeExpired(store: Store, retentionMs: number, clock: Clock): Promise<number> {
  const cutoff = clock.now() - retentionMs;
  let purged = 0;
  for (;;) {
    const deleted = await store.events.purgeBefore(cutoff, BATCH_SIZE);
    purged += deleted;
    if (deleted < BATCH_SIZE) break;
    await new Promise((resolve) => setImmediate(resolve));
  }
  while ((await store.audit.purgeBefore(cutoff, BATCH_SIZE)) === BATCH_SIZE) await new Promise((resolve) => setImmediate(resolve));
  return purged;
}
