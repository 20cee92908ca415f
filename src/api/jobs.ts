// /api/v1/jobs/{id}: the progress of long work started through the API (a bulk resend). A `user` key sees
// only the jobs it started; any other answers 404, as if it did not exist.
import { Elysia } from "elysia";
import { errors, JobResponse } from "./schemas.ts";
import type { Store } from "../store/index.ts";
import { authGuard } from "./auth.ts";
import { apiError } from "./errors.ts";
import type { KeyRing } from "./keys.ts";
import { jobResource } from "./resources.ts";

export function jobRoutes(deps: { store: Store; keys: KeyRing }) {
  return new Elysia({ prefix: "/api/v1/jobs", normalize: false }).use(authGuard(deps.keys)).get(
    "/:id",
    ({ params, apiKey }) => {
      const job = deps.store.getJob(params.id);
      if (!job || (apiKey.role === "user" && job.createdBy !== apiKey.id)) return apiError(404, "not_found", `no job "${params.id}"`);
      return jobResource(job);
    },
    {
      roles: ["admin", "user"],
      response: { 200: JobResponse, ...errors(401, 403, 404) },
      detail: { tags: ["jobs"], summary: "A job's progress (a user key: only the jobs it started)" },
    },
  );
}
