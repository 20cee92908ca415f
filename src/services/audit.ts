// The audit log: every change made through the API (or the page, which speaks it) and every config reload,
// with who made it, when, what, and the fields it set. Callers give what may be shown (secrets are redacted
// the way the API shows them: see subscriptions/spec.ts); a token or a secret never reaches an entry.
import type { Clock } from "../clock.ts";
import type { AuditEntry, AuditFilter, Page, Store } from "../store/index.ts";
import type { ApiKey } from "../domain/subscription.ts";

export class AuditLog {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** `by`: the API key that made the change, or what reloaded the config (SIGHUP, the file watch). */
  record(by: Pick<ApiKey, "id" | "name"> | string, action: string, target: string | null, changes: Record<string, unknown> = {}): Promise<void> {
    const actor = typeof by === "string" ? { actor: by, actorId: null } : { actor: by.name, actorId: by.id };
    return this.store.audit.record({ at: this.clock.now(), ...actor, action, target, changes });
  }

  list(filter: AuditFilter, offset: number, limit: number): Promise<Page<AuditEntry>> {
    return this.store.audit.list(filter, offset, limit);
  }
}

/** The fields a change set, as the API shows them afterwards (secrets left out or "[redacted]"). */
export function changedFields(fields: string[], shown: Record<string, unknown>): Record<string, unknown> {
  return { fields, after: Object.fromEntries(fields.map((field) => [field, shown[field] ?? null])) };
}
