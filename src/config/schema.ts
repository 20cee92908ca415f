// The shape of webhooks.config.yaml. The API reuses these schemas so both speak the same field names.
import { type Static, Type } from "@sinclair/typebox";
import { DURATION_PATTERN } from "./duration.ts";
import "./formats.ts";

const Duration = Type.String({ pattern: DURATION_PATTERN, description: "e.g. 500ms, 64s, 12m, 1h, 30d" });
const StatusCode = Type.Integer({ minimum: 100, maximum: 599 });
export const NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$";

export const RetryPolicySchema = Type.Object(
  {
    timeout: Duration,
    schedule: Type.Array(Duration, { description: "delays before each retry" }),
    success: Type.Union([Type.Literal("2xx"), Type.Array(StatusCode, { minItems: 1 })]),
  },
  { additionalProperties: false },
);

export const EventTypeSchema = Type.Object(
  {
    name: Type.String({ pattern: NAME_PATTERN }),
    object_type: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const PluginChoiceSchema = Type.Object({ plugin: Type.String({ minLength: 1 }) }, { additionalProperties: true });

export const SubscriptionSchema = Type.Object(
  {
    id: Type.String({ pattern: NAME_PATTERN }),
    url: Type.String({ pattern: "^https?://", description: "http or https endpoint that receives the POSTs" }),
    events: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    transformer: Type.Optional(Type.Union([Type.String({ minLength: 1 }), PluginChoiceSchema])),
    auth: Type.Optional(PluginChoiceSchema),
    headers: Type.Optional(Type.Record(Type.String(), Type.String())),
    retry: Type.Optional(Type.Partial(RetryPolicySchema)),
  },
  { additionalProperties: false },
);

export const API_ROLES = ["publisher", "admin", "user"] as const;
export type ApiRole = (typeof API_ROLES)[number];

export const ApiKeySchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    role: Type.Union(API_ROLES.map((role) => Type.Literal(role))),
    token: Type.String({ minLength: 16, description: "at least 16 characters" }),
    subscriptions: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);

export const ConfigFileSchema = Type.Object(
  {
    server: Type.Optional(
      Type.Object(
        {
          host: Type.Optional(Type.String()),
          // A string of digits too, since `port: ${PORT}` is a string once interpolated.
          port: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 65535 }), Type.String({ pattern: "^[0-9]{1,5}$" })], { description: "a port number, 0-65535" })),
          public_url: Type.Optional(Type.String({ pattern: "^https?://" })),
        },
        { additionalProperties: false },
      ),
    ),
    storage: Type.Optional(Type.Object({ sqlite: Type.String({ minLength: 1 }) }, { additionalProperties: false })),
    retention: Type.Optional(Duration),
    retry: Type.Optional(Type.Partial(RetryPolicySchema)),
    delivery: Type.Optional(
      Type.Object(
        {
          concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096 })),
          per_subscription: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096 })),
        },
        { additionalProperties: false },
      ),
    ),
    plugins: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    event_types: Type.Array(EventTypeSchema, { minItems: 1 }),
    subscriptions: Type.Optional(Type.Array(SubscriptionSchema)),
    api_keys: Type.Array(ApiKeySchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);

export type ConfigFile = Static<typeof ConfigFileSchema>;
export type SubscriptionFile = Static<typeof SubscriptionSchema>;
export type EventType = Static<typeof EventTypeSchema>;
export type ApiKey = Static<typeof ApiKeySchema>;
