// api_keys[].rate_limit: a key past its limit is answered 429 with Retry-After (before its body is read),
// alone: the other keys, and the event log, go on. Driven by a manual clock: exact, no sleeping.
import { afterEach, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { loadConfigText } from "../src/config/load.ts";
import { ManualClock } from "./support/clock.ts";
import { ADMIN_TOKEN, configYaml, PUBLISH_TOKEN, startTestHerald, USER_TOKEN, type TestHerald } from "./support/herald.ts";

let herald: TestHerald | undefined;
afterEach(async () => {
  await herald?.close();
  herald = undefined;
});

const OTHER_PUBLISHER = "test-other-publisher-01";
const yaml = configYaml({ subscriptions: '  - { id: a, url: "http://127.0.0.1:9/a", events: [analysis.failed] }' })
  .replace(
    `{ name: platform, role: publisher, token: ${PUBLISH_TOKEN} }`,
    `{ name: platform, role: publisher, token: ${PUBLISH_TOKEN}, rate_limit: 3/m }\n  - { name: other, role: publisher, token: ${OTHER_PUBLISHER} }`,
  )
  .replace(`token: ${USER_TOKEN},`, `token: ${USER_TOKEN}, rate_limit: 1/s,`);

async function errorOf(response: Response) {
  return { status: response.status, retryAfter: response.headers.get("retry-after"), error: ((await response.json()) as { error: { code: string; message: string } }).error };
}

describe("a per-key request rate limit", () => {
  it("answers 429 with Retry-After past a key's limit, and holds back that key alone", async () => {
    const clock = new ManualClock();
    herald = await startTestHerald(yaml, { clock, startWorker: false });
    const publish = (token: string, n: number) => herald!.publish({ id: `evt_${token.slice(5, 10)}_${n}`, event_type: "sample.uploaded", object: { n } }, token);
    for (let n = 0; n < 3; n++) expect((await publish(PUBLISH_TOKEN, n)).status).toBe(202);
    // 3 a minute: one more every 20 s. The body is not read (nor stored).
    expect(await errorOf(await publish(PUBLISH_TOKEN, 3))).toEqual({
      status: 429,
      retryAfter: "20",
      error: { code: "rate_limited", message: 'API key "platform" is over its rate limit; try again in 20 s' },
    });
    // The other keys go on: another publisher, and the event log.
    for (let n = 0; n < 10; n++) expect((await publish(OTHER_PUBLISHER, n)).status).toBe(202);
    const log = await herald.api("/api/v1/events", { token: ADMIN_TOKEN });
    expect([log.status, log.headers.get("x-total-count")]).toEqual([200, "13"]);

    clock.advance(19_000);
    expect((await errorOf(await publish(PUBLISH_TOKEN, 4))).retryAfter).toBe("1");
    clock.advance(1_000);
    expect((await publish(PUBLISH_TOKEN, 5)).status).toBe(202);
    expect((await publish(PUBLISH_TOKEN, 6)).status).toBe(429);
    clock.advance(60_000); // a full bucket again, and no more than that
    for (let n = 7; n < 10; n++) expect((await publish(PUBLISH_TOKEN, n)).status).toBe(202);
    expect((await publish(PUBLISH_TOKEN, 10)).status).toBe(429);

    // A route without a body: refused at the key check.
    expect((await herald.api("/api/v1/events", { token: USER_TOKEN })).status).toBe(200);
    expect(await errorOf(await herald.api("/api/v1/events", { token: USER_TOKEN }))).toMatchObject({ status: 429, retryAfter: "1", error: { code: "rate_limited" } });
    clock.advance(1_000);
    expect((await herald.api("/api/v1/subscriptions", { token: USER_TOKEN })).status).toBe(200);
  });

  it("a rate_limit that is not <n>/s, /m or /h is a config error naming the key", async () => {
    const loaded = await loadConfigText(yaml.replace("rate_limit: 3/m", "rate_limit: fast"), join(import.meta.dir, "rate-limit.config.yaml"), {});
    expect(loaded.ok).toBe(false);
    expect(loaded.ok ? [] : loaded.problems.map((p) => `${p.line}: ${p.path}: ${p.message}`)).toContainEqual(
      expect.stringMatching(/^\d+: api_keys\[0\]\.rate_limit: .*requests per second, minute or hour: 100\/s, 6000\/m, 50000\/h/),
    );
  });
});
