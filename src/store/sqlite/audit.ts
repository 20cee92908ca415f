// The audit log as stored: appended to, read newest first with filters, purged with the retention period.
import { and, count, desc, eq, gte, inArray, lt, type SQL } from "drizzle-orm";
import type { Db } from "./db.ts";
import { auditLog } from "./schema.ts";
import type { AuditEntry, AuditFilter, Page } from "../types.ts";

export function recordAudit(db: Db, entry: Omit<AuditEntry, "id">) {
  db.insert(auditLog).values(entry).run();
}

export function listAudit(db: Db, filter: AuditFilter, offset: number, limit: number): Page<AuditEntry> {
  const conditions: SQL[] = [];
  if (filter.actor !== undefined) conditions.push(eq(auditLog.actor, filter.actor));
  if (filter.action !== undefined) conditions.push(eq(auditLog.action, filter.action));
  if (filter.target !== undefined) conditions.push(eq(auditLog.target, filter.target));
  if (filter.since !== undefined) conditions.push(gte(auditLog.at, filter.since));
  if (filter.until !== undefined) conditions.push(lt(auditLog.at, filter.until));
  const where = and(...conditions);
  const items = db.select().from(auditLog).where(where).orderBy(desc(auditLog.at), desc(auditLog.id)).limit(limit).offset(offset).all();
  const total = db.select({ n: count() }).from(auditLog).where(where).get()!.n;
  return { items, total };
}

export function purgeAudit(db: Db, cutoff: number, batchSize: number): number {
  const old = db
    .select({ id: auditLog.id })
    .from(auditLog)
    .where(lt(auditLog.at, cutoff))
    .limit(batchSize)
    .all()
    .map((row) => row.id);
  db.delete(auditLog).where(inArray(auditLog.id, old)).run();
  return old.length;
}
