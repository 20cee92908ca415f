ALTER TABLE `attempts` ADD `retry_after` text;--> statement-breakpoint
ALTER TABLE `attempts` ADD `retry_after_ms` integer;