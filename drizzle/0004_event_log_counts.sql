CREATE TABLE `delivery_counts` (
	`subscription_id` text NOT NULL,
	`state` text NOT NULL,
	`event_type` text NOT NULL,
	`hour` integer NOT NULL,
	`n` integer NOT NULL,
	PRIMARY KEY(`subscription_id`, `state`, `event_type`, `hour`)
);
--> statement-breakpoint
CREATE TABLE `event_counts` (
	`event_type` text NOT NULL,
	`status` text NOT NULL,
	`hour` integer NOT NULL,
	`n` integer NOT NULL,
	PRIMARY KEY(`event_type`, `status`, `hour`)
);
--> statement-breakpoint
DROP INDEX `deliveries_subscription_event_idx`;--> statement-breakpoint
CREATE INDEX `deliveries_subscription_created_idx` ON `deliveries` (`subscription_id`,`created_at`,`event_id`);--> statement-breakpoint
CREATE INDEX `deliveries_subscription_state_idx` ON `deliveries` (`subscription_id`,`state`,`created_at`,`event_id`) WHERE "deliveries"."state" <> 'succeeded';--> statement-breakpoint
DROP INDEX `events_type_created_idx`;--> statement-breakpoint
DROP INDEX `events_status_created_idx`;--> statement-breakpoint
CREATE INDEX `events_type_created_id_idx` ON `events` (`event_type`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `events_status_created_id_idx` ON `events` (`status`,`created_at`,`id`);