-- The event log's search (src/store/sqlite/search.ts): the words of each event's object (its string and number
-- values, in document order; see src/domain/search.ts) in an FTS5 index, with the event's id beside them.
-- Contentless (the text is in events already), deletable, keyed by the event's rowid; triggers keep it in step.
CREATE VIRTUAL TABLE event_search USING fts5(
  event_id UNINDEXED, words,
  content = '', contentless_delete = 1, contentless_unindexed = 1,
  tokenize = 'unicode61 remove_diacritics 0'
);
--> statement-breakpoint
INSERT INTO event_search (rowid, event_id, words)
  SELECT rowid, id, (SELECT group_concat(value, ' ') FROM json_tree(events.object) WHERE type IN ('text', 'integer', 'real')) FROM events;
--> statement-breakpoint
CREATE TRIGGER event_search_insert AFTER INSERT ON events BEGIN
  INSERT INTO event_search (rowid, event_id, words)
    VALUES (NEW.rowid, NEW.id, (SELECT group_concat(value, ' ') FROM json_tree(NEW.object) WHERE type IN ('text', 'integer', 'real')));
END;
--> statement-breakpoint
CREATE TRIGGER event_search_delete AFTER DELETE ON events BEGIN
  DELETE FROM event_search WHERE rowid = OLD.rowid;
END;
