// /api/v1/audit (admin): every change made through the API and every config reload, newest first, paged like
// the event log and filtered by who, what, which and when. Entries go with the retention period.
import { Elysia, t } from "elysia";
import type { AuditLog } from "../services/audit.ts";
import type { KeyRing } from "../services/api-keys.ts";
import { authGuard } from "./auth.ts";
import { DEFAULT_PER_PAGE, PageQuery, paginationHeaders } from "./pagination.ts";
import { queryCheck } from "./query-check.ts";
import { AuditEntryResponse, errors } from "./schemas.ts";

const AuditQuery = t.Object({
  actor: t.Optional(t.String({ description: "an API key's name" })),
  action: t.Optional(t.String({ description: "e.g. subscription.changed" })),
  target: t.Optional(t.String({ description: "a subscription, key, event or job id" })),
  since: t.Optional(t.String({ format: "date-time", description: "inclusive" })),
  until: t.Optional(t.String({ format: "date-time", description: "exclusive" })),
  ...PageQuery,
});

export function auditRoutes(deps: { audit: AuditLog; keys: KeyRing }) {
  return new Elysia({ prefix: "/api/v1/audit", normalize: false })
    .use(authGuard(deps.keys))
    .use(queryCheck)
    .get(
      "",
      async ({ query, set, request }) => {
        const page = query.page ?? 1;
        const perPage = query.per_page ?? DEFAULT_PER_PAGE;
        const { actor, action, target } = query;
        const time = (value: string | undefined) => (value === undefined ? undefined : Date.parse(value));
        const filter = { actor, action, target, since: time(query.since), until: time(query.until) };
        const result = await deps.audit.list(filter, (page - 1) * perPage, perPage);
        Object.assign(set.headers, paginationHeaders(new URL(request.url), page, perPage, result.total));
        return result.items.map((entry) => ({
          id: entry.id,
          at: new Date(entry.at).toISOString(),
          actor: entry.actor,
          actor_id: entry.actorId,
          action: entry.action,
          target: entry.target,
          changes: entry.changes,
        }));
      },
      {
        roles: ["admin"],
        query: AuditQuery,
        wholeQuery: AuditQuery,
        response: { 200: t.Array(AuditEntryResponse), ...errors(400, 401, 403) },
        detail: { tags: ["audit"], summary: "The audit log: who changed what through the API, and config reloads, newest first (Link and X-Total-Count headers)" },
      },
    );
}
