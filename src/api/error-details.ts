// Every bad field of a refused request, as data: `error.details: [{in, path, message}]`, so a client can show
// each problem beside its field instead of parsing one sentence.
import { t, type ValidationError } from "elysia";
import { describeSchemaError, formatPath, pointerSegments } from "../config/schema.ts";

export const ErrorDetail = t.Object({
  in: t.UnionEnum(["body", "query", "path", "header"], { description: "where the field was sent" }),
  path: t.String({ description: "the field, e.g. retry.timeout or events[1]; empty for the whole body or query" }),
  message: t.String(),
});
export type ErrorDetail = typeof ErrorDetail.static;

const LOCATIONS: Record<string, ErrorDetail["in"]> = { body: "body", query: "query", params: "path", headers: "header" };

/** One detail per bad field (typebox reports a union's failure once per branch: the first one says it best). */
export function validationDetails(error: Readonly<ValidationError>): ErrorDetail[] {
  const where = LOCATIONS[error.type] ?? "body";
  const byPath = new Map<string, ErrorDetail>();
  for (const found of error.all) {
    if (!("path" in found) || typeof found.path !== "string") continue;
    const path = formatPath(pointerSegments(found.path));
    if (byPath.has(path)) continue;
    byPath.set(path, { in: where, path, message: describeSchemaError(found.message, found.schema, found.value) });
  }
  return [...byPath.values()];
}

/** `path: message` problems (as the config checks give them) as body details. */
export function bodyDetails(problems: { path: string; message: string }[]): ErrorDetail[] {
  return problems.map(({ path, message }) => ({ in: "body", path, message }));
}
