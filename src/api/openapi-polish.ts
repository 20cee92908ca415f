// What @elysiajs/openapi leaves out of /openapi.json or writes in a way validators refuse, added from what the
// app does: 204s without content, 413 and 415 on every route taking a body, 429 on every route taking a key, the Link, X-Total-Count and
// Location headers, page numbers as plain integers, and the server the document is served by.
type Json = Record<string, any>;

const LIST_HEADERS = {
  Link: { description: "RFC 8288 links to the pages: rel self, first, prev, next, last", schema: { type: "string" } },
  "X-Total-Count": { description: "how many items match, over every page", schema: { type: "integer", minimum: 0 } },
};
const LOCATION = { Location: { description: "the resource's URI", schema: { type: "string" } } };
/** Operations answering with Location, by status (see their routes). */
const LOCATED: Record<string, string[]> = {
  "post /api/v1/events": ["200", "202"],
  "post /api/v1/events/resend": ["202"],
  "post /api/v1/subscriptions": ["201"],
  "post /api/v1/api_keys": ["201"],
};
const BODY_REFUSALS = {
  "413": "the body is larger than server.max_body_size (answered before the key is checked)",
  "415": "the body is not JSON: Content-Type must be application/json, a +json type, or none",
};

const RATE_LIMITED = "the key is over its rate_limit: try again after Retry-After seconds";
const RETRY_AFTER = { "Retry-After": { description: "seconds to wait", schema: { type: "integer", minimum: 1 } } };

export function polishDocument(generated: Json): Json {
  const doc: Json = structuredClone(generated);
  doc.servers = [{ url: "/", description: "the Herald serving this document" }];
  for (const [path, item] of Object.entries<Json>(doc.paths ?? {})) {
    for (const [method, operation] of Object.entries<Json>(item)) {
      const responses: Json = operation.responses ?? {};
      // Elysia writes t.Void() as `content: {type: "void"}`, which is no media type: a 204 has no content.
      if (responses["204"]) responses["204"] = { description: responses["204"].description ?? "no content" };
      const errorContent = Object.entries<Json>(responses).find(([status]) => status.startsWith("4"))?.[1].content;
      // Every route that takes a key answers 429 past the key's rate_limit (api_keys[].rate_limit).
      if (responses["401"] && errorContent) responses["429"] ??= { description: RATE_LIMITED, content: errorContent, headers: RETRY_AFTER };
      if (operation.requestBody && errorContent) {
        for (const [status, description] of Object.entries(BODY_REFUSALS)) responses[status] ??= { description, content: errorContent };
      }
      if (method === "get" && operation.parameters?.some((p: Json) => p.name === "page") && responses["200"]) responses["200"].headers = LIST_HEADERS;
      for (const status of LOCATED[`${method} ${path}`] ?? []) if (responses[status]) responses[status].headers = LOCATION;
      operation.responses = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
    }
  }
  doc.paths = plainNumbers(doc.paths);
  return doc;
}

/**
 * Elysia writes `t.Integer` as `string of an integer | integer` (so that it can parse query strings), with a
 * non-standard `format: integer`; what goes over the wire as JSON, and what a client sends, is the integer.
 */
function plainNumbers(value: unknown): any {
  if (Array.isArray(value)) return value.map(plainNumbers);
  if (typeof value !== "object" || value === null) return value;
  const schema = value as Json;
  const numeric = schema.anyOf?.find((branch: Json) => branch.type === "integer" || branch.type === "number");
  const numericAsText = schema.anyOf?.length === 2 && schema.anyOf.some((branch: Json) => branch.type === "string" && ["integer", "numeric"].includes(branch.format));
  if (numeric && numericAsText) {
    const { anyOf: _, ...outer } = schema;
    return plainNumbers({ ...outer, ...numeric });
  }
  return Object.fromEntries(Object.entries(schema).map(([key, item]) => [key, plainNumbers(item)]));
}
