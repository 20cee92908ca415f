// A list's whole query checked at once, so that every bad argument is listed: Elysia converts and checks a
// number in the query alone, before the rest, stops at the first and loses its name.
import { CloneType, Type, type TObject, type TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { Elysia, status } from "elysia";
import { describeSchemaError, formatPath, pointerSegments } from "../config/schema.ts";
import type { ErrorDetail } from "./error-details.ts";

/**
 * `wholeQuery: Schema` on a route (after `roles`, so a caller without a key still gets 401 first): 400 with
 * every bad argument in `details`, before Elysia's own check of the query.
 */
export const queryCheck = new Elysia({ name: "herald-query-check" }).macro({
  wholeQuery: (routeSchema: TObject) => {
    const schema = plainQuery(routeSchema);
    return {
      // Elysia types transform hooks as returning void, yet a returned status ends the request right there.
      transform: (({ query }: { query: Record<string, unknown> }) => {
        const details = queryProblems(schema, query);
        if (details.length === 0) return;
        const more = details.length > 1 ? ` (and ${details.length - 1} more: see details)` : "";
        return status(400, { error: { code: "invalid_request", message: `query ${details[0]!.path}: ${details[0]!.message}${more}`, details } });
      }) as unknown as () => void,
    };
  },
});

export function queryProblems(schema: TObject, query: Record<string, unknown>): ErrorDetail[] {
  const details = new Map<string, ErrorDetail>();
  for (const found of Value.Errors(schema, numbersRead(schema, query))) {
    const path = formatPath(pointerSegments(found.path));
    if (!details.has(path)) details.set(path, { in: "query", path, message: describeSchemaError(found.message, found.schema, found.value) });
  }
  return [...details.values()];
}

/** A numeric argument read as the number it spells exactly ("1.5" stays 1.5, "1e3x" stays text), all else as sent. */
function numbersRead(schema: TObject, query: Record<string, unknown>): Record<string, unknown> {
  const read = (value: unknown) => (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)) ? Number(value) : value);
  return Object.fromEntries(
    Object.entries(query).map(([name, value]) => {
      const type = schema.properties[name]?.type;
      return [name, type === "integer" || type === "number" ? read(value) : value];
    }),
  );
}

/** Elysia's `t.Integer` is `integer | string of an integer` (for queries); the check wants the integer alone. */
function plainQuery(schema: TObject): TObject {
  const properties = Object.fromEntries(
    Object.entries(schema.properties).map(([name, property]) => {
      const numeric = (property.anyOf as TSchema[] | undefined)?.find((branch) => branch.type === "integer" || branch.type === "number");
      if (!numeric) return [name, CloneType(property)];
      const { anyOf: _, ...options } = property;
      const plain = CloneType(numeric, options);
      return [name, schema.required?.includes(name) ? plain : Type.Optional(plain)];
    }),
  );
  return Type.Object(properties);
}
