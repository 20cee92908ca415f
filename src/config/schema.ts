// The shape of webhooks.config.yaml. The API reuses these schemas so both speak the same field names.
import { KindGuard, type Static, type TSchema, Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { LOG_LEVELS } from "../log.ts";
import { DURATION_PATTERN } from "./duration.ts";
import "./formats.ts";
import { salvageItem } from "./salvage.ts";
import { SIZE_PATTERN } from "./size.ts";
import { API_ROLES, ON_GONE } from "../domain/vocabulary.ts";
import { ORDERING_KEY_PATTERN } from "../domain/delivery-control.ts";
import { RATE_PATTERN } from "../domain/rate-limit.ts";

const Duration = Type.String({ pattern: DURATION_PATTERN, description: "e.g. 500ms, 64s, 12m, 1h, 30d" });
const Size = Type.String({ pattern: SIZE_PATTERN, description: "e.g. 512KiB, 1MiB" });
const StatusCode = Type.Integer({ minimum: 100, maximum: 599 });
const PORT_PATTERN = "^0*([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$";
export const NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$";

export const RetryPolicySchema = Type.Object(
  {
    timeout: Duration,
    schedule: Type.Array(Duration, { description: "delays before each retry" }),
    success: Type.Union([Type.Literal("2xx"), Type.Array(StatusCode, { minItems: 1 })]),
    // The longest wait a 429 or 503 Retry-After may ask for (default 1h; 0s ignores Retry-After).
    max_retry_after: Type.Optional(Duration),
    // Each wait spread over ±this fraction of itself, so receivers coming back are not hit by every retry at once.
    jitter: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: "a fraction of each delay, 0 to 1 (default 0)" })),
    on_gone: Type.Optional(
      Type.Union([Type.Literal(ON_GONE[0]), Type.Literal(ON_GONE[1])], { description: "what a 410 Gone does beside failing that delivery: fail (nothing more) or disable the subscription" }),
    ),
    disable_after: Type.Optional(Type.Union([Duration, Type.Literal("off")], { description: "a duration such as 5d, or off (the default)" })),
  },
  { additionalProperties: false },
);

/** `20/s` or `600/m`: at most that many attempts to a subscription's receiver in any second (minute); `off` for none. */
export const RateLimitSchema = Type.Union([Type.String({ pattern: RATE_PATTERN }), Type.Literal("off")], { description: "attempts per second, minute or hour, e.g. 20/s, 600/m or 5000/h, or off" });

/** Delivery in publish order: `fifo` (one line per subscription) or `{fifo: true, key: object.<field>}` (one line per key). */
export const OrderingSchema = Type.Union([
  Type.Literal("fifo"),
  Type.Object(
    {
      fifo: Type.Literal(true),
      key: Type.Optional(Type.String({ pattern: ORDERING_KEY_PATTERN, description: "a field of the event's object, e.g. object.$uri" })),
    },
    { additionalProperties: false },
  ),
]);

export const EventTypeSchema = Type.Object(
  {
    name: Type.String({ pattern: NAME_PATTERN }),
    object_type: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const PluginChoiceSchema = Type.Object({ plugin: Type.String({ minLength: 1 }) }, { additionalProperties: true });

const FilePath = Type.String({ minLength: 1, description: "a file path, relative to the config file's folder" });

/** TLS toward receivers: a site's own CA to trust, and a client certificate to present (mTLS). */
export const OutboundTlsSchema = Type.Object(
  {
    ca_file: Type.Optional(FilePath),
    cert_file: Type.Optional(FilePath),
    key_file: Type.Optional(FilePath),
  },
  { additionalProperties: false },
);

export const SubscriptionSchema = Type.Object(
  {
    id: Type.String({ pattern: NAME_PATTERN }),
    url: Type.String({ pattern: "^https?://", description: "http or https endpoint that receives the POSTs" }),
    events: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    transformer: Type.Optional(Type.Union([Type.String({ minLength: 1 }), PluginChoiceSchema])),
    auth: Type.Optional(PluginChoiceSchema),
    headers: Type.Optional(Type.Record(Type.String(), Type.String())),
    retry: Type.Optional(Type.Partial(RetryPolicySchema)),
    enabled: Type.Optional(Type.Boolean({ description: "false: no new deliveries, and unfinished ones fail (default true)" })),
    rate_limit: Type.Optional(RateLimitSchema),
    ordering: Type.Optional(OrderingSchema),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    tls: Type.Optional(OutboundTlsSchema),
  },
  { additionalProperties: false },
);

/** What a token may contain: a colon would end the username when the token is sent as HTTP Basic. */
export const TOKEN_PATTERN = "^[^\\s:]+$";

export const ApiKeySchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    role: Type.Union(API_ROLES.map((role) => Type.Literal(role))),
    token: Type.Optional(Type.String({ minLength: 16, pattern: TOKEN_PATTERN, description: "at least 16 characters, no whitespace or colon" })),
    // The hash instead of the token, so the file holds nothing that opens the API: `printf %s "$TOKEN" | sha256sum`.
    token_sha256: Type.Optional(Type.String({ pattern: "^[0-9a-f]{64}$", description: "the lowercase hex SHA-256 of the token" })),
    subscriptions: Type.Optional(Type.Array(Type.String())),
    expires_at: Type.Optional(Type.String({ format: "date-time", description: "RFC 3339; the key is refused from then on" })),
    // Beyond it: 429 with Retry-After (a token bucket: bursts up to the number, refilled over the period).
    rate_limit: Type.Optional(Type.String({ pattern: RATE_PATTERN, description: "requests per second, minute or hour: 100/s, 6000/m, 50000/h" })),
  },
  { additionalProperties: false },
);

export const ConfigFileSchema = Type.Object(
  {
    server: Type.Optional(
      Type.Object(
        {
          host: Type.Optional(Type.String()),
          // A string of digits too, since `port: ${PORT}` is a string once interpolated; a string has no maximum,
          // so its pattern spells out 0-65535 (leading zeros allowed).
          port: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 65535 }), Type.String({ pattern: PORT_PATTERN })], { description: "a port number, 0-65535" })),
          public_url: Type.Optional(Type.String({ pattern: "^https?://" })),
          max_body_size: Type.Optional(Size),
          // All request bodies being read at once may hold at most this much memory (503 beyond): see api/body-budget.ts.
          max_body_memory: Type.Optional(Size),
          // HTTPS for the API and the page; a reload reads the files again (renewed certificates).
          tls: Type.Optional(Type.Object({ cert_file: FilePath, key_file: FilePath }, { additionalProperties: false })),
        },
        { additionalProperties: false },
      ),
    ),
    storage: Type.Optional(Type.Object({ sqlite: Type.String({ minLength: 1 }) }, { additionalProperties: false })),
    // The key that encrypts stored secrets: HERALD_SECRET_KEY, else this file, else <database>.key (made at first start).
    secrets: Type.Optional(Type.Object({ key_file: Type.Optional(Type.String({ minLength: 1 })) }, { additionalProperties: false })),
    retention: Type.Optional(Duration),
    retry: Type.Optional(Type.Partial(RetryPolicySchema)),
    delivery: Type.Optional(
      Type.Object(
        {
          concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096 })),
          per_subscription: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096 })),
          rate_limit: Type.Optional(RateLimitSchema),
          block_private_networks: Type.Optional(Type.Boolean()),
          allow_networks: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: "CIDRs such as 169.254.10.0/24 or fd00::/8" })),
          tls: Type.Optional(OutboundTlsSchema),
          // An HTTP proxy for every delivery (CONNECT for https receivers); else HTTPS_PROXY / HTTP_PROXY.
          proxy: Type.Optional(Type.String({ pattern: "^https?://", description: "http://host:port" })),
          // Hosts reached without the proxy (else NO_PROXY): a name, a .domain suffix, an address, or *.
          no_proxy: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
        },
        { additionalProperties: false },
      ),
    ),
    log: Type.Optional(
      Type.Object(
        {
          level: Type.Optional(
            Type.Union(
              LOG_LEVELS.map((level) => Type.Literal(level)),
              { description: LOG_LEVELS.join(", ") },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    plugins: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    event_types: Type.Array(EventTypeSchema, { minItems: 1 }),
    subscriptions: Type.Optional(Type.Array(SubscriptionSchema)),
    // None at all: the first start generates an admin key and prints its token once.
    api_keys: Type.Optional(Type.Array(ApiKeySchema)),
    // GET /metrics: answered to this token (a Prometheus scraper's), as to an admin key.
    metrics: Type.Optional(
      Type.Object({ token: Type.Optional(Type.String({ minLength: 16, pattern: TOKEN_PATTERN, description: "at least 16 characters, no whitespace or colon" })) }, { additionalProperties: false }),
    ),
    reload: Type.Optional(Type.Object({ watch: Type.Optional(Type.Boolean({ description: "re-read this file when it changes (default true)" })) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

export type ConfigFile = Static<typeof ConfigFileSchema>;
export type SubscriptionFile = Static<typeof SubscriptionSchema>;
export type EventType = Static<typeof EventTypeSchema>;
export type ApiKey = Static<typeof ApiKeySchema>;

/** A YAML path: keys and array indexes from the top of the file. */
export type PathSegment = string | number;

export function formatPath(segments: PathSegment[]): string {
  return segments.reduce<string>((path, s) => (typeof s === "number" ? `${path}[${s}]` : path ? `${path}.${s}` : s), "");
}

/** typebox's errors, one per path (a union reports several), as YAML path segments. */
export function schemaErrors(schema: TSchema, value: unknown): { segments: PathSegment[]; message: string }[] {
  const seen = new Map<string, string>();
  for (const error of Value.Errors(schema, value)) {
    if (!seen.has(error.path)) seen.set(error.path, describeSchemaError(error.message, error.schema, error.value));
  }
  return [...seen].map(([pointer, message]) => ({ segments: pointerSegments(pointer), message }));
}

/** A JSON pointer (`/subscriptions/0/url`) as path segments (`["subscriptions", 0, "url"]`). */
export function pointerSegments(pointer: string): PathSegment[] {
  return pointer
    .split("/")
    .slice(1)
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

export function describeSchemaError(message: string, schema: TSchema, value: unknown): string {
  const allowed = enumValues(schema);
  if (allowed) return `must be one of ${allowed.join(", ")}${typeof value === "string" ? `, not ${JSON.stringify(value.slice(0, 100))}` : ""}`;
  return schema.description ? `${message} (${schema.description})` : message;
}

/** The values of a union of literals (an enum), which typebox alone reports as "Expected union value". */
export function enumValues(schema: TSchema): string[] | null {
  const options = (schema as { anyOf?: { const?: unknown }[] }).anyOf;
  if (!options?.length || !options.every((option) => typeof option.const === "string" || typeof option.const === "number")) return null;
  return options.map((option) => String(option.const));
}

type ListSection = "plugins" | "event_types" | "subscriptions" | "api_keys";

export interface ValidParts {
  /** Only the sections and list items that passed the schema: safe to resolve and cross-check. */
  file: ConfigFile;
  /** For each list section, the index in the file of each item kept, so problems name the file's path. */
  origin: Record<ListSection, number[]>;
  /** Top-level sections where something failed: a reference into one of them cannot be judged. */
  incomplete: Set<string>;
}

/**
 * Drops every section, and every item of a list section, that fails the schema or holds a `failed` path (an
 * unset variable), keeping the rest. The later checks then run on what is sound instead of on nothing.
 */
export function validParts(raw: unknown, failed: PathSegment[][]): ValidParts {
  const source: Record<string, unknown> = typeof raw === "object" && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  const sound = (schema: TSchema, value: unknown, at: PathSegment[]) => Value.Check(schema, value) && !failed.some((path) => at.every((segment, i) => path[i] === segment));
  const file: Record<string, unknown> = { event_types: [] };
  const origin: ValidParts["origin"] = { plugins: [], event_types: [], subscriptions: [], api_keys: [] };
  const incomplete = new Set(failed.map((path) => String(path[0] ?? "")));
  for (const [key, schema] of Object.entries(ConfigFileSchema.properties)) {
    const value = source[key];
    if (value === undefined) continue;
    if (!KindGuard.IsArray(schema)) {
      if (sound(schema, value, [key])) file[key] = value;
    } else if (Array.isArray(value)) {
      // An item that failed is kept with stand-ins for what failed, so the rest of it is still checked; a
      // section is incomplete only if an item was lost or lost its name (a reference to it cannot be judged).
      let whole = true;
      const kept: [number, unknown][] = [];
      value.forEach((item, index) => {
        if (sound(schema.items, item, [key, index])) return void kept.push([index, item]);
        const fields = new Set(failed.filter((path) => path[0] === key && path[1] === index && path.length > 2).map((path) => String(path[2])));
        const salvaged = salvageItem(key, schema.items, item, index, fields);
        if (salvaged) kept.push([index, salvaged.item]);
        if (!salvaged || salvaged.identityLost) whole = false;
      });
      file[key] = kept.map(([, item]) => item);
      origin[key as ListSection] = kept.map(([index]) => index);
      if (whole) incomplete.delete(key);
    }
  }
  // Each part passed its own piece of the schema, and only the file's own keys were copied.
  return { file: file as ConfigFile, origin, incomplete };
}
