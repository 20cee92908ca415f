// Outbound safety (SSRF): link-local and cloud metadata addresses are refused unless allowed, loopback and
// private ones too with delivery.block_private_networks, judged on the address connected to, not the URL's
// text. Tests connect to 127.0.0.1 only: the refused addresses are refused before any connection is made.
import { afterAll, afterEach, describe, expect, it } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { connectionOrder, outboundPolicy, refusalOf, resolveTarget, resolveTargets, type OutboundSettings } from "../src/delivery/outbound.ts";
import { postWebhook } from "../src/delivery/sender.ts";
import { ManualClock } from "./support/clock.ts";
import { configYaml, startTestHerald, tempDir, type TestHerald } from "./support/herald.ts";
import { freePort, killAllHeralds, spawnHerald, waitUntil } from "./support/process.ts";
import { receiverPool } from "./support/receiver.ts";
import { parseCidr } from "../src/domain/network.ts";

const receivers = receiverPool();
let herald: TestHerald | undefined;
afterEach(async () => {
  await herald?.close();
  herald = undefined;
  await receivers.stopAll();
});

const policy = (settings: Partial<OutboundSettings> = {}) => outboundPolicy({ blockPrivateNetworks: false, allowNetworks: [], ...settings });
const LINK_LOCAL = ["169.254.169.254", "169.254.0.1", "fe80::1", "::ffff:169.254.169.254", "100.100.100.200", "fd00:ec2::254"];
const PRIVATE = ["127.0.0.1", "127.8.9.10", "0.0.0.0", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1", "::1", "::", "fc00::1", "fd12:3456::1", "::ffff:10.0.0.1"];
const PUBLIC = ["93.184.215.14", "8.8.8.8", "172.32.0.1", "2606:4700::1111", "100.128.0.1"];

describe("which addresses are refused", () => {
  it("link-local and cloud metadata addresses always, IPv4-mapped ones included", () => {
    for (const address of LINK_LOCAL) expect({ address, why: refusalOf(address, policy()) }).toEqual({ address, why: "a link-local or cloud metadata address" });
  });

  it("loopback and private addresses only with block_private_networks; public ones never", () => {
    for (const address of [...PRIVATE, ...PUBLIC]) expect({ address, why: refusalOf(address, policy()) }).toEqual({ address, why: null });
    const strict = policy({ blockPrivateNetworks: true });
    for (const address of PRIVATE) expect({ address, refused: refusalOf(address, strict) !== null }).toEqual({ address, refused: true });
    for (const address of PUBLIC) expect({ address, why: refusalOf(address, strict) }).toEqual({ address, why: null });
  });

  it("an IPv6 address carrying an IPv4 one (mapped, compatible, NAT64, 6to4) is judged as the IPv4 address it carries", () => {
    const metadata = ["::ffff:a9fe:a9fe", "::169.254.169.254", "::a9fe:a9fe", "64:ff9b::169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1", "2002:a9fe:a9fe:1::5"];
    for (const address of metadata) expect({ address, why: refusalOf(address, policy()) }).toEqual({ address, why: "a link-local or cloud metadata address" });
    const strict = policy({ blockPrivateNetworks: true });
    const loopbackOrPrivate = [
      "::127.0.0.1",
      "::7f00:1",
      "::ffff:7f00:1",
      "64:ff9b::7f00:1",
      "64:ff9b::10.0.0.1",
      "64:ff9b::c0a8:101",
      "2002:7f00:1::",
      "2002:a00:1::1",
      "2002:c0a8:0101::1",
      "::0.0.0.5",
    ];
    for (const address of loopbackOrPrivate) {
      expect({ address, why: refusalOf(address, strict) }).toEqual({ address, why: "a loopback or private address (delivery.block_private_networks)" });
      expect({ address, why: refusalOf(address, policy()) }).toEqual({ address, why: null });
    }
    for (const address of ["64:ff9b::8.8.8.8", "2002:808:808::1", "::ffff:8.8.8.8"]) expect({ address, why: refusalOf(address, strict) }).toEqual({ address, why: null });
    // allow_networks may name either form.
    expect(refusalOf("64:ff9b::10.0.0.1", policy({ blockPrivateNetworks: true, allowNetworks: ["10.0.0.0/8"] }))).toBeNull();
    expect(refusalOf("64:ff9b::10.0.0.1", policy({ blockPrivateNetworks: true, allowNetworks: ["64:ff9b::/96"] }))).toBeNull();
  });

  it("allow_networks lets exactly its networks through, link-local ones included", () => {
    const allowing = policy({ blockPrivateNetworks: true, allowNetworks: ["169.254.10.0/24", "10.0.0.5", "fd00::/8"] });
    expect(refusalOf("169.254.10.20", allowing)).toBeNull();
    expect(refusalOf("169.254.169.254", allowing)).not.toBeNull();
    expect(refusalOf("10.0.0.5", allowing)).toBeNull();
    expect(refusalOf("10.0.0.6", allowing)).not.toBeNull();
    expect(refusalOf("fd00:ec2::254", allowing)).toBeNull();
  });

  it("parseCidr takes an address with or without a prefix length, and nothing else", () => {
    expect(parseCidr("10.0.0.0/8")).toEqual(["10.0.0.0", 8]);
    expect(parseCidr("10.0.0.1")).toEqual(["10.0.0.1", 32]);
    expect(parseCidr("fd00::/8")).toEqual(["fd00::", 8]);
    expect(parseCidr("::1")).toEqual(["::1", 128]);
    for (const text of ["10.0.0.0/33", "fd00::/129", "10.0.0/8", "localhost", "10.0.0.0/8/8", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/ 8", ""]) expect(parseCidr(text)).toBeNull();
  });
});

describe("the address checked is the address connected to", () => {
  it("a name is judged by every address it resolves to: one refused address refuses it", async () => {
    const resolvesTo =
      (...addresses: string[]) =>
      async () =>
        addresses;
    expect(await resolveTarget("metadata.example", policy(), resolvesTo("169.254.169.254"))).toEqual({
      error: { kind: "blocked", message: "refused to connect to 169.254.169.254 (metadata.example): a link-local or cloud metadata address; allow it with delivery.allow_networks" },
    });
    expect(await resolveTarget("mixed.example", policy(), resolvesTo("93.184.215.14", "fe80::1"))).toMatchObject({ error: { kind: "blocked" } });
    expect(await resolveTarget("fine.example", policy(), resolvesTo("93.184.215.14", "2606:4700::1111"))).toEqual({ address: "93.184.215.14" });
  });

  it("each attempt resolves once and connects to what it checked: a name that rebinds between attempts is judged anew", async () => {
    const answers = [["93.184.215.14"], ["169.254.169.254"]];
    const rebinding = async () => answers.shift()!;
    expect(await resolveTarget("rebind.example", policy(), rebinding)).toEqual({ address: "93.184.215.14" });
    expect(await resolveTarget("rebind.example", policy(), rebinding)).toMatchObject({ error: { kind: "blocked" } });
  });

  it("a name that does not resolve is a dns error", async () => {
    const failing = async () => Promise.reject(Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" }));
    expect(await resolveTarget("nowhere.invalid", policy(), failing)).toEqual({ error: { kind: "dns", message: "could not resolve host nowhere.invalid (ENOTFOUND)" } });
  });
});

describe("every checked address is tried in turn when it cannot be connected to", () => {
  const resolvesTo =
    (...addresses: string[]) =>
    async () =>
      addresses;
  const post = (url: string, resolve: () => Promise<string[]>, settings: Partial<OutboundSettings> = {}) =>
    postWebhook(url, { "content-type": "application/json" }, new TextEncoder().encode("{}"), AbortSignal.timeout(5_000), policy(settings), undefined, resolve);

  it("in RFC 8305's order: the resolver's first address, then the two families alternating, each in the resolver's order", async () => {
    expect(connectionOrder(["2001:db8::1", "2001:db8::2", "2001:db8::3", "192.0.2.1", "192.0.2.2"])).toEqual(["2001:db8::1", "192.0.2.1", "2001:db8::2", "192.0.2.2", "2001:db8::3"]);
    expect(connectionOrder(["192.0.2.1", "192.0.2.2", "2001:db8::1"])).toEqual(["192.0.2.1", "2001:db8::1", "192.0.2.2"]);
    expect(await resolveTargets("both.example", policy(), resolvesTo("93.184.215.14", "93.184.215.15", "2606:4700::1111"))).toEqual({
      addresses: ["93.184.215.14", "2606:4700::1111", "93.184.215.15"],
    });
  });

  it("a name listing a dead address first is still delivered to, at the live one, under its name", async () => {
    const r = receivers.start();
    const port = new URL(r.url).port;
    // Nothing listens on 127.0.0.2: the connection is refused there, and nothing is sent.
    const result = await post(`http://receiver.test:${port}/hook`, resolvesTo("127.0.0.2", "127.0.0.1"));
    expect(result).toMatchObject({ status: 200, error: null });
    expect(r.requests.map((q) => q.headers.host)).toEqual([`receiver.test:${port}`]);
  });

  it("::1 first, then an IPv4-only receiver", async () => {
    const r = receivers.start(); // listens on 127.0.0.1 only
    const port = new URL(r.url).port;
    expect(await post(`http://dual.test:${port}/hook`, resolvesTo("::1", "127.0.0.1"))).toMatchObject({ status: 200, error: null });
    expect(r.requests).toHaveLength(1);
  });

  it("when no address answers, the attempt is a connection error naming every address tried", async () => {
    const port = freePort();
    const result = await post(`http://dead.test:${port}/hook`, resolvesTo("127.0.0.2", "::1", "127.0.0.3"));
    expect(result.error).toEqual({ kind: "connection_refused", message: `connection refused by 127.0.0.3:${port} (every address was tried, in this order: 127.0.0.2, ::1, 127.0.0.3)` });
  });

  it("each address is judged before any is tried: one refused address refuses the name, with nothing sent", async () => {
    const r = receivers.start();
    const port = new URL(r.url).port;
    const result = await post(`http://mixed.test:${port}/hook`, resolvesTo("127.0.0.2", "127.0.0.1", "169.254.169.254"));
    expect(result.error?.kind).toBe("blocked");
    expect((await post(`http://strict.test:${port}/hook`, resolvesTo("93.184.215.14", "127.0.0.1"), { blockPrivateNetworks: true })).error?.kind).toBe("blocked");
    expect(r.requests).toHaveLength(0);
  });
});

async function attemptOf(h: TestHerald, eventId: string, subscription = "a") {
  const detail = (await (await h.api(`/api/v1/events/${eventId}`)).json()) as any;
  return detail.deliveries.find((d: any) => d.subscription === subscription).attempt_log.at(-1);
}

describe("a refused target is an attempt error, not a crash", () => {
  it("metadata and link-local URLs, however written, are refused before connecting, and retried on schedule", async () => {
    const urls = ["http://169.254.169.254/latest/meta-data/", "http://[fe80::1]:8080/hook", "http://[::ffff:169.254.169.254]/", "http://2852039166/", "http://0251.0376.0251.0376/"];
    const clock = new ManualClock();
    herald = await startTestHerald(configYaml({ subscriptions: urls.map((url, i) => `  - { id: s${i}, url: "${url}", events: ["*"] }`).join("\n"), userSubscriptions: ["s0"] }), {
      clock,
      startWorker: false,
    });
    const event = (await (await herald.publish({ event_type: "sample.uploaded", object: {} })).json()) as any;
    await herald.worker.drain();
    for (let i = 0; i < urls.length; i++) {
      const attempt = await attemptOf(herald, event.id, `s${i}`);
      expect({ url: urls[i], kind: attempt.error.kind }).toEqual({ url: urls[i], kind: "blocked" });
      expect(attempt.error.message).toContain("link-local or cloud metadata");
    }
    const detail = (await (await herald.api(`/api/v1/events/${event.id}`)).json()) as any;
    expect(detail.status).toBe("retryable");
    expect((await fetch(`${herald.url}/healthz`)).status).toBe(200);
  });

  it("block_private_networks refuses a 127.0.0.1 receiver and a name resolving to it; allow_networks lets it through", async () => {
    const r = receivers.start();
    const port = new URL(r.url).port;
    const subscriptions = `  - { id: a, url: "http://127.0.0.1:${port}/hook", events: ["*"] }\n  - { id: b, url: "http://localhost:${port}/hook", events: ["*"] }`;
    const clock = new ManualClock();
    herald = await startTestHerald(configYaml({ subscriptions, extra: "delivery: { block_private_networks: true }" }), { clock, startWorker: false });
    const event = (await (await herald.publish({ event_type: "sample.uploaded", object: {} })).json()) as any;
    await herald.worker.drain();
    expect((await attemptOf(herald, event.id, "a")).error).toEqual({
      kind: "blocked",
      message: "refused to connect to 127.0.0.1: a loopback or private address (delivery.block_private_networks); allow it with delivery.allow_networks",
    });
    expect((await attemptOf(herald, event.id, "b")).error.message).toStartWith("refused to connect to 127.0.0.1 (localhost): a loopback or private address");
    expect(r.requests).toHaveLength(0);
    await herald.close();

    herald = await startTestHerald(configYaml({ subscriptions, extra: "delivery: { block_private_networks: true, allow_networks: [127.0.0.0/8] }" }), { clock, startWorker: false });
    await herald.publish({ event_type: "sample.uploaded", object: {} });
    await herald.worker.drain();
    expect(r.requests.map((q) => q.headers.host).sort()).toEqual([`127.0.0.1:${port}`, `localhost:${port}`]);
  });
});

describe("https to a name: Herald connects to the checked address, and TLS still checks the certificate for the name", () => {
  const dir = tempDir("herald-outbound-tls-");
  afterAll(async () => {
    await killAllHeralds();
    rmSync(dir, { recursive: true, force: true });
  });

  it("delivers to https://localhost with a certificate for localhost, and refuses one for another name", async () => {
    const tls = join(import.meta.dir, "fixtures", "tls");
    const serve = (name: string) =>
      Bun.serve({
        hostname: "127.0.0.1",
        port: 0,
        tls: { cert: Bun.file(join(tls, `${name}.pem`)), key: Bun.file(join(tls, `${name}.key`)) },
        fetch: async (request) => (await request.text(), new Response(`host=${request.headers.get("host")}`)),
      });
    const good = serve("localhost");
    const wrong = serve("other.test");
    try {
      const yaml = configYaml({
        subscriptions: `  - { id: a, url: "https://localhost:${good.port}/hook", events: ["*"] }\n  - { id: b, url: "https://localhost:${wrong.port}/hook", events: ["*"] }`,
        retry: "retry: { timeout: 2s, schedule: [64s], success: 2xx }",
      });
      const process = await spawnHerald({ dir, yaml, env: { NODE_EXTRA_CA_CERTS: join(tls, "ca.pem") } });
      const { id } = (await (await process.publish({ event_type: "sample.uploaded", object: {} })).json()) as { id: string };
      const detail = await waitUntil("both attempts", async () => {
        const event = (await (await process.api(`/api/v1/events/${id}`)).json()) as any;
        return event.deliveries.every((d: any) => d.attempt_log.length > 0) ? event : undefined;
      });
      const [a, b] = detail.deliveries;
      expect(a.attempt_log[0]).toMatchObject({ success: true, response: { status: 200, body: `host=localhost:${good.port}` } });
      expect(b.attempt_log[0].error.kind).toBe("tls");
      expect(await process.kill("SIGTERM")).toBe(0);
    } finally {
      good.stop(true);
      wrong.stop(true);
    }
  }, 30_000);
});

describe("the config", () => {
  const dir = tempDir("herald-outbound-config-");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("an allow_networks entry that is not a network, or a block_private_networks that is not a boolean, is a problem at its path and line", async () => {
    const { loadConfigText } = await import("../src/config/load.ts");
    const problems = async (delivery: string) => {
      const yaml = configYaml({ subscriptions: `  - { id: a, url: "http://127.0.0.1:9/x", events: ["*"] }`, extra: `delivery:\n${delivery}` });
      const result = await loadConfigText(yaml, join(dir, "webhooks.config.yaml"), {});
      return result.ok ? [] : result.problems.map((p) => `${p.line} ${p.path}: ${p.message}`);
    };
    expect(await problems("  block_private_networks: true\n  allow_networks: [10.0.0.0/8, 10.0.0.0/33, localhost]")).toEqual([
      '7 delivery.allow_networks[1]: "10.0.0.0/33" is not a network: write an address with a prefix length, such as 169.254.10.0/24 or fd00::/8',
      '7 delivery.allow_networks[2]: "localhost" is not a network: write an address with a prefix length, such as 169.254.10.0/24 or fd00::/8',
    ]);
    expect(await problems("  block_private_networks: yes-please")).toEqual(["6 delivery.block_private_networks: Expected boolean"]);
  });
});
