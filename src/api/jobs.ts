// /api/v1/jobs/{id}: the progress of long work started through the API (a bulk resend). A `user` key sees
// only the jobs it started; any other answers 404, as if it did not exist.
import { Elysia } from "elysia";
import type { KeyRing } from "../services/api-keys.ts";
import type { EventService } from "../services/events.ts";
import { authGuard } from "./auth.ts";
import { apiError } from "./errors.ts";
import { jobResource } from "./resources.ts";
import { errors, JobResponse } from "./schemas.ts";

export function jobRoutes(deps: { events: EventService; keys: KeyRing }) {
  return new Elysia({ prefix: "/api/v1/jobs", normalize: false }).use(authGuard(deps.keys)).get(
    "/:id",
    async ({ params, apiKey }) => {
      const job = await deps.events.job(params.id, apiKey);
      return job ? jobResource(job) : apiError(404, "not_found", `no job "${params.id}"`);
    },
    {
      roles: ["admin", "user"],
      response: { 200: JobResponse, ...errors(401, 403, 404) },
      detail: { tags: ["jobs"], summary: "A job's progress (a user key: only the jobs it started)" },
    },
  );
}
