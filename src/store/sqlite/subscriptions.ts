// Subscriptions and API keys as stored: the directory and the key ring keep them in memory and write here.
import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "./db.ts";
import { apiKeys, subscriptions } from "./schema.ts";
import type { ApiKeyRow, SubscriptionRow, SubscriptionSpec } from "../types.ts";
import type { SubscriptionHealth } from "../../domain/subscription.ts";

export function listSubscriptions(db: Db): SubscriptionRow[] {
  return db
    .select()
    .from(subscriptions)
    .all()
    .map(({ failingSince, disabledReason, disabledAt, ...row }) => ({
      ...row,
      health: { failingSince, disabled: disabledReason === null ? null : { reason: disabledReason, at: disabledAt ?? 0 } },
    }));
}

export function insertSubscription(db: Db, { health: _, ...row }: SubscriptionRow) {
  db.insert(subscriptions).values(row).run();
}

export function setSubscriptionHealth(db: Db, id: string, health: SubscriptionHealth) {
  db.update(subscriptions)
    .set({ failingSince: health.failingSince, disabledReason: health.disabled?.reason ?? null, disabledAt: health.disabled?.at ?? null })
    .where(eq(subscriptions.id, id))
    .run();
}

export function updateSubscription(db: Db, id: string, spec: SubscriptionSpec, now: number) {
  db.update(subscriptions).set({ spec, updatedAt: now }).where(eq(subscriptions.id, id)).run();
}

/** Kept, marked deleted: its deliveries and attempts stay readable and its id is never handed out again. */
export function deleteSubscription(db: Db, id: string, now: number) {
  db.update(subscriptions).set({ deletedAt: now, updatedAt: now }).where(eq(subscriptions.id, id)).run();
}

/**
 * Makes the stored config-owned subscriptions match the file: new ones added, changed ones updated, and those
 * no longer in the file marked removed (kept, so their history stays readable). The caller has checked that no
 * id belongs to an API-created subscription.
 */
export function syncConfigSubscriptions(db: Db, specs: SubscriptionSpec[], now: number) {
  db.transaction(() => {
    const stored = new Map(
      listSubscriptions(db)
        .filter((r) => r.source === "config")
        .map((r) => [r.id, r]),
    );
    for (const spec of specs) {
      const row = stored.get(spec.id);
      if (!row) db.insert(subscriptions).values({ id: spec.id, source: "config", spec, createdAt: now, updatedAt: now }).run();
      else if (row.removedAt !== null || row.deletedAt !== null || JSON.stringify(row.spec) !== JSON.stringify(spec))
        db.update(subscriptions).set({ spec, removedAt: null, deletedAt: null, updatedAt: now, failingSince: null, disabledReason: null, disabledAt: null }).where(eq(subscriptions.id, spec.id)).run();
      stored.delete(spec.id);
    }
    for (const gone of stored.values()) {
      if (gone.removedAt === null)
        db.update(subscriptions)
          .set({ removedAt: now, updatedAt: now })
          .where(and(eq(subscriptions.id, gone.id), isNull(subscriptions.removedAt)))
          .run();
    }
  });
}

export function rewriteSpecs(db: Db, rows: { id: string; spec: SubscriptionSpec }[]) {
  db.transaction(() => {
    for (const { id, spec } of rows) db.update(subscriptions).set({ spec }).where(eq(subscriptions.id, id)).run();
  });
}

export function listApiKeys(db: Db): ApiKeyRow[] {
  return db.select().from(apiKeys).all();
}

export function insertApiKey(db: Db, row: ApiKeyRow) {
  db.insert(apiKeys).values(row).run();
}

export function deleteApiKey(db: Db, id: string): boolean {
  return db.delete(apiKeys).where(eq(apiKeys.id, id)).returning({ id: apiKeys.id }).all().length > 0;
}
