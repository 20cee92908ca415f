// The SQLite adapter of the store's port: one file in WAL mode, group commit, and a sync of the WAL before
// anything a user can read is answered (see port.ts for what each method promises).
import { batched } from "./batcher.ts";
import { startCheckpointer } from "./checkpointer.ts";
import { IN_MEMORY, openDatabase } from "./db.ts";
import { claimDue, claimOrphans, deliveryBacklog, dueNow, nextDueAt, prepareDeliveryStatements, recordAttempts } from "./deliveries.ts";
import { walDurability } from "./durable.ts";
import { countEvents, getEvent, listEvents } from "./event-log.ts";
import { prepareEventStatements, publishEvents, resendEvents, type Publication } from "./events.ts";
import { createResendJob, failJob, getJob, resendJobStep, runningJobIds } from "./jobs.ts";
import { lockDatabase } from "./lock.ts";
import { purgeBatch } from "./purge.ts";
import { deleteApiKey, deleteSubscription, insertApiKey, insertSubscription, listApiKeys, listSubscriptions, syncConfigSubscriptions, updateSubscription } from "./subscriptions.ts";
import type { Store } from "../port.ts";

export { IN_MEMORY } from "./db.ts";

/** Opens the store at `path`; throws DatabaseInUse if another process (or store in this one) has it open. */
export function openSqliteStore(path: string): Store {
  // Taken before the migrations: a second process must not touch the schema under the first.
  const lock = path === IN_MEMORY ? null : lockDatabase(path);
  let db;
  try {
    db = openDatabase(path);
  } catch (error) {
    lock?.release();
    throw error;
  }
  // SQLite's count of rows this connection changed: what a sync covers, so one that started later suffices.
  const changes = db.$client.prepare<{ n: number }, []>("SELECT total_changes() AS n");
  const durability = walDurability(path === IN_MEMORY ? null : path, () => changes.get()!.n);
  const checkpointer = path === IN_MEMORY ? null : startCheckpointer(db.$client, path);
  const eventStatements = prepareEventStatements(db);
  const deliveryStatements = prepareDeliveryStatements(db);
  // Publishes that arrive while the disk syncs wait for it and then share one transaction: the busier the
  // server, the larger each commit and the fewer syncs per event.
  const publishOne = batched((batch: Publication[]) => publishEvents(db, eventStatements, batch), durability.idle);
  /** Runs a write, then waits until it would survive a power cut. */
  const durably = async <T>(write: () => T): Promise<T> => {
    const result = write();
    await durability.durable();
    return result;
  };
  let closed: Promise<void> | null = null;

  return {
    events: {
      async publish(batch, now) {
        const outcomes = await Promise.all(batch.map((event) => publishOne({ event, now })));
        await durability.durable();
        return outcomes;
      },
      list: async (filter, offset, limit) => listEvents(db, filter, offset, limit),
      get: async (id, visible) => getEvent(db, id, visible),
      count: async (filter) => countEvents(db, filter),
      resend: (filter, subscriptionIds, now) => durably(() => resendEvents(db, eventStatements, filter, subscriptionIds, now)),
      purgeBefore: async (cutoff, batchSize) => purgeBatch(db, cutoff, batchSize),
    },
    queue: {
      claimDue: async (limits, total, now) => claimDue(db, deliveryStatements, limits, total, now),
      claimOrphans: async (known, now, limit) => claimOrphans(db, deliveryStatements, known, now, limit),
      recordAttempts: async (outcomes, now) => recordAttempts(db, deliveryStatements, eventStatements, outcomes, now),
      nextDueAt: async () => nextDueAt(deliveryStatements),
      backlog: async (now) => deliveryBacklog(deliveryStatements, now),
      dueNow: async (ids, now) => dueNow(db, ids, now),
    },
    subscriptions: {
      list: async () => listSubscriptions(db),
      insert: (row) => durably(() => insertSubscription(db, row)),
      update: (id, spec, now) => durably(() => updateSubscription(db, id, spec, now)),
      remove: (id, now) => durably(() => deleteSubscription(db, id, now)),
      syncConfig: (specs, now) => durably(() => syncConfigSubscriptions(db, specs, now)),
    },
    apiKeys: {
      list: async () => listApiKeys(db),
      insert: (row) => durably(() => insertApiKey(db, row)),
      remove: (id) => durably(() => deleteApiKey(db, id)),
    },
    jobs: {
      createResend: (input) => durably(() => createResendJob(db, input)),
      get: async (id) => getJob(db, id),
      runningIds: async () => runningJobIds(db),
      resendStep: async (id, batchSize, now) => resendJobStep(db, eventStatements, id, batchSize, now),
      fail: (id, error, now) => durably(() => failJob(db, id, error, now)),
    },
    ping: async () => void db.$client.query("SELECT 1").get(),
    close() {
      closed ??= durability
        .idle()
        .catch(() => {})
        .then(() => {
          checkpointer?.close();
          durability.close();
          db.$client.close();
          lock?.release();
        });
      return closed;
    },
  };
}
