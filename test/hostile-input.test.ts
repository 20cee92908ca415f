// Hostile input to every route: each answer is a clear 4xx with the error envelope, nothing partial is
// stored, and the server stays healthy. Hand-written cases first, then fast-check properties.
import { Database } from "bun:sqlite";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import fc from "fast-check";
import { MAX_NESTING } from "../src/api/body.ts";
import { ManualClock } from "./support/clock.ts";
import { ADMIN_TOKEN, configYaml, PUBLISH_TOKEN, startTestHerald, type TestHerald } from "./support/herald.ts";
import { receiverPool } from "./support/receiver.ts";
import { API_ROUTES, describeRoute, makeTargets, pathFor, type ApiRoute, type Target } from "./support/routes.ts";

const MAX_BODY = 256 * 1024;
let herald: TestHerald;
let db: Database;
let eventId: string;
let targets: Record<Target, string>;
const receivers = receiverPool();

beforeAll(async () => {
  herald = await startTestHerald(
    configYaml({ subscriptions: `  - { id: a, url: "http://127.0.0.1:9/a", events: ["*"] }`, extra: "server: { host: 127.0.0.1, port: 0, max_body_size: 256KiB }" }).replace(
      "server: { host: 127.0.0.1, port: 0 }\n",
      "",
    ),
    { clock: new ManualClock(), startWorker: false },
  );
  eventId = ((await (await herald.publish({ id: "existing", event_type: "sample.uploaded", object: { id: "smp_1" } })).json()) as { id: string }).id;
  targets = await makeTargets(herald.api, eventId, receivers.start().url);
  db = new Database(join(herald.dir, "herald.db"), { readonly: true });
});

afterAll(async () => {
  db.close();
  await herald.close();
  await receivers.stopAll();
});

// After every test: still healthy.
afterEach(async () => {
  expect((await fetch(`${herald.url}/healthz`)).status).toBe(200);
});

/** Everything a refused request could have touched: every table's rows, and what changes in place. */
function fingerprint(): string {
  return JSON.stringify(
    db
      .query(`SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM attempts) AS attempts,
                     (SELECT group_concat(id || ':' || state || ':' || claim || ':' || updated_at) FROM deliveries) AS deliveries,
                     (SELECT group_concat(id || ':' || updated_at || ':' || coalesce(deleted_at, '')) FROM subscriptions) AS subscriptions,
                     (SELECT group_concat(id) FROM api_keys) AS api_keys`)
      .get(),
  );
}

interface Sent {
  method?: string;
  path: string;
  body?: string | Uint8Array | ReadableStream;
  contentType?: string | null;
  token?: string;
}

function send({ method = "POST", path, body, contentType = "application/json", token = ADMIN_TOKEN }: Sent) {
  const headers = new Headers({ authorization: `Bearer ${token}` });
  if (contentType !== null) headers.set("content-type", contentType);
  return fetch(herald.url + path, { method, headers, body });
}

/** The answer is a 4xx with the error envelope, and nothing was stored or changed. Returns the error. */
async function refused(request: Sent, status?: number) {
  const before = fingerprint();
  const response = await send(request);
  const text = await response.text();
  const what = `${request.method ?? "POST"} ${request.path.slice(0, 80)} ${String(typeof request.body === "string" ? request.body.slice(0, 80) : request.body)}`;
  expect({ what, status: response.status >= 400 && response.status < 500 }).toEqual({ what, status: true });
  if (status !== undefined) expect({ what, status: response.status }).toEqual({ what, status });
  expect(response.headers.get("content-type")).toStartWith("application/json");
  const { error } = JSON.parse(text) as { error: { code: unknown; message: unknown } };
  expect({ code: typeof error.code, message: typeof error.message }).toEqual({ code: "string", message: "string" });
  expect(fingerprint()).toBe(before);
  return error as { code: string; message: string };
}

const BODY_ROUTES = API_ROUTES.filter((route) => route.body !== undefined && route.roles.includes("admin"));
const bodyPath = (route: ApiRoute) => pathFor(route, targets);

describe("a body that is not the JSON a route takes", () => {
  const malformed = ["{", '{"event_type":', "nul", "{'event_type': 'x'}", '{"a":1,}', "[1,2", "\u0000", '{"a":"\\x"}', "}{"];

  for (const route of BODY_ROUTES) {
    it(`${describeRoute(route)}: malformed JSON is a 400`, async () => {
      for (const body of malformed) expect((await refused({ method: route.method, path: bodyPath(route), body }, 400)).code).toBe("invalid_body");
      expect((await refused({ method: route.method, path: bodyPath(route), body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) }, 400)).code).toBe("invalid_body");
    });

    it(`${describeRoute(route)}: another content type is a 415`, async () => {
      const body = JSON.stringify(route.body);
      for (const contentType of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "application/jsonp"]) {
        expect((await refused({ method: route.method, path: bodyPath(route), body, contentType }, 415)).code).toBe("unsupported_media_type");
      }
    });

    it(`${describeRoute(route)}: a JSON value of the wrong type is a 400`, async () => {
      for (const body of ["[]", "42", '"text"', "null", "true", "[{}]"]) expect((await refused({ method: route.method, path: bodyPath(route), body }, 400)).code).toBe("invalid_request");
    });

    it(`${describeRoute(route)}: an unknown field is a 400`, async () => {
      const body = JSON.stringify({ ...(route.body as object), unexpected: true });
      expect((await refused({ method: route.method, path: bodyPath(route), body }, 400)).message).toContain("unexpected");
    });

    it(`${describeRoute(route)}: a body over max_body_size is a 413, declared or chunked`, async () => {
      const big = JSON.stringify({ ...(route.body as object), padding: "x".repeat(MAX_BODY) });
      expect(await refused({ method: route.method, path: bodyPath(route), body: big }, 413)).toEqual({ code: "body_too_large", message: `request bodies are limited to ${MAX_BODY} bytes` });
      const chunks = [new TextEncoder().encode(big.slice(0, MAX_BODY / 2)), new TextEncoder().encode(big.slice(MAX_BODY / 2))];
      const stream = new ReadableStream({ pull: (controller) => void (chunks.length ? controller.enqueue(chunks.shift()!) : controller.close()) });
      expect((await refused({ method: route.method, path: bodyPath(route), body: stream }, 413)).code).toBe("body_too_large");
    });

    it(`${describeRoute(route)}: JSON nested deeper than ${MAX_NESTING} levels is a 400, however deep`, async () => {
      for (const depth of [MAX_NESTING + 1, 5_000]) {
        const body = `{"x":${"[".repeat(depth)}${"]".repeat(depth)}}`;
        expect((await refused({ method: route.method, path: bodyPath(route), body }, 400)).code).toBe("too_deep");
      }
    });
  }

  it("a body of exactly max_body_size is read (and judged on its content)", async () => {
    const shell = JSON.stringify({ event_type: "sample.uploaded", object: { blob: "" } });
    const body = JSON.stringify({ event_type: "sample.uploaded", object: { blob: "x".repeat(MAX_BODY - shell.length) } });
    expect(body.length).toBe(MAX_BODY);
    expect((await send({ path: "/api/v1/events", body, token: PUBLISH_TOKEN })).status).toBe(202);
  });
});

describe("publishing: fields missing, of the wrong type, or out of bounds", () => {
  const publish = (body: unknown, status: number) => refused({ path: "/api/v1/events", body: JSON.stringify(body), token: PUBLISH_TOKEN }, status);
  const valid = { event_type: "sample.uploaded", object: { id: "smp_2" } };

  it("a missing event_type or object is a 400 naming it", async () => {
    expect((await publish({ object: {} }, 400)).message).toContain("event_type");
    expect((await publish({ event_type: "sample.uploaded" }, 400)).message).toContain("object");
    expect((await publish({}, 400)).code).toBe("invalid_request");
  });

  it("a field of the wrong type is a 400 naming it", async () => {
    const cases: [string, unknown][] = [
      ["event_type", 1],
      ["event_type", null],
      ["object", []],
      ["object", "x"],
      ["object", 7],
      ["id", 5],
      ["triggered_at", 1767225600],
      ["object_type", null],
    ];
    for (const [field, value] of cases) expect((await publish({ ...valid, [field]: value }, 400)).message).toContain(field);
  });

  it("an undeclared event type is a 422, whatever its characters, and a long one is not echoed whole", async () => {
    for (const event_type of ["sample.deleted", "SAMPLE.UPLOADED", "sämple.uploaded", "sample.uploaded\u0000", "sample.uploaded\n", "🦠", "x".repeat(100_000)]) {
      const error = await publish({ ...valid, event_type }, 422);
      expect(error.code).toBe("unknown_event_type");
      expect(error.message.length).toBeLessThan(400);
    }
    expect((await publish({ ...valid, event_type: "" }, 400)).code).toBe("invalid_request");
  });

  it("an object_type other than the declared one is a 422", async () => {
    expect((await publish({ ...valid, object_type: "analysis" }, 422)).code).toBe("wrong_object_type");
  });

  it("an id that is not a name (spaces, slashes, unicode, control characters, over 128 characters) is a 400", async () => {
    for (const id of ["", "has space", "../etc/passwd", "a/b", "é", "line\nbreak", "-leading-dash", "x".repeat(129)]) expect((await publish({ ...valid, id }, 400)).message).toContain("id");
  });

  it("a triggered_at that is not an RFC 3339 date-time is a 400", async () => {
    for (const triggered_at of ["yesterday", "2026-02-30T00:00:00Z", "2026-06-30T23:59:60Z", "2026-01-01", "2026-01-01T00:00:00", "99999-01-01T00:00:00Z"])
      expect((await publish({ ...valid, triggered_at }, 400)).message).toContain("triggered_at");
  });

  it("unicode, control characters and long strings inside the object are data: stored and read back exactly", async () => {
    const object = { name: "sämple 🦠 \u0000\u001f\u2028", long: "y".repeat(10_000), "key with\ttab": "v", __proto__key: 1 };
    const response = await send({ path: "/api/v1/events", body: JSON.stringify({ ...valid, object }), token: PUBLISH_TOKEN });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    const stored = (await (await send({ method: "GET", path: `/api/v1/events/${id}`, contentType: null })).json()) as { payload: { object: unknown } };
    expect(stored.payload.object).toEqual(object);
  });
});

describe("resending: a selection of the wrong shape", () => {
  const resend = (path: string, body: unknown, status: number) => refused({ path, body: JSON.stringify(body) }, status);

  it("is a 400 naming the field, and an unknown subscription a 422", async () => {
    const one = `/api/v1/events/${eventId}/resend`;
    expect((await resend(one, { subscriptions: [] }, 400)).message).toContain("subscriptions");
    expect((await resend(one, { subscriptions: "a" }, 400)).message).toContain("subscriptions");
    expect((await resend(one, { subscriptions: ["nope"] }, 422)).code).toBe("unknown_subscription");
    const bulk = "/api/v1/events/resend";
    expect((await resend(bulk, {}, 400)).code).toBe("missing_selection");
    expect((await resend(bulk, { ids: [] }, 400)).message).toContain("ids");
    expect((await resend(bulk, { ids: [1] }, 400)).message).toContain("ids");
    expect((await resend(bulk, { ids: Array.from({ length: 10_001 }, (_, i) => `e${i}`) }, 400)).message).toContain("ids");
    expect((await resend(bulk, { status: "exploded" }, 400)).message).toContain("status");
    expect((await resend(bulk, { since: "last tuesday" }, 400)).message).toContain("since");
  });
});

describe("query strings and ids", () => {
  const list = (query: string) => refused({ method: "GET", path: `/api/v1/events?${query}`, contentType: null }, 400);

  it("page and per_page out of bounds, negative, huge or not integers are a 400 naming them, on every list", async () => {
    for (const path of ["/api/v1/events", "/api/v1/subscriptions"]) {
      const listed = (query: string) => refused({ method: "GET", path: `${path}?${query}`, contentType: null }, 400);
      for (const page of ["0", "-1", "1.5", "abc", "1e20", "99999999999999999999", ""]) expect((await listed(`page=${page}`)).message).toContain("page");
      for (const perPage of ["0", "-5", "501", "100000", "2.5", "1e3x"]) expect((await listed(`per_page=${perPage}`)).message).toContain("per_page");
    }
  });

  it("a filter that is not a date-time or a status is a 400 naming it", async () => {
    expect((await list("since=garbage")).message).toContain("since");
    expect((await list("until=2026-13-01T00:00:00Z")).message).toContain("until");
    expect((await list("status=exploded")).message).toContain("status");
  });

  it("an id that names nothing (odd characters, encoded slashes, very long) is a 404 with the envelope", async () => {
    for (const id of ["%00", "%C3%A9", "%FF", "..%2F..%2Fetc", "a%2Fb", "evt_%0D%0AX-Injected:1", "x".repeat(10_000)]) {
      const error = await refused({ method: "GET", path: `/api/v1/events/${id}`, contentType: null }, 404);
      expect(error.code).toBe("not_found");
      expect(error.message.length).toBeLessThan(400);
    }
  });

  it("an unknown route or method is a 404 with the envelope", async () => {
    await refused({ method: "PUT", path: "/api/v1/events", body: "{}" }, 404);
    await refused({ method: "DELETE", path: `/api/v1/events/${eventId}`, contentType: null }, 404);
    await refused({ method: "GET", path: "/api/v2/events", contentType: null }, 404);
  });
});

describe("properties (fast-check)", () => {
  const runs = { numRuns: 100 };
  const anyText = fc.string({ unit: "binary", maxLength: 300 });

  it("any publish body: a 2xx stores exactly that event; anything else is a 4xx with the envelope that stores nothing", async () => {
    // Mostly well-formed, so that many bodies get through and the 2xx branch is exercised too.
    const mostly = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) => fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: bad });
    const optional = <T>(value: fc.Arbitrary<T>) => fc.option(value, { nil: undefined, freq: 2 });
    const publishLike = fc.record({
      event_type: mostly(fc.constantFrom("sample.uploaded", "analysis.succeeded", "analysis.failed"), fc.oneof(anyText, fc.jsonValue())),
      object: mostly(fc.dictionary(anyText, fc.jsonValue({ maxDepth: 4 })), fc.jsonValue()),
      object_type: optional(mostly(fc.constantFrom("sample", "analysis"), anyText)),
      id: optional(mostly(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,20}$/), anyText)),
      triggered_at: optional(
        mostly(
          fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) }).map((d) => d.toISOString()),
          anyText,
        ),
      ),
      extra: mostly(fc.constant(undefined), fc.jsonValue()),
    });
    await fc.assert(
      fc.asyncProperty(mostly(publishLike, fc.jsonValue()), async (body) => {
        const before = fingerprint();
        const response = await send({ path: "/api/v1/events", body: JSON.stringify(body), token: PUBLISH_TOKEN });
        expect(response.status).toBeLessThan(500);
        if (response.status >= 400) {
          expect(((await response.json()) as { error: { code: string } }).error.code).toBeString();
          expect(fingerprint()).toBe(before);
        } else {
          const event = (await response.json()) as { id: string };
          const stored = await herald.store.events.get(event.id);
          expect(stored).not.toBeNull();
          if (response.status === 202) expect(stored!.object).toEqual(JSON.parse(JSON.stringify(body)).object);
        }
      }),
      runs,
    );
  });

  it("any bytes as the body of any route are refused with the envelope, or accepted; never a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...BODY_ROUTES), fc.oneof(anyText, fc.uint8Array({ maxLength: 300 })), async (route, body) => {
        const response = await send({ method: route.method, path: bodyPath(route), body });
        expect(response.status).toBeLessThan(500);
        if (response.status >= 400) expect(((await response.json()) as { error: { code: string } }).error.code).toBeString();
        else await response.body?.cancel();
      }),
      runs,
    );
  });

  it("any query string on the event list is a 200 or a 400 with the envelope", async () => {
    const value = fc.oneof(anyText, fc.integer().map(String), fc.double().map(String), fc.bigInt().map(String));
    const query = fc.dictionary(fc.constantFrom("page", "per_page", "since", "until", "status", "event_type", "subscription", "other"), value);
    await fc.assert(
      fc.asyncProperty(query, async (params) => {
        const response = await send({ method: "GET", path: `/api/v1/events?${new URLSearchParams(params)}`, contentType: null });
        expect([200, 400]).toContain(response.status);
        if (response.status === 400) expect(((await response.json()) as { error: { code: string } }).error.code).toBe("invalid_request");
        else await response.body?.cancel();
      }),
      runs,
    );
  });

  it("any id in the path is a 404 with the envelope (or the event it names)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "grapheme", minLength: 1, maxLength: 200 }), async (id) => {
        fc.pre(id !== "." && id !== ".."); // URLs resolve dot segments before sending: those name other routes
        const response = await send({ method: "GET", path: `/api/v1/events/${encodeURIComponent(id)}`, contentType: null });
        // The publishing property above may have stored an event under any valid id (fast-check once chose "valueOf").
        expect(response.status).toBe((await herald.store.events.get(id)) === null ? 404 : 200);
        await response.body?.cancel();
      }),
      runs,
    );
  });
});
