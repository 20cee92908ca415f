// API keys against a real Herald: which Authorization headers carry a key, roles, and refusal before the body.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { tokenFromHeader } from "../src/api/auth.ts";
import { findKey } from "../src/services/api-keys.ts";
import { sha256Hex } from "../src/tokens.ts";
import { ADMIN_TOKEN, configYaml, PUBLISH_TOKEN, startTestHerald, type TestHerald, USER_TOKEN } from "./support/herald.ts";
import type { ApiKey } from "../src/domain/subscription.ts";

let herald: TestHerald;

beforeAll(async () => {
  herald = await startTestHerald(configYaml({ subscriptions: `  - { id: a, url: "http://127.0.0.1:1/hook", events: ["*"] }` }), { startWorker: false });
});

afterAll(() => herald.close());

const basic = (userPass: string) => `Basic ${Buffer.from(userPass).toString("base64")}`;
const EVENT = JSON.stringify({ event_type: "sample.uploaded", object: { id: "s1" } });

/** A request with exactly the given Authorization header (or none). */
function call(method: "GET" | "POST", path: string, authorization?: string, body?: string) {
  const headers = new Headers(body === undefined ? {} : { "content-type": "application/json" });
  if (authorization !== undefined) headers.set("authorization", authorization);
  return fetch(herald.url + path, { method, headers, body });
}

const listTypes = (authorization?: string) => call("GET", "/api/v1/event_types", authorization);
const publish = (authorization?: string, body = EVENT) => call("POST", "/api/v1/events", authorization, body);

async function errorOf(response: Response) {
  return { status: response.status, code: ((await response.json()) as { error: { code: string } }).error.code };
}

describe("an Authorization header carries a key only as `Bearer <token>` or `Basic <base64 of token:...>`", () => {
  it("Bearer <token> authenticates", async () => {
    expect((await listTypes(`Bearer ${ADMIN_TOKEN}`)).status).toBe(200);
    expect((await publish(`Bearer ${PUBLISH_TOKEN}`)).status).toBe(202);
  });

  it("the scheme matches in any case", async () => {
    expect((await listTypes(`bearer ${ADMIN_TOKEN}`)).status).toBe(200);
    expect((await listTypes(`BEARER ${ADMIN_TOKEN}`)).status).toBe(200);
    expect((await publish(`bearer ${PUBLISH_TOKEN}`)).status).toBe(202);
  });

  it("Basic with the token as username authenticates, with or without a password", async () => {
    expect((await listTypes(basic(`${ADMIN_TOKEN}:`))).status).toBe(200);
    expect((await listTypes(basic(`${ADMIN_TOKEN}:ignored`))).status).toBe(200);
    expect((await listTypes(basic(ADMIN_TOKEN))).status).toBe(200);
    expect((await publish(`basic ${Buffer.from(`${PUBLISH_TOKEN}:`).toString("base64")}`)).status).toBe(202);
  });

  it("anything after the credential is refused: `Bearer <token> junk` is 401", async () => {
    expect(await errorOf(await listTypes(`Bearer ${ADMIN_TOKEN} junk`))).toEqual({ status: 401, code: "unauthorized" });
    expect(await errorOf(await publish(`Bearer ${PUBLISH_TOKEN} junk`))).toEqual({ status: 401, code: "unauthorized" });
    expect(await errorOf(await listTypes(`${basic(`${ADMIN_TOKEN}:`)} junk`))).toEqual({ status: 401, code: "unauthorized" });
  });

  it("a missing header, another scheme, a bare token or an unknown token is 401", async () => {
    for (const authorization of [undefined, "", `Token ${ADMIN_TOKEN}`, ADMIN_TOKEN, "Bearer", "Bearer not-a-key", basic("not-a-key:")])
      expect(await errorOf(await listTypes(authorization))).toEqual({ status: 401, code: "unauthorized" });
  });

  it("a prefix or an extension of a token is not the token", async () => {
    expect((await listTypes(`Bearer ${ADMIN_TOKEN.slice(0, -1)}`)).status).toBe(401);
    expect((await listTypes(`Bearer ${ADMIN_TOKEN}0`)).status).toBe(401);
  });
});

describe("tokenFromHeader: the header's grammar", () => {
  it("trims surrounding whitespace and allows several spaces after the scheme", () => {
    expect(tokenFromHeader(`  Bearer ${ADMIN_TOKEN}  `)).toBe(ADMIN_TOKEN);
    expect(tokenFromHeader(`Bearer   ${ADMIN_TOKEN}`)).toBe(ADMIN_TOKEN);
  });

  it("Basic must carry base64 only: characters the decoder would skip are refused", () => {
    const encoded = Buffer.from(`${ADMIN_TOKEN}:`).toString("base64");
    expect(tokenFromHeader(`Basic ${encoded}`)).toBe(ADMIN_TOKEN);
    expect(tokenFromHeader(`Basic ${encoded.slice(0, 4)}!${encoded.slice(4)}`)).toBeNull();
    expect(tokenFromHeader(`Basic ${Buffer.from(":password").toString("base64")}`)).toBeNull(); // no username
  });

  it("nothing may follow the credential", () => {
    expect(tokenFromHeader(`Bearer ${ADMIN_TOKEN} junk`)).toBeNull();
    expect(tokenFromHeader(`Bearer ${ADMIN_TOKEN}\tjunk`)).toBeNull();
    expect(tokenFromHeader(null)).toBeNull();
  });
});

describe("findKey compares whole tokens, whatever their lengths", () => {
  const key = (name: string, token: string): ApiKey => ({ id: name, name, role: "admin", tokenSha256: sha256Hex(token), subscriptions: [], expiresAt: null });
  const keys = [key("short", "abc"), key("long", "abc".repeat(40))];

  it("finds the key whose token is the given one, and only that", () => {
    expect(findKey(keys, "abc")?.name).toBe("short");
    expect(findKey(keys, "abc".repeat(40))?.name).toBe("long");
    for (const token of ["", "ab", "abcd", "abc".repeat(39)]) expect(findKey(keys, token)).toBeNull();
  });
});

describe("roles: a known key of another role is 403", () => {
  it("a user key may not publish; a publisher key may not list events", async () => {
    expect(await errorOf(await publish(`Bearer ${USER_TOKEN}`))).toEqual({ status: 403, code: "forbidden" });
    expect(await errorOf(await call("GET", "/api/v1/events", `Bearer ${PUBLISH_TOKEN}`))).toEqual({ status: 403, code: "forbidden" });
  });

  it("every role may read the event types", async () => {
    for (const token of [PUBLISH_TOKEN, ADMIN_TOKEN, USER_TOKEN]) expect((await listTypes(`Bearer ${token}`)).status).toBe(200);
  });
});

describe("the key is checked before the body is validated", () => {
  it("without a key, a JSON body of the wrong shape is 401, not a validation error", async () => {
    expect(await errorOf(await publish(undefined, JSON.stringify({ unexpected: true })))).toEqual({ status: 401, code: "unauthorized" });
  });

  it("with a key of another role, a body of the wrong shape is 403", async () => {
    expect(await errorOf(await publish(`Bearer ${USER_TOKEN}`, JSON.stringify({ unexpected: true })))).toEqual({ status: 403, code: "forbidden" });
  });

  it("a body is read only for a known key: without one, even a body that is not JSON at all is a 401, unread", async () => {
    expect(await errorOf(await publish(undefined, "{not json"))).toEqual({ status: 401, code: "unauthorized" });
    expect(await errorOf(await publish(`Bearer ${PUBLISH_TOKEN}`, "{not json"))).toEqual({ status: 400, code: "invalid_body" });
  });

  it("with a valid key, the body's shape is checked: 400 naming the field", async () => {
    expect(await errorOf(await publish(`Bearer ${PUBLISH_TOKEN}`, JSON.stringify({ unexpected: true })))).toEqual({ status: 400, code: "invalid_request" });
  });
});
