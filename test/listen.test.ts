// `herald listen`: a local receiver that checks real Herald deliveries of each scheme, prints them and answers.
import { afterAll, afterEach, describe, expect, it, setDefaultTimeout } from "bun:test";
import { configYaml, startTestHerald, type TestHerald } from "./support/herald.ts";
import { spawnListen, type ListenProcess } from "./support/listen.ts";
import { FROM_SOURCE, freePort, REPO_ROOT, runCommand, waitUntil } from "./support/process.ts";
import { receiverPool, type ReceivedRequest } from "./support/receiver.ts";

const ONECODEX_SECRET = "listen-test-onecodex-secret";
const STANDARD_SECRET = `whsec_${Buffer.from("herald-listen-test-standard-key!").toString("base64")}`;
const OTHER_STANDARD_SECRET = `whsec_${Buffer.from("herald-listen-test-another-key!!").toString("base64")}`;

// Each test starts `herald listen` from source (a second or two under a loaded machine) beside a Herald.
setDefaultTimeout(20_000);

const receivers = receiverPool();
const started: { heralds: TestHerald[]; listens: ListenProcess[] } = { heralds: [], listens: [] };
afterEach(async () => {
  await receivers.stopAll();
  await Promise.all(started.heralds.splice(0).map((h) => h.close()));
  await Promise.all(started.listens.splice(0).map((l) => l.stop()));
});
afterAll(() => receivers.stopAll());

async function heraldPostingTo(url: string, auth: string): Promise<TestHerald> {
  const h = await startTestHerald(configYaml({ subscriptions: `  - { id: a, url: "${url}", events: ["*"], auth: ${auth} }` }));
  started.heralds.push(h);
  return h;
}

async function listen(args: string[]): Promise<ListenProcess> {
  const l = await spawnListen(args);
  started.listens.push(l);
  return l;
}

/** A real delivery of the scheme, as Herald sent it: caught by a plain receiver, to be replayed to the listener. */
async function captureDelivery(auth: string): Promise<ReceivedRequest> {
  const receiver = receivers.start();
  const h = await heraldPostingTo(`${receiver.url}/hook`, auth);
  expect((await h.publish({ event_type: "sample.uploaded", object: { id: "s1" } })).status).toBe(202);
  return (await receiver.waitFor(1))[0]!;
}

function replay(port: number, delivery: ReceivedRequest, change: { body?: string; headers?: Record<string, string> } = {}) {
  const headers = { ...delivery.headers, ...change.headers };
  delete headers["content-length"];
  return fetch(`http://127.0.0.1:${port}/hook`, { method: "POST", headers, body: change.body ?? delivery.body });
}

const tamper = (body: string) => body.replace('"s1"', '"s2"');

const SCHEMES = [
  {
    scheme: "onecodex",
    auth: `{ plugin: onecodex-signature, secret: ${ONECODEX_SECRET} }`,
    secret: ONECODEX_SECRET,
    tampered: (d: ReceivedRequest) => ({ body: tamper(d.body) }),
  },
  {
    scheme: "standard-webhooks",
    auth: `{ plugin: standard-webhooks, secret: "${STANDARD_SECRET}" }`,
    secret: STANDARD_SECRET,
    tampered: (d: ReceivedRequest) => ({ body: tamper(d.body) }),
  },
  {
    scheme: "basic",
    auth: "{ plugin: basic-auth, username: lab, password: s3cret-pass }",
    secret: "lab:s3cret-pass",
    // Basic authenticates the sender, not the body: what can be forged is the credentials.
    tampered: () => ({ headers: { authorization: `Basic ${Buffer.from("lab:guessed").toString("base64")}` } }),
  },
];

describe("herald listen checks a real delivery of each scheme", () => {
  for (const { scheme, auth, secret, tampered } of SCHEMES) {
    it(`${scheme}: as sent it is verified and answered 200; tampered it is refused with 401 and says why`, async () => {
      const delivery = await captureDelivery(auth);
      const port = freePort();
      const l = await listen(["--port", String(port), "--scheme", scheme, "--secret", secret]);

      expect((await replay(port, delivery)).status).toBe(200);
      const printed = await l.waitForOutput(`verified (${scheme})`);
      expect(printed).toContain("sample.uploaded");
      expect(printed).toContain(`delivery ${delivery.headers["herald-delivery-id"]}`);
      expect(printed).toContain(`event ${delivery.headers["herald-event-id"]}`);
      expect(printed).toContain("attempt 1");
      expect(printed).toContain('"id": "s1"'); // the body, indented for reading

      expect((await replay(port, delivery, tampered(delivery))).status).toBe(401);
      expect(await l.waitForOutput(`NOT VERIFIED (${scheme}:`)).toContain("-> 401");
    });
  }

  it("a delivery straight from Herald, signed with another secret, is refused, and Herald logs the 401", async () => {
    const port = freePort();
    const l = await listen(["--port", String(port), "--scheme", "standard-webhooks", "--secret", STANDARD_SECRET]);
    const h = await heraldPostingTo(`http://127.0.0.1:${port}/hook`, `{ plugin: standard-webhooks, secret: "${OTHER_STANDARD_SECRET}" }`);
    const event = (await (await h.publish({ event_type: "sample.uploaded", object: { id: "s1" } })).json()) as any;
    await l.waitForOutput("NOT VERIFIED (standard-webhooks: no signature matched)");
    const statuses = await waitUntil("the attempt to be logged", async () => {
      const detail = (await (await h.api(`/api/v1/events/${event.id}`)).json()) as any;
      const log = detail.deliveries[0].attempt_log;
      return log.length > 0 ? log.map((a: any) => a.response?.status) : undefined;
    });
    expect(statuses).toEqual([401]);
  });
});

describe("herald listen --status rehearses a failing receiver", () => {
  it("a verified delivery is answered with the chosen status, which Herald logs as a failed attempt", async () => {
    const port = freePort();
    const l = await listen(["--port", String(port), "--scheme", "onecodex", "--secret", ONECODEX_SECRET, "--status", "503"]);
    const h = await heraldPostingTo(`http://127.0.0.1:${port}/hook`, `{ plugin: onecodex-signature, secret: ${ONECODEX_SECRET} }`);
    const event = (await (await h.publish({ event_type: "sample.uploaded", object: { id: "s1" } })).json()) as any;
    expect(await l.waitForOutput("verified (onecodex)")).toContain("-> 503");
    const detail = await waitUntil("the event to be retryable", async () => {
      const d = (await (await h.api(`/api/v1/events/${event.id}`)).json()) as any;
      return d.status === "retryable" ? d : undefined;
    });
    expect(detail.deliveries[0].attempt_log[0].response.status).toBe(503);
  });
});

describe("herald listen with a config: one receiver per local subscription, checked with its own secrets", () => {
  it("each path expects its subscription's scheme", async () => {
    const port = freePort();
    const h = await startTestHerald(
      configYaml({
        subscriptions: [
          `  - { id: a, url: "http://127.0.0.1:${port}/one", events: ["*"], auth: { plugin: onecodex-signature, secret: ${ONECODEX_SECRET} } }`,
          `  - { id: b, url: "http://127.0.0.1:${port}/two", events: ["*"], auth: { plugin: basic-auth, username: lab, password: pw } }`,
        ].join("\n"),
      }),
    );
    started.heralds.push(h);
    const l = await listen(["--config", `${h.dir}/webhooks.config.yaml`]);
    expect(l.output()).toContain(`http://127.0.0.1:${port}/one  subscription a (onecodex)`);
    await h.publish({ event_type: "sample.uploaded", object: { id: "s1" } });
    await l.waitForOutput("verified (onecodex)");
    await l.waitForOutput("verified (basic)");
    expect(l.output()).not.toContain("NOT VERIFIED");
  });
});

describe("herald listen refuses what it cannot check", () => {
  it("an unknown scheme, a missing secret or a bad status is a usage error (exit 2)", async () => {
    const refusals = [
      ["--scheme", "hmac", "--secret", "x"],
      ["--scheme", "onecodex"],
      ["--scheme", "basic", "--secret", "nocolon"],
      ["--scheme", "none", "--status", "99"],
    ];
    const runs = await Promise.all(refusals.map((args) => runCommand([...FROM_SOURCE, "listen", "--port", "0", ...args], { cwd: REPO_ROOT })));
    for (const run of runs) {
      expect(run.exitCode).toBe(2);
      expect(run.stderr).toStartWith("herald listen: ");
    }
  }, 20_000);
});
