CREATE TABLE `jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`state` text NOT NULL,
	`created_by` text NOT NULL,
	`params` text NOT NULL,
	`cursor_created_at` integer,
	`cursor_id` text,
	`total` integer NOT NULL,
	`done` integer DEFAULT 0 NOT NULL,
	`resent` integer DEFAULT 0 NOT NULL,
	`error` text,
	`created_at` integer NOT NULL,
	`finished_at` integer
);
