// drizzle-kit's migrations, embedded (as text imports) so the compiled binary carries them.
// After `npm run db:generate`, add the new file here; a test checks this list against the journal.
import { createHash } from "node:crypto";
import journal from "../../../drizzle/meta/_journal.json";
import init from "../../../drizzle/0000_init.sql" with { type: "text" };
import subscriptionsAndApiKeys from "../../../drizzle/0001_subscriptions_and_api_keys.sql" with { type: "text" };
import attemptRetryAfter from "../../../drizzle/0002_attempt_retry_after.sql" with { type: "text" };
import jobs from "../../../drizzle/0003_jobs.sql" with { type: "text" };
import eventLogCounts from "../../../drizzle/0004_event_log_counts.sql" with { type: "text" };
import countTriggers from "../../../drizzle/0005_count_triggers.sql" with { type: "text" };
import auditLog from "../../../drizzle/0006_audit_log.sql" with { type: "text" };
import eventSearch from "../../../drizzle/0007_event_search.sql" with { type: "text" };
import deliveryControl from "../../../drizzle/0008_delivery_control.sql" with { type: "text" };

const SQL_BY_TAG: Record<string, string> = {
  "0000_init": init,
  "0001_subscriptions_and_api_keys": subscriptionsAndApiKeys,
  "0002_attempt_retry_after": attemptRetryAfter,
  "0003_jobs": jobs,
  "0004_event_log_counts": eventLogCounts,
  "0005_count_triggers": countTriggers,
  "0006_audit_log": auditLog,
  "0007_event_search": eventSearch,
  "0008_delivery_control": deliveryControl,
};

export interface EmbeddedMigration {
  tag: string;
  sql: string[];
  folderMillis: number;
  hash: string;
  bps: boolean;
}

/** The same records drizzle's readMigrationFiles() builds from the folder, built from the embedded text. */
export function embeddedMigrations(): EmbeddedMigration[] {
  return journal.entries.map((entry) => {
    const text = SQL_BY_TAG[entry.tag];
    if (text === undefined) throw new Error(`migration ${entry.tag} is in the journal but not embedded in src/store/migrations.ts`);
    return {
      tag: entry.tag,
      sql: text.split("--> statement-breakpoint"),
      folderMillis: entry.when,
      hash: createHash("sha256").update(text).digest("hex"),
      bps: entry.breakpoints,
    };
  });
}

export const EMBEDDED_TAGS = Object.keys(SQL_BY_TAG);
