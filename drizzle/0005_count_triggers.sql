-- Keeps event_counts and delivery_counts exact (see src/store/schema.ts): filled from what is stored, then
-- moved by every insert, status or state change and delete, in the same transaction. A delivery's count
-- names its event's type, read from the event: delete deliveries before their event (src/store/purge.ts does),
-- not through the cascade, which runs once the event is gone.
INSERT INTO event_counts (event_type, status, hour, n)
  SELECT event_type, status, created_at / 3600000, count(*) FROM events GROUP BY 1, 2, 3;
--> statement-breakpoint
INSERT INTO delivery_counts (subscription_id, state, event_type, hour, n)
  SELECT d.subscription_id, d.state, e.event_type, d.created_at / 3600000, count(*)
  FROM deliveries d JOIN events e ON e.id = d.event_id GROUP BY 1, 2, 3, 4;
--> statement-breakpoint
CREATE TRIGGER event_counts_insert AFTER INSERT ON events BEGIN
  INSERT INTO event_counts (event_type, status, hour, n) VALUES (NEW.event_type, NEW.status, NEW.created_at / 3600000, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;
--> statement-breakpoint
CREATE TRIGGER event_counts_status AFTER UPDATE OF status ON events WHEN OLD.status IS NOT NEW.status BEGIN
  UPDATE event_counts SET n = n - 1
    WHERE event_type = OLD.event_type AND status = OLD.status AND hour = OLD.created_at / 3600000;
  INSERT INTO event_counts (event_type, status, hour, n) VALUES (NEW.event_type, NEW.status, NEW.created_at / 3600000, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;
--> statement-breakpoint
CREATE TRIGGER event_counts_delete AFTER DELETE ON events BEGIN
  UPDATE event_counts SET n = n - 1
    WHERE event_type = OLD.event_type AND status = OLD.status AND hour = OLD.created_at / 3600000;
END;
--> statement-breakpoint
CREATE TRIGGER delivery_counts_insert AFTER INSERT ON deliveries BEGIN
  INSERT INTO delivery_counts (subscription_id, state, event_type, hour, n)
    VALUES (NEW.subscription_id, NEW.state, (SELECT event_type FROM events WHERE id = NEW.event_id), NEW.created_at / 3600000, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;
--> statement-breakpoint
CREATE TRIGGER delivery_counts_state AFTER UPDATE OF state ON deliveries WHEN OLD.state IS NOT NEW.state BEGIN
  UPDATE delivery_counts SET n = n - 1
    WHERE subscription_id = OLD.subscription_id AND state = OLD.state AND hour = OLD.created_at / 3600000
      AND event_type = (SELECT event_type FROM events WHERE id = OLD.event_id);
  INSERT INTO delivery_counts (subscription_id, state, event_type, hour, n)
    VALUES (NEW.subscription_id, NEW.state, (SELECT event_type FROM events WHERE id = NEW.event_id), NEW.created_at / 3600000, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;
--> statement-breakpoint
CREATE TRIGGER delivery_counts_delete AFTER DELETE ON deliveries BEGIN
  UPDATE delivery_counts SET n = n - 1
    WHERE subscription_id = OLD.subscription_id AND state = OLD.state AND hour = OLD.created_at / 3600000
      AND event_type = (SELECT event_type FROM events WHERE id = OLD.event_id);
END;
