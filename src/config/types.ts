// The validated configuration the rest of Herald reads: durations in milliseconds, defaults applied, paths absolute.
import type { ApiRole } from "./schema.ts";

export interface RetryPolicy {
  timeoutMs: number;
  /** Delays before each retry: 1 + scheduleMs.length attempts in all. */
  scheduleMs: number[];
  success: "2xx" | number[];
}

export interface PluginChoice {
  name: string;
  options: Record<string, unknown>;
}

export interface Subscription {
  id: string;
  url: string;
  /** Event type names, or "*" for all of them. */
  events: string[];
  transformer: PluginChoice;
  auth: PluginChoice | null;
  headers: Record<string, string>;
  retry: RetryPolicy;
}

export interface EventTypeConfig {
  name: string;
  objectType: string;
  description?: string;
}

export interface ApiKeyConfig {
  name: string;
  role: ApiRole;
  token: string;
  /** For role `user`: the subscriptions whose events it may see. */
  subscriptions: string[];
}

export interface Config {
  /** Absolute path of the file this came from. */
  file: string;
  /** maxBodyBytes: the largest request body the API reads (413 beyond). */
  server: { host: string; port: number; publicUrl: string; maxBodyBytes: number };
  storage: { sqlitePath: string };
  retentionMs: number;
  retry: RetryPolicy;
  delivery: { concurrency: number; perSubscription: number };
  plugins: string[];
  eventTypes: EventTypeConfig[];
  subscriptions: Subscription[];
  apiKeys: ApiKeyConfig[];
}

export interface ConfigProblem {
  /** YAML path such as `subscriptions[0].url`; empty for the whole file. */
  path: string;
  line: number | null;
  message: string;
}
