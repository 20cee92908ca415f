// The event log's search (domain/search.ts) in SQLite: ids are primary keys, and the object's words are in
// an FTS5 index (event_search, drizzle/0006_event_search.sql) kept in step by triggers. The index is
// contentless: it holds the words and each event's id, not a second copy of the text.
import { sql, type SQL } from "drizzle-orm";
import type { Db } from "./db.ts";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { searchWords } from "../../domain/search.ts";

/** The query as one FTS5 phrase (its words in order), or null when it has no word to look for. */
function phrase(query: string): string | null {
  const words = searchWords(query);
  return words.length === 0 ? null : `"${words.join(" ")}"`;
}

/**
 * The events a query finds, as a condition on a column holding event ids. One IN over a union, so SQLite
 * looks the few matches up by key instead of walking the whole log to test each event against three ORs.
 */
export function searchCondition(eventId: SQLiteColumn, query: string): SQL {
  const q = query.trim();
  const words = phrase(q);
  const byWords = words === null ? sql`` : sql` UNION SELECT event_id FROM event_search WHERE event_search MATCH ${words}`;
  return sql`${eventId} IN (SELECT ${q} UNION SELECT event_id FROM deliveries WHERE id = ${q}${byWords})`;
}

/** How many events hold the query's words, counted no further than `atMost`: cheap however common the words. */
export function countWordMatches(db: Db, query: string, atMost: number): number {
  const words = phrase(query);
  if (words === null) return 0;
  return db.$client.query<{ n: number }, [string, number]>("SELECT count(*) AS n FROM (SELECT 1 FROM event_search WHERE event_search MATCH ? LIMIT ?)").get(words, atMost)!.n;
}
