// Secrets (API tokens, plugin secrets, passwords, secret headers and query parameters) never come back out:
// not in API answers, not in the attempt log, not in the process's own log.
import { afterAll, describe, expect, it } from "bun:test";
import { rmSync } from "node:fs";
import { ADMIN_TOKEN, PUBLISH_TOKEN, USER_TOKEN, tempDir } from "./support/herald.ts";
import { killAllHeralds, spawnHerald, waitUntil } from "./support/process.ts";
import { receiverPool } from "./support/receiver.ts";

const receivers = receiverPool();
const dir = tempDir("herald-secrets-");
afterAll(async () => {
  await killAllHeralds();
  await receivers.stopAll();
  rmSync(dir, { recursive: true, force: true });
});

const SECRETS = {
  lims: "lims-hmac-secret-0123456789",
  password: "reports-password-0123456789",
  header: "sk_live_header_0123456789",
  query: "tok_query_0123456789",
  whsec: `whsec_${Buffer.from("standard-webhooks-secret-0123").toString("base64")}`,
};
const BASIC = Buffer.from(`herald:${SECRETS.password}`).toString("base64");
/** Every secret, in each form it is sent or configured in. */
const FORBIDDEN = [...Object.values(SECRETS), BASIC, ADMIN_TOKEN, PUBLISH_TOKEN, USER_TOKEN];

function leaked(text: string): string[] {
  return FORBIDDEN.filter((secret) => text.includes(secret));
}

describe("secrets never appear in answers, attempt logs or the process log", () => {
  it("even when a receiver echoes every request header back in its answer, as httpbin does", async () => {
    // Fails once (so an attempt is retried), then succeeds; both answers echo the request headers.
    const seen = new Map<string, number>();
    const echo = receivers.start((request) => {
      const path = request.path.split("?")[0]!;
      seen.set(path, (seen.get(path) ?? 0) + 1);
      return Response.json({ headers: request.headers, url: request.path }, { status: seen.get(path) === 1 ? 500 : 200 });
    });
    const yaml = `
server: { host: 127.0.0.1, port: 0 }
storage: { sqlite: ./herald.db }
retry: { timeout: 2s, schedule: [100ms], success: 2xx }
event_types:
  - { name: sample.uploaded, object_type: sample }
subscriptions:
  - { id: lims, url: "${echo.url}/lims?token=${SECRETS.query}", events: ["*"], auth: { plugin: onecodex-signature, secret: ${SECRETS.lims} }, headers: { X-Api-Key: ${SECRETS.header} } }
  - { id: reports, url: "${echo.url}/reports", events: ["*"], auth: { plugin: basic-auth, username: herald, password: ${SECRETS.password} } }
  - { id: analytics, url: "${echo.url}/analytics", events: ["*"], auth: { plugin: standard-webhooks, secret: "${SECRETS.whsec}" } }
api_keys:
  - { name: platform, role: publisher, token: ${PUBLISH_TOKEN} }
  - { name: ops, role: admin, token: ${ADMIN_TOKEN} }
  - { name: partner, role: user, token: ${USER_TOKEN}, subscriptions: [reports] }
`;
    const herald = await spawnHerald({ dir, yaml });
    const published = await herald.publish({ event_type: "sample.uploaded", object: { id: "smp_1" } });
    expect(published.status).toBe(202);
    const { id } = (await published.json()) as { id: string };
    await waitUntil("every delivery to succeed on its second attempt", async () => {
      const event = (await (await herald.api(`/api/v1/events/${id}`)).json()) as { status: string };
      return event.status === "success" ? true : undefined;
    });
    // The secrets really were sent: the receivers saw them.
    expect(leaked(echo.requests.map((r) => JSON.stringify(r)).join("\n")).sort()).toEqual([SECRETS.header, SECRETS.query, BASIC].sort());

    const answers: string[] = [];
    const read = async (path: string, token?: string) => answers.push(await (await herald.api(path, { token })).text());
    await read(`/api/v1/events/${id}`);
    await read(`/api/v1/events/${id}`, USER_TOKEN);
    await read("/api/v1/events?per_page=500");
    await read("/api/v1/event_types");
    await read("/openapi.json");
    await read("/metrics");
    for (const wrong of [`${ADMIN_TOKEN}x`, SECRETS.lims]) await read("/api/v1/events", wrong);
    await read("/api/v1/events", PUBLISH_TOKEN);

    const attemptLog = answers[0]!;
    expect(attemptLog).toContain('"attempt_log"');
    expect(attemptLog).toContain("[redacted]");
    expect(leaked(answers.join("\n"))).toEqual([]);
    expect(await herald.kill("SIGTERM")).toBe(0);
    expect(leaked(herald.output())).toEqual([]);
  }, 30_000);
});
