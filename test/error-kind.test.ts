import { afterAll, describe, expect, it } from "bun:test";
import { classifyFetchError } from "../src/delivery/error-kind";

// Fixed self-signed pair for 127.0.0.1/localhost, valid 2020..2120, so the test
// needs no openssl and the TLS failure is always "self signed", never "expired".
const CERT = `-----BEGIN CERTIFICATE-----
MIIBZzCCAQ2gAwIBAgIBATAKBggqhkjOPQQDAjAUMRIwEAYDVQQDDAlsb2NhbGhv
c3QwIBcNMjAwMTAxMDAwMDAwWhgPMjEyMDAxMDEwMDAwMDBaMBQxEjAQBgNVBAMM
CWxvY2FsaG9zdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABEkSRS0gjrkEKf4H
da7ZNkQ+1h4h+Ufbw7qYQ8pdgvUuYZGmc2RTxm0Ho9Okare/onOdX8UHqkF24Hsk
tHTzF4WjTjBMMBoGA1UdEQQTMBGCCWxvY2FsaG9zdIcEfwAAATAPBgNVHRMBAf8E
BTADAQH/MB0GA1UdDgQWBBTrqNOCkXMe479cnfx+3Ehoham9GDAKBggqhkjOPQQD
AgNIADBFAiEAjqoFa9zGFWdo5+6JDfjoHv8yu9BtuinoeZ08dyRbEYECIAFyeVQ2
JxH5XxQ/ZMBADfVEXGbV/k5xDsEKEc0hDJ5X
-----END CERTIFICATE-----
`;
const KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgr+Aas2MZ7nvgR+Tj
/wVzFcD863TeLBy8mDUm/7+68sKhRANCAARJEkUtII65BCn+B3Wu2TZEPtYeIflH
28O6mEPKXYL1LmGRpnNkU8ZtB6PTpGq3v6JznV/FB6pBduB7JLR08xeF
-----END PRIVATE KEY-----
`;

const stops: Array<() => void> = [];
afterAll(() => {
  for (const stop of stops) stop();
});

function httpServer(options: Partial<Parameters<typeof Bun.serve>[0]> & { fetch: (req: Request) => Response | Promise<Response> }): number {
  const server = Bun.serve({ ...options, port: 0, hostname: "127.0.0.1" } as Parameters<typeof Bun.serve>[0]);
  stops.push(() => server.stop(true));
  return server.port!;
}

// Raw TCP server: `onData` sees the request bytes and decides how to misbehave.
function tcpServer(onData: (socket: Bun.Socket) => void): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data: onData } });
  stops.push(() => listener.stop(true));
  return listener.port;
}

// Make the same POST Herald makes and return what it threw.
async function postError(url: string, opts: { readBody?: boolean; timeoutMs?: number } = {}): Promise<unknown> {
  try {
    const res = await fetch(url, {
      method: "POST",
      body: JSON.stringify({ hello: "world" }),
      headers: { "content-type": "application/json" },
      redirect: "manual",
      signal: AbortSignal.timeout(opts.timeoutMs ?? 200),
    });
    if (opts.readBody) {
      const reader = res.body!.getReader();
      while (!(await reader.read()).done) {}
    }
  } catch (error) {
    return error;
  }
  throw new Error(`expected fetch to ${url} to fail`);
}

describe("classifyFetchError", () => {
  it("timeout: server accepts but never answers", async () => {
    const port = httpServer({ fetch: () => new Promise<Response>(() => {}) });
    const result = classifyFetchError(await postError(`http://127.0.0.1:${port}/`));
    expect(result).toEqual({ kind: "timeout", message: "timed out after the attempt timeout" });
  });

  it("timeout: headers arrive, then the body stalls", async () => {
    const port = httpServer({
      fetch: () =>
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode("partial"));
            },
          }),
        ),
    });
    const result = classifyFetchError(await postError(`http://127.0.0.1:${port}/`, { readBody: true }));
    expect(result.kind).toBe("timeout");
  });

  it("connection_refused: nothing listening on the port", async () => {
    // Grab a free port, then close it so nothing is listening there.
    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = probe.port;
    probe.stop(true);
    const result = classifyFetchError(await postError(`http://127.0.0.1:${port}/`));
    expect(result).toEqual({ kind: "connection_refused", message: `connection refused by 127.0.0.1:${port}` });
  });

  it("dns: host name that does not resolve", async () => {
    const result = classifyFetchError(await postError("http://no-such-host.invalid/", { timeoutMs: 2000 }));
    expect(result.kind).toBe("dns");
    expect(result.message).toContain("no-such-host.invalid");
  });

  it("tls: self-signed certificate", async () => {
    const port = httpServer({ tls: { cert: CERT, key: KEY }, fetch: () => new Response("ok") });
    const result = classifyFetchError(await postError(`https://127.0.0.1:${port}/`));
    expect(result.kind).toBe("tls");
    expect(result.message).toContain("self signed certificate");
  });

  it("tls: https to a plain-http port", async () => {
    const port = httpServer({ fetch: () => new Response("ok") });
    const result = classifyFetchError(await postError(`https://127.0.0.1:${port}/`));
    expect(result.kind).toBe("tls");
    expect(result.message).toContain("EPROTO");
  });

  it("reset: server closes the socket without answering", async () => {
    const port = tcpServer((socket) => socket.terminate());
    const result = classifyFetchError(await postError(`http://127.0.0.1:${port}/`));
    expect(result.kind).toBe("reset");
    expect(result.message).toContain(`127.0.0.1:${port}`);
  });

  it("reset: server sends half a response, then closes", async () => {
    const port = tcpServer((socket) => {
      socket.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc");
      socket.end();
    });
    const result = classifyFetchError(await postError(`http://127.0.0.1:${port}/`, { readBody: true }));
    expect(result.kind).toBe("reset");
  });

  it("other: malformed HTTP response keeps the original message", async () => {
    const port = tcpServer((socket) => {
      socket.write("NOT HTTP AT ALL\r\n\r\n");
      socket.end();
    });
    const result = classifyFetchError(await postError(`http://127.0.0.1:${port}/`));
    expect(result.kind).toBe("other");
    expect(result.message).toStartWith("Malformed_HTTP_Response");
    expect(result.message).not.toContain("verbose");
  });

  it("other: non-Error values are stringified", () => {
    expect(classifyFetchError("boom")).toEqual({ kind: "other", message: "boom" });
  });
});
