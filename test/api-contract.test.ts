// /openapi.json is the contract: independent validators accept it, and every documented operation, driven for
// real (its success and its refusals), answers only statuses it documents, with bodies and headers as documented.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import SwaggerParser from "@apidevtools/swagger-parser";
import { createConfig, lintFromString } from "@redocly/openapi-core";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { ADMIN_TOKEN, configYaml, PUBLISH_TOKEN, startTestHerald, type TestHerald } from "./support/herald.ts";
import { receiverPool } from "./support/receiver.ts";

type Json = Record<string, any>;
const receivers = receiverPool();
let h: TestHerald;
let doc: Json;
beforeAll(async () => {
  const receiver = receivers.start();
  h = await startTestHerald(
    configYaml({
      subscriptions: `  - { id: a, url: "${receiver.url}/a", events: ["*"] }`,
      extra: "server: { host: 127.0.0.1, port: 0, max_body_size: 1KiB }",
    }).replace("server: { host: 127.0.0.1, port: 0 }\n", ""),
  );
  doc = (await (await fetch(`${h.url}/openapi.json`)).json()) as Json;
});
afterAll(async () => {
  await h.close();
  await receivers.stopAll();
});

const operations = () => Object.entries<Json>(doc.paths).flatMap(([path, item]) => Object.entries<Json>(item).map(([method, operation]) => ({ path, method, operation })));

describe("independent validators accept /openapi.json", () => {
  it("@apidevtools/swagger-parser validates it against the OpenAPI 3.1 schema", async () => {
    await SwaggerParser.validate(structuredClone(doc) as any);
  });

  it("Redocly's recommended rules find no error", async () => {
    const config = await createConfig({ extends: ["recommended"] });
    const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: `${h.url}/openapi.json`, config });
    // The only warning left: Herald declares no license (package.json has none), and the document says so.
    expect(problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message}`)).toEqual(["warn info-license: Info object should contain `license` field."]);
  });

  it("its schemas use only JSON Schema 2020-12 and OpenAPI keywords", () => {
    const KEYWORDS = new Set([
      "$ref",
      "$id",
      "$defs",
      "$schema",
      "type",
      "enum",
      "const",
      "properties",
      "patternProperties",
      "additionalProperties",
      "required",
      "items",
      "prefixItems",
      "minItems",
      "maxItems",
      "uniqueItems",
      "minLength",
      "maxLength",
      "pattern",
      "format",
      "minimum",
      "maximum",
      "exclusiveMinimum",
      "exclusiveMaximum",
      "multipleOf",
      "minProperties",
      "maxProperties",
      "anyOf",
      "oneOf",
      "allOf",
      "not",
      "description",
      "title",
      "default",
      "examples",
      "readOnly",
      "writeOnly",
      "deprecated",
      "nullable",
      "discriminator",
      "example",
    ]);
    const strange: string[] = [];
    const walk = (schema: Json, at: string) => {
      for (const [key, value] of Object.entries(schema)) {
        if (!KEYWORDS.has(key)) strange.push(`${at}: ${key}`);
        if (key === "properties" || key === "patternProperties" || key === "$defs") for (const [name, sub] of Object.entries<Json>(value)) walk(sub, `${at}.${name}`);
        else if (["items", "additionalProperties", "not"].includes(key) && typeof value === "object") walk(value, `${at}.${key}`);
        else if (["anyOf", "oneOf", "allOf", "prefixItems"].includes(key)) (value as Json[]).forEach((sub, i) => walk(sub, `${at}.${key}[${i}]`));
      }
    };
    for (const { path, method, operation } of operations()) {
      for (const parameter of operation.parameters ?? []) walk(parameter.schema, `${method} ${path} ${parameter.name}`);
      for (const [type, media] of Object.entries<Json>(operation.requestBody?.content ?? {})) walk(media.schema, `${method} ${path} body ${type}`);
      for (const [status, response] of Object.entries<Json>(operation.responses)) for (const media of Object.values<Json>(response.content ?? {})) walk(media.schema, `${method} ${path} ${status}`);
    }
    expect(strange).toEqual([]);
  });

  it("documents 413 and 415 wherever a body is taken, and the Link, X-Total-Count and Location headers", () => {
    for (const { path, method, operation } of operations()) {
      if (operation.requestBody) expect([`${method} ${path}`, Object.keys(operation.responses)]).toEqual([`${method} ${path}`, expect.arrayContaining(["413", "415"])]);
      if (operation.parameters?.some((p: Json) => p.name === "per_page")) expect(Object.keys(operation.responses["200"].headers)).toEqual(["Link", "X-Total-Count"]);
    }
    expect(doc.paths["/api/v1/subscriptions"].post.responses["201"].headers.Location).toBeDefined();
    expect(doc.paths["/api/v1/events/resend"].post.responses["202"].headers.Location).toBeDefined();
    expect(doc.paths["/api/v1/subscriptions/{id}"].delete.responses["204"].content).toBeUndefined();
  });
});

/** A request made against a documented operation; `expected` is the status this one must get. */
interface Call {
  operation: string;
  expected: number;
  path?: string;
  body?: unknown;
  token?: string | null;
  headers?: Record<string, string>;
  rawBody?: string;
}

describe("every documented operation, driven for real, answers as documented", () => {
  // strict: false, since OpenAPI's own keywords (example, discriminator) are not JSON Schema's.
  const ajv = new Ajv2020({ strict: false, allErrors: true, logger: false });
  addFormats(ajv);
  const driven = new Set<string>();

  /** Sends the call, and checks the status was expected and documented, the body against its schema, the headers. */
  async function call(c: Call): Promise<Json> {
    const [method, template] = c.operation.split(" ") as [string, string];
    const operation = doc.paths[template]?.[method.toLowerCase()];
    if (!operation) throw new Error(`${c.operation} is not documented`);
    driven.add(c.operation);
    const headers = new Headers(c.headers);
    if (c.token !== null) headers.set("authorization", `Bearer ${c.token ?? ADMIN_TOKEN}`);
    if (c.body !== undefined) headers.set("content-type", "application/json");
    const response = await fetch(h.url + (c.path ?? template), { method, headers, body: c.rawBody ?? (c.body === undefined ? undefined : JSON.stringify(c.body)) });
    const text = await response.text();
    const what = `${c.operation} (${c.path ?? template}) answered ${response.status}: ${text.slice(0, 300)}`;
    expect(what).toStartWith(`${c.operation} (${c.path ?? template}) answered ${c.expected}`);
    const documented = operation.responses[String(response.status)];
    expect({ what, documented: documented !== undefined }).toEqual({ what, documented: true });
    for (const header of ["link", "x-total-count", "location"]) {
      if (response.headers.has(header))
        expect({
          what,
          header,
          documented: Object.keys(documented.headers ?? {})
            .map((n) => n.toLowerCase())
            .includes(header),
        }).toEqual({ what, header, documented: true });
    }
    const schema = documented.content?.["application/json"]?.schema;
    if (!schema) {
      expect({ what, body: text }).toEqual({ what, body: "" });
      return {};
    }
    const body = JSON.parse(text);
    const valid = ajv.validate(schema, body);
    expect({ what, errors: valid ? null : ajv.errors }).toEqual({ what, errors: null });
    return body;
  }

  it("each operation's success", async () => {
    const event = await call({ operation: "POST /api/v1/events", expected: 202, body: { event_type: "sample.uploaded", object: { id: "s1" } }, token: PUBLISH_TOKEN });
    await call({ operation: "POST /api/v1/events", expected: 200, body: { id: event.id, event_type: "sample.uploaded", object: { id: "s1" } }, token: PUBLISH_TOKEN });
    await call({ operation: "GET /api/v1/events", expected: 200, path: "/api/v1/events?per_page=1" });
    await call({ operation: "GET /api/v1/events", expected: 200, path: `/api/v1/events?q=${event.id}` });
    await call({ operation: "GET /api/v1/events/{id}", expected: 200, path: `/api/v1/events/${event.id}` });
    await call({ operation: "POST /api/v1/events/{id}/resend", expected: 202, path: `/api/v1/events/${event.id}/resend`, body: {} });
    const job = await call({ operation: "POST /api/v1/events/resend", expected: 202, body: { ids: [event.id] } });
    await call({ operation: "GET /api/v1/jobs/{id}", expected: 200, path: `/api/v1/jobs/${job.id}` });
    await call({ operation: "GET /api/v1/event_types", expected: 200 });
    await call({ operation: "GET /api/v1/subscriptions", expected: 200 });
    const receiver = receivers.start();
    const made = { id: "made", url: `${receiver.url}/m`, events: ["*"], auth: { plugin: "onecodex-signature" } };
    await call({ operation: "POST /api/v1/subscriptions", expected: 201, body: made });
    await call({ operation: "GET /api/v1/subscriptions/{id}", expected: 200, path: "/api/v1/subscriptions/made" });
    await call({ operation: "PATCH /api/v1/subscriptions/{id}", expected: 200, path: "/api/v1/subscriptions/made", body: { description: "driven" } });
    await call({ operation: "POST /api/v1/subscriptions/{id}/rotate_secret", expected: 200, path: "/api/v1/subscriptions/made/rotate_secret", body: {} });
    await call({ operation: "POST /api/v1/subscriptions/{id}/test", expected: 200, path: "/api/v1/subscriptions/made/test", body: {} });
    await call({ operation: "GET /api/v1/subscriptions/{id}/health", expected: 200, path: "/api/v1/subscriptions/made/health" });
    await call({ operation: "DELETE /api/v1/subscriptions/{id}", expected: 204, path: "/api/v1/subscriptions/made" });
    await call({ operation: "GET /api/v1/api_keys", expected: 200 });
    const key = await call({ operation: "POST /api/v1/api_keys", expected: 201, body: { name: "driven", role: "admin" } });
    await call({ operation: "GET /api/v1/api_keys/{id}", expected: 200, path: `/api/v1/api_keys/${key.id}` });
    await call({ operation: "DELETE /api/v1/api_keys/{id}", expected: 204, path: `/api/v1/api_keys/${key.id}` });
    const audit = await call({ operation: "GET /api/v1/audit", expected: 200, path: "/api/v1/audit?per_page=2" });
    expect(audit.map((entry: { action: string }) => entry.action)).toEqual(["api_key.deleted", "api_key.created"]);
    expect(
      operations()
        .map(({ method, path }) => `${method.toUpperCase()} ${path}`)
        .filter((op) => !driven.has(op)),
    ).toEqual([]);
  });

  it("each operation's refusals: no key, a wrong role, an unknown id, a bad body, a body too large or not JSON", async () => {
    const concrete = (path: string) => path.replaceAll("{id}", "nope");
    for (const { path, method, operation } of operations()) {
      const name = `${method.toUpperCase()} ${path}`;
      const takesBody = operation.requestBody !== undefined;
      await call({ operation: name, expected: 401, path: concrete(path), token: null, body: takesBody ? {} : undefined });
      if (name !== "GET /api/v1/event_types" && name !== "POST /api/v1/events")
        await call({ operation: name, expected: 403, path: concrete(path), token: PUBLISH_TOKEN, body: takesBody ? {} : undefined });
      if (path.includes("{id}") && !takesBody) await call({ operation: name, expected: 404, path: concrete(path) });
      if (!takesBody) continue;
      await call({ operation: name, expected: 400, path: concrete(path), rawBody: "{not json", headers: { "content-type": "application/json" } });
      await call({ operation: name, expected: 400, path: concrete(path), body: { not_a_field: true } });
      await call({ operation: name, expected: 413, path: concrete(path), body: { padding: "x".repeat(2048) } });
      await call({ operation: name, expected: 415, path: concrete(path), rawBody: "a=1", headers: { "content-type": "application/x-www-form-urlencoded" } });
    }
  });
});

describe("methods", () => {
  it("a method a path does not support gets 405 with Allow; OPTIONS answers 204 with Allow", async () => {
    const put = await fetch(`${h.url}/api/v1/events`, { method: "PUT" });
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toBe("GET, HEAD, OPTIONS, POST");
    expect(((await put.json()) as Json).error.code).toBe("method_not_allowed");
    const del = await fetch(`${h.url}/api/v1/events/evt_1`, { method: "DELETE" });
    expect([del.status, del.headers.get("allow")]).toEqual([405, "GET, HEAD, OPTIONS"]);
    const options = await fetch(`${h.url}/api/v1/subscriptions/a`, { method: "OPTIONS" });
    expect([options.status, options.headers.get("allow"), await options.text()]).toEqual([204, "DELETE, GET, HEAD, OPTIONS, PATCH", ""]);
    expect((await fetch(`${h.url}/api/v1/nothing-here`, { method: "PUT" })).status).toBe(404);
  });
});

describe("compression", () => {
  it("a large answer is gzipped when the client accepts gzip, and only then; a small one never", async () => {
    for (let i = 0; i < 20; i++) await h.publish({ event_type: "sample.uploaded", object: { i } });
    const list = (encoding?: string) => h.api("/api/v1/events?per_page=20", { headers: encoding ? { "accept-encoding": encoding } : {}, decompress: false } as RequestInit);
    const gzipped = await list("gzip, deflate");
    expect([gzipped.headers.get("content-encoding"), gzipped.headers.get("vary"), gzipped.headers.get("x-total-count")]).toEqual(["gzip", "accept-encoding", expect.any(String)]);
    const events = JSON.parse(new TextDecoder().decode(Bun.gunzipSync((await gzipped.bytes()) as Uint8Array<ArrayBuffer>)));
    expect(events).toHaveLength(20);
    expect((await list("identity")).headers.get("content-encoding")).toBeNull();
    expect((await list("gzip;q=0")).headers.get("content-encoding")).toBeNull();
    const bundle = await fetch(`${h.url}/docs/swagger-ui-bundle.js`, { headers: { "accept-encoding": "gzip" }, decompress: false } as RequestInit);
    const zipped = (await bundle.bytes()) as Uint8Array<ArrayBuffer>;
    expect(bundle.headers.get("content-encoding")).toBe("gzip");
    expect(Bun.gunzipSync(zipped).length).toBeGreaterThan(zipped.length * 2);
    const health = await fetch(`${h.url}/healthz`, { headers: { "accept-encoding": "gzip" }, decompress: false } as RequestInit);
    expect(health.headers.get("content-encoding")).toBeNull();
  });
});
