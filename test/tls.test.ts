// TLS in and out, with a CA made at test time: the API served over HTTPS (a reload serves a renewed
// certificate), receivers behind a site's own CA and requiring a client certificate, and deliveries through a
// local CONNECT proxy that counts what passes, the SSRF rules still judging the receiver's address.
import { afterAll, afterEach, describe, expect, it } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { connect as connectTcp, createServer, type Server } from "node:net";
import { connect as connectTls } from "node:tls";
import { join } from "node:path";
import { loadConfigText } from "../src/config/load.ts";
import { ManualClock } from "./support/clock.ts";
import { makeTestCa } from "./support/certs.ts";
import { ADMIN_TOKEN, configYaml, startTestHerald, tempDir, type TestHerald } from "./support/herald.ts";

const dir = tempDir("herald-tls-");
const ca = makeTestCa(dir);
const serverCert = ca.issue("receiver");
const clientCert = ca.issue("herald-client", "DNS:herald-client");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let herald: TestHerald | undefined;
const stops: (() => unknown)[] = [];
afterEach(async () => {
  await herald?.close();
  herald = undefined;
  for (const stop of stops.splice(0)) await stop();
});

/** An HTTPS receiver with the test CA's certificate that, if asked, refuses a client without a certificate from that CA. */
function tlsReceiver(requireClientCert: boolean) {
  const received: { path: string; clientCert: boolean }[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: serverCert.cert, key: serverCert.key, ...(requireClientCert ? { ca: ca.ca, requestCert: true, rejectUnauthorized: true } : {}) },
    fetch(request) {
      received.push({ path: new URL(request.url).pathname, clientCert: requireClientCert });
      return new Response("ok");
    },
  });
  stops.push(() => server.stop(true));
  return { url: `https://localhost:${server.port}`, port: server.port!, received };
}

/** A CONNECT proxy on 127.0.0.1 that records each target it is asked for and tunnels to it. */
async function connectProxy() {
  const targets: string[] = [];
  const proxy: Server = createServer((socket) => {
    socket.once("data", (chunk) => {
      const target = /^CONNECT (\S+) HTTP\/1\.[01]\r\n/.exec(chunk.toString("latin1"))?.[1];
      if (!target) return void socket.end("HTTP/1.1 405 Method Not Allowed\r\n\r\n");
      targets.push(target);
      const colon = target.lastIndexOf(":");
      const upstream = connectTcp(Number(target.slice(colon + 1)), target.slice(0, colon).replace(/^\[(.*)\]$/, "$1"), () => {
        socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      upstream.on("error", () => socket.destroy());
      socket.on("error", () => upstream.destroy());
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  stops.push(() => new Promise((resolve) => proxy.close(resolve)));
  return { url: `http://127.0.0.1:${(proxy.address() as { port: number }).port}`, targets };
}

async function deliveryOf(h: TestHerald, subscription: string) {
  const events = (await (await h.api(`/api/v1/events?subscription=${subscription}`)).json()) as { id: string }[];
  const detail = (await (await h.api(`/api/v1/events/${events[0]!.id}`)).json()) as {
    deliveries: { subscription: string; state: string; attempt_log: { error: { kind: string; message: string } | null }[] }[];
  };
  const delivery = detail.deliveries.find((d) => d.subscription === subscription)!;
  return { status: delivery.state, attempts: delivery.attempt_log };
}

const ONE_TRY = "retry: { timeout: 5s, schedule: [], success: 2xx }";

describe("TLS toward receivers", () => {
  it("trusts a site's own CA and presents a client certificate, per subscription and as the default", async () => {
    const mtls = tlsReceiver(true);
    const open = tlsReceiver(false);
    const yaml = configYaml({
      retry: ONE_TRY,
      extra: `delivery: { tls: { ca_file: ${ca.caFile} } }`,
      subscriptions: [
        `  - { id: a, url: "${open.url}/default-ca", events: ["*"] }`,
        `  - { id: mtls, url: "${mtls.url}/mtls", events: ["*"], tls: { cert_file: ${clientCert.certFile}, key_file: ${clientCert.keyFile} } }`,
        `  - { id: nocert, url: "${mtls.url}/nocert", events: ["*"] }`,
        `  - { id: otherca, url: "${open.url}/otherca", events: ["*"], tls: { ca_file: ${clientCert.certFile} } }`,
      ].join("\n"),
    });
    herald = await startTestHerald(yaml, { clock: new ManualClock(), startWorker: false });
    expect((await herald.publish({ event_type: "sample.uploaded", object: { id: "s1" } })).status).toBe(202);
    await herald.worker.drain();

    expect(open.received.map((r) => r.path)).toEqual(["/default-ca"]); // the default CA, inherited
    expect(mtls.received.map((r) => r.path)).toEqual(["/mtls"]); // the subscription's certificate, and the default CA
    expect((await deliveryOf(herald, "mtls")).status).toBe("succeeded");
    // Without a client certificate the receiver refuses the handshake; with a CA that did not sign it, Herald refuses the receiver.
    const nocert = await deliveryOf(herald, "nocert");
    expect([nocert.status, nocert.attempts[0]!.error?.kind]).toEqual(["failed", "tls"]);
    const otherca = await deliveryOf(herald, "otherca");
    expect([otherca.status, otherca.attempts[0]!.error?.kind]).toEqual(["failed", "tls"]);
  });

  it("the config names each TLS file that cannot be read, and a certificate without its key; the API refuses tls", async () => {
    const file = join(dir, "bad.yaml");
    const yaml = configYaml({
      subscriptions: `  - { id: a, url: "https://localhost:1/a", events: ["*"], tls: { ca_file: ./missing-ca.pem, cert_file: ${clientCert.certFile} } }`,
      extra: `server: { tls: { cert_file: ${serverCert.certFile}, key_file: ./missing.key } }`,
    }).replace("server: { host: 127.0.0.1, port: 0 }\n", "");
    const loaded = await loadConfigText(yaml, file, {});
    expect(loaded.ok).toBe(false);
    const problems = loaded.ok ? [] : loaded.problems.map((p) => `${p.path}: ${p.message}`);
    expect(problems).toContain(`server.tls.key_file: cannot read ${join(dir, "missing.key")}: ENOENT`);
    expect(problems).toContain(`subscriptions[0].tls.ca_file: cannot read ${join(dir, "missing-ca.pem")}: ENOENT`);
    expect(problems).toContain("subscriptions[0].tls: cert_file and key_file go together: a client certificate needs its private key");

    herald = await startTestHerald(configYaml({ subscriptions: '  - { id: a, url: "http://127.0.0.1:9/a", events: ["*"] }' }));
    const refused = await herald.api("/api/v1/subscriptions", { method: "POST", json: { url: "https://localhost:1/x", events: ["*"], tls: { ca_file: ca.caFile } } });
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain("tls: TLS files are set in the config file only");
  });
});

describe("deliveries through an HTTP CONNECT proxy", () => {
  it("tunnels to the checked address (not the name); no_proxy hosts go direct; a refused address never reaches the proxy", async () => {
    const mtls = tlsReceiver(true);
    const proxy = await connectProxy();
    const tls = `tls: { ca_file: ${ca.caFile}, cert_file: ${clientCert.certFile}, key_file: ${clientCert.keyFile} }`;
    const yaml = configYaml({
      retry: ONE_TRY,
      extra: `delivery: { proxy: "${proxy.url}", no_proxy: ["127.0.0.1"], ${tls} }`,
      subscriptions: [
        `  - { id: a, url: "${mtls.url}/proxied", events: [sample.uploaded] }`,
        `  - { id: direct, url: "https://127.0.0.1:${mtls.port}/direct", events: [analysis.failed] }`,
        `  - { id: metadata, url: "https://169.254.169.254/latest", events: [analysis.succeeded] }`,
      ].join("\n"),
    });
    herald = await startTestHerald(yaml, { clock: new ManualClock(), startWorker: false });
    await herald.publish({ event_type: "sample.uploaded", object: { id: "s1" } });
    await herald.worker.drain();
    expect(mtls.received.map((r) => r.path)).toEqual(["/proxied"]);
    // The proxy was asked for the address Herald resolved and checked, not for the name.
    expect(proxy.targets).toEqual([`127.0.0.1:${mtls.port}`]);

    await herald.publish({ event_type: "analysis.failed", object: { id: "a1" } });
    await herald.worker.drain();
    expect(proxy.targets).toHaveLength(1); // no_proxy: straight to the receiver
    expect((await deliveryOf(herald, "direct")).status).toBe("succeeded");
    expect(mtls.received.map((r) => r.path)).toEqual(["/proxied", "/direct"]);

    await herald.publish({ event_type: "analysis.succeeded", object: { id: "a2" } });
    await herald.worker.drain();
    const metadata = await deliveryOf(herald, "metadata");
    expect([metadata.status, metadata.attempts[0]!.error?.kind]).toEqual(["failed", "blocked"]);
    expect(proxy.targets).toHaveLength(1);
  });

  it("reads HTTPS_PROXY, HTTP_PROXY and NO_PROXY when the file names no proxy", async () => {
    const yaml = configYaml({ subscriptions: '  - { id: a, url: "http://127.0.0.1:9/a", events: ["*"] }' });
    const env = { HTTPS_PROXY: "http://proxy.lab:3128", http_proxy: "http://proxy.lab:3129", NO_PROXY: "localhost, .internal" };
    const loaded = await loadConfigText(yaml, join(dir, "env.yaml"), env);
    expect(loaded.ok && loaded.config.delivery.proxy).toEqual({ https: "http://proxy.lab:3128", http: "http://proxy.lab:3129", noProxy: ["localhost", ".internal"] });
    const fromFile = await loadConfigText(yaml.replace("storage:", 'delivery: { proxy: "http://file.proxy:8080" }\nstorage:'), join(dir, "file.yaml"), env);
    expect(fromFile.ok && fromFile.config.delivery.proxy.https).toBe("http://file.proxy:8080");
  });
});

/** The serial number of the certificate a TLS server presents now (a fresh connection). */
function servedSerial(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({ host: "127.0.0.1", port, ca: ca.ca, servername: "localhost" }, () => {
      resolve(socket.getPeerCertificate().serialNumber);
      socket.end();
    });
    socket.on("error", reject);
  });
}

describe("the API over HTTPS", () => {
  it("serves with server.tls, and a reload serves a renewed certificate", async () => {
    const first = ca.issue("api-1");
    const certFile = join(dir, "api.crt");
    const keyFile = join(dir, "api.key");
    writeFileSync(certFile, first.cert);
    writeFileSync(keyFile, first.key);
    const yaml = configYaml({
      subscriptions: '  - { id: a, url: "http://127.0.0.1:9/a", events: ["*"] }',
      extra: `reload: { watch: false }`,
    }).replace("server: { host: 127.0.0.1, port: 0 }", `server: { host: 127.0.0.1, port: 0, tls: { cert_file: ${certFile}, key_file: ${keyFile} } }`);
    herald = await startTestHerald(yaml);
    expect(herald.url).toStartWith("https://127.0.0.1:");
    const port = Number(new URL(herald.url).port);
    const healthz = await fetch(`${herald.url}/healthz`, { tls: { ca: ca.ca } });
    expect(healthz.status).toBe(200);
    const before = await servedSerial(port);

    const renewed = ca.issue("api-2");
    writeFileSync(certFile, renewed.cert);
    writeFileSync(keyFile, renewed.key);
    expect((await herald.reload()).ok).toBe(true);
    const after = await servedSerial(port);
    expect(after).not.toBe(before);
    const events = await fetch(`${herald.url}/api/v1/events`, { tls: { ca: ca.ca }, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(events.status).toBe(200);
  });
});
