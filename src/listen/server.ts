// A local receiver for Herald's deliveries: checks each one as its real receiver would, prints it, answers.
import { checkDelivery, type Expectation } from "./check.ts";
import { formatDelivery, type ReceivedDelivery } from "./format.ts";

export interface ListenerOptions {
  host: string;
  port: number;
  /** What a request path expects; undefined answers 404 (no subscription points there). */
  expectationFor: (path: string) => Expectation | undefined;
  /** The status answered to a verified (or unchecked) delivery: pick a 5xx to rehearse failures. */
  status: number;
  /** Where each delivery goes once answered (printed to stdout by default). */
  onDelivery?: (delivery: ReceivedDelivery) => void;
}

export interface Listener {
  url: string;
  stop(): Promise<void>;
}

const printDelivery = (delivery: ReceivedDelivery) => process.stdout.write(formatDelivery(delivery));

export function startListener(options: ListenerOptions): Listener {
  const onDelivery = options.onDelivery ?? printDelivery;
  const server = Bun.serve({
    hostname: options.host,
    port: options.port,
    reusePort: false,
    async fetch(request) {
      const path = new URL(request.url).pathname;
      const expect = options.expectationFor(path);
      if (request.method !== "POST") return new Response("herald listen takes POSTs\n", { status: 405, headers: { Allow: "POST" } });
      if (!expect) return new Response(`no subscription points at ${path}\n`, { status: 404 });
      const body = new Uint8Array(await request.arrayBuffer());
      const check = checkDelivery(expect, request.headers, body);
      // A delivery that fails its check is refused as a real receiver would refuse it, so Herald retries it.
      const status = check.verified === false ? 401 : options.status;
      onDelivery({ path, headers: request.headers, body, expect, check, status, at: new Date() });
      return new Response(status === 204 || status === 304 ? null : `${status}\n`, { status });
    },
  });
  return { url: `http://${options.host.includes(":") ? `[${options.host}]` : options.host}:${server.port}`, stop: () => server.stop(true) };
}
