CREATE TABLE `attempts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`delivery_id` text NOT NULL,
	`number` integer NOT NULL,
	`started_at` integer NOT NULL,
	`duration_ms` integer NOT NULL,
	`url` text NOT NULL,
	`request_headers` text NOT NULL,
	`response_status` integer,
	`response_body` text,
	`error_kind` text,
	`error_message` text,
	`success` integer NOT NULL,
	FOREIGN KEY (`delivery_id`) REFERENCES `deliveries`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `attempts_delivery_idx` ON `attempts` (`delivery_id`,`number`);--> statement-breakpoint
CREATE TABLE `deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`subscription_id` text NOT NULL,
	`state` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`round_attempts` integer DEFAULT 0 NOT NULL,
	`due_at` integer,
	`claim` integer DEFAULT 0 NOT NULL,
	`leased` integer DEFAULT false NOT NULL,
	`resend` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `deliveries_subscription_due_idx` ON `deliveries` (`subscription_id`,`due_at`) WHERE "deliveries"."due_at" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `deliveries_due_idx` ON `deliveries` (`due_at`) WHERE "deliveries"."due_at" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `deliveries_event_idx` ON `deliveries` (`event_id`);--> statement-breakpoint
CREATE INDEX `deliveries_subscription_event_idx` ON `deliveries` (`subscription_id`,`event_id`);--> statement-breakpoint
CREATE TABLE `events` (
	`id` text PRIMARY KEY NOT NULL,
	`event_type` text NOT NULL,
	`object_type` text NOT NULL,
	`object` text NOT NULL,
	`triggered_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`status` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `events_created_idx` ON `events` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `events_type_created_idx` ON `events` (`event_type`,`created_at`);--> statement-breakpoint
CREATE INDEX `events_status_created_idx` ON `events` (`status`,`created_at`);