// /api/v1/api_keys (admin): the keys from the config file and those made here. A key made here shows its
// token once, in the answer that creates it; only the token's SHA-256 is stored.
import { Elysia, t } from "elysia";
import { API_ROLES } from "../config/schema.ts";
import type { Clock } from "../clock.ts";
import type { SubscriptionDirectory } from "../subscriptions/directory.ts";
import { authGuard } from "./auth.ts";
import { newKeyProblems } from "./api-key-checks.ts";
import { apiError, invalidFields } from "./errors.ts";
import type { KeyRing } from "./keys.ts";
import { apiKeyResource } from "./resources.ts";
import { ApiKeyResponse, errors } from "./schemas.ts";

const CreateBody = t.Object(
  {
    name: t.String({ minLength: 1, maxLength: 200 }),
    role: t.Union(API_ROLES.map((role) => t.Literal(role))),
    subscriptions: t.Optional(t.Array(t.String(), { description: "role user: the subscriptions whose events it may see" })),
    expires_at: t.Optional(t.String({ format: "date-time", description: "RFC 3339; the key is refused from then on" })),
  },
  { additionalProperties: false },
);

export function apiKeyRoutes(deps: { keys: KeyRing; directory: SubscriptionDirectory; clock: Clock }) {
  const { keys, directory, clock } = deps;
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
      ({ body, set }) => {
        if (keys.list().some((entry) => entry.key.name === body.name))
          return apiError(409, "name_taken", `an API key named "${body.name.slice(0, 100)}" exists; names tell keys apart, choose another`);
        const subscriptions = body.subscriptions ?? [];
        const problems = newKeyProblems({ ...body, subscriptions }, (id) => directory.get(id) !== undefined, clock.now());
        if (problems.length > 0) return invalidFields(422, "invalid_api_key", problems);
        const expiresAt = body.expires_at === undefined ? null : Date.parse(body.expires_at);
        const { entry, token } = keys.create({ name: body.name, role: body.role, subscriptions, expiresAt });
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
      ({ params, set }) => {
        const entry = keys.get(params.id);
        if (!entry) return notFound(params.id);
        if (entry.source === "config") return apiError(409, "config_owned", `API key "${params.id}" is declared in the config file; remove it there (the file is reloaded on change or SIGHUP)`);
        const admins = keys.usableAdmins();
        if (admins.length === 1 && admins[0]!.key.id === params.id) return apiError(409, "last_admin_key", "this is the last admin key that works: create another admin key before deleting it");
        keys.remove(params.id);
        set.status = 204;
      },
      {
        roles: ["admin"],
        response: { 204: t.Void(), ...errors(401, 403, 404, 409) },
        detail: { tags: ["api keys"], summary: "Delete a key made through the API (not the last admin key that works)" },
      },
    );
}
