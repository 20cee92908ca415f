// The SQLite adapter of the store's port: one file in WAL mode, group commit, and a sync of the WAL before
// anything a user can read is answered (see port.ts for what each method promises).
import { listAudit, purgeAudit, recordAudit } from "./audit.ts";
import { prepareActivityStatements, subscriptionActivity } from "./activity.ts";
import { batched } from "./batcher.ts";
import { startCheckpointer } from "./checkpointer.ts";
import { BUSY_TIMEOUT_MS, IN_MEMORY, openDatabase } from "./db.ts";
import { claimDue, claimOrphans, dueSubscriptions, deliveryBacklog, dueNow, nextDueAt, prepareDeliveryStatements, recordAttempts } from "./deliveries.ts";
import { walDurability } from "./durable.ts";
import { passingFailure, writeHealth } from "./health.ts";
import { countEvents, getEvent, listEvents } from "./event-log.ts";
import { prepareEventStatements, publishEvents, resendEvents, type Publication } from "./events.ts";
import { createResendJob, failJob, getJob, resendJobStep, runningJobIds } from "./jobs.ts";
import { lockDatabase } from "./lock.ts";
import { countWordMatches } from "./search.ts";
import { purgeBatch } from "./purge.ts";
import {
  deleteApiKey,
  deleteSubscription,
  insertApiKey,
  insertSubscription,
  listApiKeys,
  listSubscriptions,
  rewriteSpecs,
  setSubscriptionHealth,
  syncConfigSubscriptions,
  updateSubscription,
} from "./subscriptions.ts";
import type { Store } from "../port.ts";

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
  // While writes fail, checkpoints pause: freed space goes to the writers first.
  const health = writeHealth(db.$client, { busyTimeoutMs: BUSY_TIMEOUT_MS, onChange: (failing) => checkpointer?.pause(failing) });
  /** A read: a failure that may pass is StorageUnavailable, like a write's, but says nothing of writes. */
  const read = async <T>(run: () => T): Promise<T> => {
    try {
      return run();
    } catch (error) {
      throw passingFailure(error) ?? error;
    }
  };
  const write = async <T>(run: () => T): Promise<T> => health.write(run);
  const eventStatements = prepareEventStatements(db);
  const deliveryStatements = prepareDeliveryStatements(db);
  const activityStatements = prepareActivityStatements(db);
  // Publishes that arrive while the disk syncs wait for it and then share one transaction: the busier the
  // server, the larger each commit and the fewer syncs per event.
  const publishOne = batched((batch: Publication[]) => health.write(() => publishEvents(db, eventStatements, batch)), durability.idle);
  const synced = () => health.writeAsync(durability.durable);
  /** Runs a write, then waits until it would survive a power cut. */
  const durably = async <T>(run: () => T): Promise<T> => {
    const result = health.write(run);
    await synced();
    return result;
  };
  let closed: Promise<void> | null = null;

  return {
    events: {
      async publish(batch, now) {
        const outcomes = await Promise.all(batch.map((event) => publishOne({ event, now })));
        await synced();
        return outcomes;
      },
      list: (filter, offset, limit) => read(() => listEvents(db, filter, offset, limit)),
      get: (id, visible) => read(() => getEvent(db, id, visible)),
      count: (filter) => read(() => countEvents(db, filter)),
      countWordMatches: (query, atMost) => read(() => countWordMatches(db, query, atMost)),
      resend: (filter, subscriptionIds, now) => durably(() => resendEvents(db, eventStatements, filter, subscriptionIds, now)),
      purgeBefore: (cutoff, batchSize) => write(() => purgeBatch(db, cutoff, batchSize)),
    },
    queue: {
      claimDue: (limits, total, now) => write(() => claimDue(db, deliveryStatements, limits, total, now)),
      dueSubscriptions: (now) => read(() => dueSubscriptions(deliveryStatements, now)),
      claimOrphans: (known, now, limit) => write(() => claimOrphans(db, deliveryStatements, known, now, limit)),
      recordAttempts: (outcomes, now) => write(() => recordAttempts(db, deliveryStatements, eventStatements, outcomes, now)),
      nextDueAt: () => read(() => nextDueAt(deliveryStatements)),
      backlog: (now) => read(() => deliveryBacklog(deliveryStatements, now)),
      activity: (subscriptionId, now) => read(() => subscriptionActivity(activityStatements, subscriptionId, now)),
      dueNow: (ids, now) => write(() => dueNow(db, ids, now)),
    },
    subscriptions: {
      list: () => read(() => listSubscriptions(db)),
      insert: (row) => durably(() => insertSubscription(db, row)),
      update: (id, spec, now) => durably(() => updateSubscription(db, id, spec, now)),
      setHealth: (id, health) => durably(() => setSubscriptionHealth(db, id, health)),
      remove: (id, now) => durably(() => deleteSubscription(db, id, now)),
      syncConfig: (specs, now) => durably(() => syncConfigSubscriptions(db, specs, now)),
      rewriteSpecs: (rows) => durably(() => rewriteSpecs(db, rows)),
    },
    apiKeys: {
      list: () => read(() => listApiKeys(db)),
      insert: (row) => durably(() => insertApiKey(db, row)),
      remove: (id) => durably(() => deleteApiKey(db, id)),
    },
    jobs: {
      createResend: (input) => durably(() => createResendJob(db, input)),
      get: (id) => read(() => getJob(db, id)),
      runningIds: () => read(() => runningJobIds(db)),
      resendStep: (id, batchSize, now) => write(() => resendJobStep(db, eventStatements, id, batchSize, now)),
      fail: (id, error, now) => durably(() => failJob(db, id, error, now)),
    },
    audit: {
      record: (entry) => durably(() => recordAudit(db, entry)),
      list: (filter, offset, limit) => read(() => listAudit(db, filter, offset, limit)),
      purgeBefore: (cutoff, batchSize) => write(() => purgeAudit(db, cutoff, batchSize)),
    },
    ping: async () => health.ping(),
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
