ALTER TABLE `deliveries` ADD `ordering_key` text;--> statement-breakpoint
CREATE INDEX `deliveries_line_idx` ON `deliveries` (`subscription_id`,`ordering_key`,`id`) WHERE "deliveries"."due_at" IS NOT NULL;--> statement-breakpoint
ALTER TABLE `subscriptions` ADD `failing_since` integer;--> statement-breakpoint
ALTER TABLE `subscriptions` ADD `disabled_reason` text;--> statement-breakpoint
ALTER TABLE `subscriptions` ADD `disabled_at` integer;