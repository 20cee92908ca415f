// /api/v1/api_keys (admin): the keys from the config file and those made here. A key made here shows its
// token once, in the answer that creates it; only the token's SHA-256 is stored.
import { Elysia, t } from "elysia";
import type { SubscriptionDirectory } from "../services/subscriptions/directory.ts";
import { authGuard } from "./auth.ts";
import { apiError, refused } from "./errors.ts";
import type { KeyRing } from "../services/api-keys.ts";
import { isRefusal } from "../domain/refusal.ts";
import { changedFields, type AuditLog } from "../services/audit.ts";
import { apiKeyResource } from "./resources.ts";
import { ApiKeyResponse, errors } from "./schemas.ts";
import { API_ROLES } from "../domain/vocabulary.ts";

const CreateBody = t.Object(
  {
    name: t.String({ minLength: 1, maxLength: 200 }),
    role: t.Union(API_ROLES.map((role) => t.Literal(role))),
    subscriptions: t.Optional(t.Array(t.String(), { description: "role user: the subscriptions whose events it may see" })),
    expires_at: t.Optional(t.String({ format: "date-time", description: "RFC 3339; the key is refused from then on" })),
  },
  { additionalProperties: false },
);

export function apiKeyRoutes(deps: { keys: KeyRing; directory: SubscriptionDirectory; audit: AuditLog }) {
  const { keys, directory, audit } = deps;
  const notFound = (id: string) => apiError(404, "not_found", `no API key "${id}"`);

  return new Elysia({ prefix: "/api/v1/api_keys", normalize: false })
    .use(authGuard(keys))
    .get("", () => keys.list().map(apiKeyResource), {
      roles: ["admin"],
      response: { 200: t.Array(ApiKeyResponse), ...errors(401, 403) },
      detail: { tags: ["api keys"], summary: "The API keys: the config file's and those made here (never a token)" },
    })
    .post(
      "",
      async ({ body, set, apiKey }) => {
        const expiresAt = body.expires_at === undefined ? null : Date.parse(body.expires_at);
        const input = { name: body.name, role: body.role, subscriptions: body.subscriptions ?? [], expiresAt };
        const created = await keys.create(input, (id) => directory.get(id) !== undefined);
        if (isRefusal(created)) return refused(created);
        const { entry, token } = created;
        const { name, role, subscriptions = [], expires_at = null } = body;
        await audit.record(apiKey, "api_key.created", entry.key.id, changedFields(["name", "role", "subscriptions", "expires_at"], { name, role, subscriptions, expires_at }));
        set.status = 201;
        set.headers.location = `/api/v1/api_keys/${entry.key.id}`;
        return { ...apiKeyResource(entry), token };
      },
      {
        roles: ["admin"],
        parse: "json",
        body: CreateBody,
        response: { 201: ApiKeyResponse, ...errors(400, 401, 403, 409, 422) },
        detail: { tags: ["api keys"], summary: "Make a key; its token is in this answer only, and only its hash is stored" },
      },
    )
    .get(
      "/:id",
      ({ params }) => {
        const entry = keys.get(params.id);
        return entry ? apiKeyResource(entry) : notFound(params.id);
      },
      { roles: ["admin"], response: { 200: ApiKeyResponse, ...errors(401, 403, 404) }, detail: { tags: ["api keys"], summary: "One API key" } },
    )
    .delete(
      "/:id",
      async ({ params, set, apiKey }) => {
        const name = keys.get(params.id)?.key.name;
        const removed = await keys.remove(params.id);
        if (isRefusal(removed)) return refused(removed);
        await audit.record(apiKey, "api_key.deleted", params.id, { name });
        set.status = 204;
      },
      {
        roles: ["admin"],
        response: { 204: t.Void(), ...errors(401, 403, 404, 409) },
        detail: { tags: ["api keys"], summary: "Delete a key made through the API (not the last admin key that works)" },
      },
    );
}
