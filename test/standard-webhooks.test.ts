// The standard-webhooks auth plugin, checked by the receivers' own libraries on a real POST.
import { afterAll, afterEach, describe, expect, it } from "bun:test";
import { generateKeyPairSync, randomBytes, verify } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { Webhook as SvixWebhook } from "svix";
import standardWebhooks from "../plugins/standard-webhooks.ts";
import { loadConfigText } from "../src/config/load.ts";
import type { ConfigProblem } from "../src/config/types.ts";
import { ManualClock } from "./support/clock.ts";
import { configYaml, startTestHerald, tempDir, type TestHerald } from "./support/herald.ts";
import { receiverPool, type ReceivedRequest, type Receiver } from "./support/receiver.ts";

let herald: TestHerald | undefined;
const receivers = receiverPool();

afterEach(async () => {
  await herald?.close();
  herald = undefined;
  await receivers.stopAll();
});

const newSecret = (bytes = 24) => `whsec_${randomBytes(bytes).toString("base64")}`;

/** A subscription `a` to every event at the receiver, signed with the given plugin options (a YAML flow mapping body). */
async function start(r: Receiver, auth: string, clock: ManualClock) {
  herald = await startTestHerald(configYaml({ subscriptions: `  - { id: a, url: "${r.url}", events: ["*"], auth: { plugin: standard-webhooks, ${auth} } }` }), {
    clock,
    startWorker: false,
  });
  return herald;
}

// A non-ASCII object: the signature covers the exact UTF-8 bytes sent.
const OBJECT = { id: "s1", filename: "échantillon-✓.fastq" };

/** Publishes one event, delivers it, and returns the request the receiver got. */
async function deliverOne(h: TestHerald, r: Receiver): Promise<ReceivedRequest> {
  const before = r.requests.length;
  expect((await h.publish({ event_type: "sample.uploaded", object: OBJECT })).status).toBe(202);
  await h.worker.drain();
  return (await r.waitFor(before + 1))[before]!;
}

const signatures = (request: ReceivedRequest, prefix = "webhook") => request.headers[`${prefix}-signature`]!.split(" ");
const verifies = (secret: string, request: ReceivedRequest) => {
  try {
    new Webhook(secret).verify(request.body, request.headers);
    return true;
  } catch {
    return false;
  }
};

describe("a signed POST verifies with the receivers' libraries", () => {
  it("the standardwebhooks package verifies it and returns the sent payload", async () => {
    // The package checks the timestamp against the real time (5 minutes either way): start the clock at now.
    const clock = new ManualClock(Date.now());
    const secret = newSecret();
    const r = receivers.start();
    const sent = await deliverOne(await start(r, `secret: "${secret}"`, clock), r);

    expect(new Webhook(secret).verify(sent.body, sent.headers)).toMatchObject({ event_type: "sample.uploaded", object: OBJECT });
    expect(signatures(sent)).toHaveLength(1);
    expect(signatures(sent)[0]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(sent.headers["svix-signature"]).toBeUndefined();
  });

  it("a tampered body, or another secret, fails verification", async () => {
    const clock = new ManualClock(Date.now());
    const secret = newSecret();
    const r = receivers.start();
    const sent = await deliverOne(await start(r, `secret: "${secret}"`, clock), r);

    expect(verifies(secret, sent)).toBe(true);
    expect(verifies(secret, { ...sent, body: sent.body.replace("s1", "s2") })).toBe(false);
    expect(verifies(newSecret(), sent)).toBe(false);
  });

  it("with header_prefix svix, the svix package verifies the svix-* headers and no webhook-* are sent", async () => {
    const clock = new ManualClock(Date.now());
    const secret = newSecret(32);
    const r = receivers.start();
    const sent = await deliverOne(await start(r, `secret: "${secret}", header_prefix: svix`, clock), r);

    const svixHeaders = { "svix-id": sent.headers["svix-id"]!, "svix-timestamp": sent.headers["svix-timestamp"]!, "svix-signature": sent.headers["svix-signature"]! };
    expect(new SvixWebhook(secret).verify(sent.body, svixHeaders)).toMatchObject({ object: OBJECT });
    expect(Object.keys(sent.headers).filter((name) => name.startsWith("webhook-"))).toEqual([]);
  });
});

describe("webhook-id is the delivery id on every attempt; webhook-timestamp is each attempt's send time", () => {
  it("a retry repeats the id and carries the later timestamp, and both attempts verify", async () => {
    const clock = new ManualClock(Date.now());
    const secret = newSecret();
    const r = receivers.start((_, i) => new Response(i === 0 ? "no" : "ok", { status: i === 0 ? 500 : 200 }));
    const h = await start(r, `secret: "${secret}"`, clock);
    const event = (await (await h.publish({ event_type: "sample.uploaded", object: OBJECT })).json()) as any;
    const firstSentAt = clock.now();
    await h.worker.drain();
    clock.advance(64_000); // the default schedule's first retry
    const secondSentAt = clock.now();
    await h.worker.drain();

    const [first, second] = await r.waitFor(2);
    const deliveryId = ((await (await h.api(`/api/v1/events/${event.id}`)).json()) as any).deliveries[0].id;
    expect([first!.headers["webhook-id"], second!.headers["webhook-id"]]).toEqual([deliveryId, deliveryId]);
    expect(first!.headers["webhook-timestamp"]).toBe(String(Math.floor(firstSentAt / 1000)));
    expect(second!.headers["webhook-timestamp"]).toBe(String(Math.floor(secondSentAt / 1000)));
    expect(verifies(secret, first!)).toBe(true);
    expect(verifies(secret, second!)).toBe(true);
  });
});

describe("secret rotation: a previous secret also signs until its `until`", () => {
  it("two v1 signatures that each secret alone verifies, then only the current one once `until` has passed", async () => {
    // Start two minutes in the past so both sends stay within the verifier's 5-minute window of the real time.
    const clock = new ManualClock(Date.now() - 120_000);
    const current = newSecret();
    const previous = newSecret(64);
    const until = new Date(clock.now() + 60_000).toISOString();
    const r = receivers.start();
    const h = await start(r, `secret: "${current}", previous_secrets: [{ secret: "${previous}", until: "${until}" }]`, clock);

    const during = await deliverOne(h, r);
    expect(signatures(during)).toHaveLength(2);
    expect(verifies(current, during)).toBe(true);
    expect(verifies(previous, during)).toBe(true);

    clock.advance(120_000);
    const after = await deliverOne(h, r);
    expect(signatures(after)).toHaveLength(1);
    expect(verifies(current, after)).toBe(true);
    expect(verifies(previous, after)).toBe(false);
  });
});

describe("v1a: an Ed25519 signature when a signing_key is set", () => {
  it("the receiver verifies it with the public key over `<id>.<timestamp>.<body>`, beside the v1 one", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const seed = privateKey.export({ format: "der", type: "pkcs8" }).subarray(-32); // PKCS#8 ends with the 32-byte seed
    const clock = new ManualClock(Date.now());
    const secret = newSecret();
    const r = receivers.start();
    const sent = await deliverOne(await start(r, `secret: "${secret}", signing_key: "whsk_${seed.toString("base64")}"`, clock), r);

    const [v1, v1a, ...rest] = signatures(sent);
    expect(v1).toStartWith("v1,");
    expect(v1a).toStartWith("v1a,");
    expect(rest).toEqual([]);
    const signed = Buffer.from(`${sent.headers["webhook-id"]}.${sent.headers["webhook-timestamp"]}.${sent.body}`);
    const signature = Buffer.from(v1a!.slice("v1a,".length), "base64");
    expect(verify(null, signed, publicKey, signature)).toBe(true);
    expect(verify(null, Buffer.from(`${sent.headers["webhook-id"]}.${sent.headers["webhook-timestamp"]}.{}`), publicKey, signature)).toBe(false);
    expect(verifies(secret, sent)).toBe(true); // the HMAC verifier skips the v1a entry
  });
});

describe("config load checks the plugin's options", () => {
  const dir = tempDir("herald-swh-");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const yaml = (subscription: string) => `event_types:
  - { name: sample.uploaded, object_type: sample }
subscriptions:
  - ${subscription}
api_keys:
  - { name: platform, role: publisher, token: publish-token-0001 }
`;
  const problemsOf = async (subscription: string): Promise<ConfigProblem[]> => {
    const result = await loadConfigText(yaml(subscription), join(dir, "webhooks.config.yaml"), {});
    return result.ok ? [] : result.problems;
  };
  const withAuth = (auth: string, extra = "") => `{ id: a, url: "http://127.0.0.1/a", events: ["*"], auth: { plugin: standard-webhooks, ${auth} }${extra} }`;

  it("a malformed secret is refused at its YAML path", async () => {
    const problems = await problemsOf(withAuth(`secret: "whsec_short"`));
    expect(problems.map((p) => p.path)).toEqual(["subscriptions[0].auth.secret"]);
    expect(problems[0]!.line).toBe(4);
    expect(problems[0]!.message).toContain("24 to 64");
  });

  it("secrets of 24 and 64 bytes load; 23 and 65 bytes, or no whsec_ prefix, do not", async () => {
    expect(await problemsOf(withAuth(`secret: "${newSecret(24)}"`))).toEqual([]);
    expect(await problemsOf(withAuth(`secret: "${newSecret(64)}"`))).toEqual([]);
    for (const secret of [newSecret(23), newSecret(65), randomBytes(24).toString("base64")])
      expect((await problemsOf(withAuth(`secret: "${secret}"`))).map((p) => p.path)).toEqual(["subscriptions[0].auth.secret"]);
  });

  it("a previous secret's `until` must be an RFC 3339 date-time, and a signing_key a whsk_ seed", async () => {
    const problems = await problemsOf(withAuth(`secret: "${newSecret()}", previous_secrets: [{ secret: "${newSecret()}", until: "next week" }], signing_key: "whsk_abc"`));
    expect(problems.map((p) => p.path).sort()).toEqual(["subscriptions[0].auth.previous_secrets[0].until", "subscriptions[0].auth.signing_key"]);
  });

  it("a subscription may not set the signature headers itself", async () => {
    const problems = await problemsOf(withAuth(`secret: "${newSecret()}"`, `, headers: { webhook-signature: x }`));
    expect(problems.map((p) => p.path)).toEqual(["subscriptions[0].headers.webhook-signature"]);
    // The plugin itself declares every header it may set, under either prefix, not only Herald's reserved list.
    expect(standardWebhooks.headerNames.toSorted()).toEqual(["svix-id", "svix-signature", "svix-timestamp", "webhook-id", "webhook-signature", "webhook-timestamp"]);
  });
});
