// Who may do what, route by route (the table in support/routes.ts): no key or a wrong key is 401, a key of
// another role 403, and a `user` key reaching for another subscription's events finds nothing (404).
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import fc from "fast-check";
import { ManualClock } from "./support/clock.ts";
import { ADMIN_TOKEN, configYaml, PUBLISH_TOKEN, startTestHerald, USER_TOKEN, type TestHerald } from "./support/herald.ts";
import { receiverPool } from "./support/receiver.ts";
import { API_ROUTES, describeRoute, makeTargets, OPEN_ROUTES, pathFor, ROLES, type ApiRoute, type Target } from "./support/routes.ts";
import type { ApiRole } from "../src/domain/vocabulary.ts";

const TOKENS: Record<ApiRole, string> = { publisher: PUBLISH_TOKEN, admin: ADMIN_TOKEN, user: USER_TOKEN };
const receivers = receiverPool();
let herald: TestHerald;
/** Delivered to `a` (the user key's) and `b`; `theirs` only to `b`. */
let mine: string;
let theirs: string;
let targets: Record<Target, string>;

beforeAll(async () => {
  const ok = receivers.start();
  herald = await startTestHerald(
    configYaml({
      subscriptions: `  - { id: a, url: "${ok.url}/a", events: [sample.uploaded] }\n  - { id: b, url: "${ok.url}/b", events: ["*"] }`,
      userSubscriptions: ["a"],
    }),
    { clock: new ManualClock(), startWorker: false },
  );
  mine = ((await (await herald.publish({ id: "mine", event_type: "sample.uploaded", object: {} })).json()) as { id: string }).id;
  theirs = ((await (await herald.publish({ id: "theirs", event_type: "analysis.failed", object: {} })).json()) as { id: string }).id;
  targets = await makeTargets(herald.api, mine, `${ok.url}/made`);
  await herald.worker.drain();
});

afterAll(async () => {
  await herald.close();
  await receivers.stopAll();
});

/** Calls a route with exactly the given Authorization header (or none) and its sample body. */
function call(route: ApiRoute, authorization: string | undefined, id?: string) {
  const headers = new Headers();
  if (authorization !== undefined) headers.set("authorization", authorization);
  if (route.body !== undefined) headers.set("content-type", "application/json");
  return fetch(herald.url + pathFor(route, id ?? targets), { method: route.method, headers, body: route.body === undefined ? undefined : JSON.stringify(route.body) });
}

async function errorOf(response: Response) {
  const body = (await response.json()) as { error: { code: string; message: string } };
  return { status: response.status, code: body.error.code };
}

const basic = (userPass: string) => `Basic ${Buffer.from(userPass).toString("base64")}`;
const WRONG_KEYS: [string, string | undefined][] = [
  ["no Authorization header", undefined],
  ["an empty header", ""],
  ["an unknown token", "Bearer not-a-token-of-this-herald"],
  ["a token with one character more", `Bearer ${ADMIN_TOKEN}x`],
  ["a token one character short", `Bearer ${ADMIN_TOKEN.slice(0, -1)}`],
  ["another scheme", `Token ${ADMIN_TOKEN}`],
  ["Basic with an unknown username", basic("not-a-token:")],
  ["Basic with the token as password", basic(`someone:${ADMIN_TOKEN}`)],
];

describe("the route table covers the app", () => {
  it("lists every route the app serves, and no other", () => {
    const served = herald.app.routes.map((r) => `${r.method} ${r.path}`).filter((r) => !OPEN_ROUTES.some((open) => r === `GET ${open}`));
    expect(served.toSorted()).toEqual(API_ROUTES.map(describeRoute).toSorted());
  });
});

describe("without a valid key every API route answers 401, and does nothing", () => {
  for (const route of API_ROUTES) {
    it(describeRoute(route), async () => {
      const before = await herald.store.events.count({});
      for (const [what, authorization] of WRONG_KEYS) {
        expect({ what, ...(await errorOf(await call(route, authorization))) }).toEqual({ what, status: 401, code: "unauthorized" });
      }
      expect(await herald.store.events.count({})).toBe(before);
    });
  }

  it("whatever the Authorization header holds (property)", async () => {
    const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 200 });
    const header = fc.oneof(
      printable,
      printable.map((t) => `Bearer ${t}`),
      printable.map((t) => basic(t)),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...API_ROUTES), header, async (route, authorization) => {
        fc.pre(!Object.values(TOKENS).some((token) => authorization.includes(token)));
        expect(await errorOf(await call(route, authorization))).toEqual({ status: 401, code: "unauthorized" });
      }),
      { numRuns: 150 },
    );
  });
});

describe("a key of another role answers 403, an allowed one is let through", () => {
  for (const route of API_ROUTES) {
    it(describeRoute(route), async () => {
      // Refused roles first, so that a DELETE the admin may make comes last.
      for (const role of ROLES.toSorted((a, b) => Number(route.roles.includes(a)) - Number(route.roles.includes(b)))) {
        const response = await call(route, `Bearer ${TOKENS[role]}`);
        if (route.roles.includes(role)) {
          // An admin sees everything; a user key may get 404 for what is outside its subscriptions.
          const answer = { role, status: response.status, text: response.status < 400 ? "" : await response.text() };
          expect(answer.status < (role === "admin" ? 400 : 500) && answer.status !== 401 && answer.status !== 403 ? { role } : answer).toEqual({ role });
        } else {
          expect({ role, ...(await errorOf(response)) }).toEqual({ role, status: 403, code: "forbidden" });
        }
      }
    });
  }

  it("the open routes answer without a key", async () => {
    for (const path of OPEN_ROUTES) expect({ path, status: (await fetch(herald.url + path)).status }).toEqual({ path, status: 200 });
  });
});

describe("a user key reaching for another subscription's events finds nothing", () => {
  const asUser = (path: string, init: Parameters<TestHerald["api"]>[1] = {}) => herald.api(path, { ...init, token: USER_TOKEN });

  it("reading or resending an event of another subscription is 404, as for an event that does not exist", async () => {
    for (const route of API_ROUTES.filter((r) => r.target === "event" && r.roles.includes("user"))) {
      const hidden = await call(route, `Bearer ${USER_TOKEN}`, theirs);
      const missing = await call(route, `Bearer ${USER_TOKEN}`, "no-such-event");
      expect({ route: describeRoute(route), ...(await errorOf(hidden)) }).toEqual({ route: describeRoute(route), status: 404, code: "not_found" });
      expect(await errorOf(missing)).toEqual({ status: 404, code: "not_found" });
    }
  });

  it("an event shared with another subscription shows only the key's own delivery, and cannot be resent to the other", async () => {
    const seen = (await (await asUser(`/api/v1/events/${mine}`)).json()) as { deliveries: { subscription: string }[] };
    expect(seen.deliveries.map((d) => d.subscription)).toEqual(["a"]);
    expect((await errorOf(await asUser(`/api/v1/events/${mine}/resend`, { method: "POST", json: { subscriptions: ["b"] } }))).status).toBe(404);
    expect((await errorOf(await asUser("/api/v1/events/resend", { method: "POST", json: { ids: [mine], subscriptions: ["b"] } }))).status).toBe(404);
  });

  it("another subscription is 404, as one that does not exist, and the list holds only its own", async () => {
    for (const id of ["b", targets.subscription]) expect(await errorOf(await asUser(`/api/v1/subscriptions/${id}`))).toEqual({ status: 404, code: "not_found" });
    const listed = (await (await asUser("/api/v1/subscriptions")).json()) as { id: string }[];
    expect(listed.map((s) => s.id)).toEqual(["a"]);
  });

  it("lists, filters and bulk resends stay inside its subscriptions", async () => {
    const listed = (await (await asUser("/api/v1/events?per_page=500")).json()) as { id: string; deliveries: { subscription: string }[] }[];
    expect(listed.map((e) => e.id)).toContain(mine);
    expect(listed.map((e) => e.id)).not.toContain(theirs);
    expect(listed.flatMap((e) => e.deliveries.map((d) => d.subscription)).every((s) => s === "a")).toBe(true);
    expect(await (await asUser("/api/v1/events?subscription=b")).json()).toEqual([]);
    const attemptsBefore = (await herald.store.events.get(theirs))!.deliveries[0]!.attempts;
    expect(await herald.bulkResend({ ids: [theirs] }, USER_TOKEN)).toMatchObject({ state: "done", total: 0, resent: 0 });
    await herald.worker.drain();
    expect((await herald.store.events.get(theirs))!.deliveries[0]!.attempts).toBe(attemptsBefore);
  });
});
