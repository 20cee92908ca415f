// The validated configuration the rest of Herald reads: durations in milliseconds, defaults applied, paths absolute.
import type { LogLevel } from "../log.ts";
import type { PluginRegistry } from "../plugins/registry.ts";
import type { ApiKey, RetryPolicy, Subscription, TlsFiles } from "../domain/subscription.ts";
import type { RateLimit } from "../domain/rate-limit.ts";

export interface EventTypeConfig {
  name: string;
  objectType: string;
  description?: string;
}

export interface Config {
  /** Absolute path of the file this came from. */
  file: string;
  /**
   * maxBodyBytes: the largest request body the API reads (413 beyond); maxBodyMemoryBytes: the most that all
   * bodies being read at once may hold (503 beyond).
   */
  server: { host: string; port: number; publicUrl: string; maxBodyBytes: number; maxBodyMemoryBytes: number; tls: { certFile: string; keyFile: string } | null };
  storage: { sqlitePath: string };
  /** keyFile: `secrets.key_file`, absolute, or null for the default beside the database (see secrets/keys.ts). */
  secrets: { keyFile: string | null };
  retentionMs: number;
  retry: RetryPolicy;
  /** blockPrivateNetworks, allowNetworks: see delivery/outbound.ts. */
  delivery: {
    concurrency: number;
    perSubscription: number;
    blockPrivateNetworks: boolean;
    allowNetworks: string[];
    /** The default TLS files toward receivers (absolute paths); a subscription's own `tls` overrides each it names. */
    tls: TlsFiles;
    /** The proxy for http and for https receivers (delivery.proxy, else HTTP_PROXY / HTTPS_PROXY), and hosts reached without it. */
    /** The default of subscriptions that set none. */
    rateLimit: RateLimit | null;
    proxy: { http: string | null; https: string | null; noProxy: string[] };
  };
  log: { level: LogLevel };
  /** The SHA-256 (lowercase hex) of the token that opens GET /metrics beside admin keys, or null for none. */
  metrics: { tokenSha256: string | null };
  plugins: string[];
  eventTypes: EventTypeConfig[];
  subscriptions: Subscription[];
  apiKeys: ApiKey[];
  /** Re-read the file when it changes (SIGHUP always re-reads it). */
  watch: boolean;
}

export interface ConfigProblem {
  /** YAML path such as `subscriptions[0].url`; empty for the whole file. */
  path: string;
  line: number | null;
  message: string;
}

/**
 * The configuration in force and its plugins. One shared object: a reload replaces both fields, and everything
 * that reads them (the API, the worker, the retention sweep) sees the new ones at its next use.
 */
export interface LiveConfig {
  config: Config;
  plugins: PluginRegistry;
}
