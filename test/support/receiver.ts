// A real HTTP receiver on 127.0.0.1 that records every request and answers as the test tells it.
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  receivedAt: number;
}

export type Responder = (request: ReceivedRequest, index: number) => Response | Promise<Response>;

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  /** Changes how later requests are answered. */
  respond(responder: Responder): void;
  /** Resolves once `count` requests have arrived in all (bounded by `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  stop(): Promise<void>;
}

export function startReceiver(responder: Responder = () => new Response("ok")): Receiver {
  const requests: ReceivedRequest[] = [];
  let current = responder;
  const waiters: { count: number; resolve: () => void }[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(request) {
      const url = new URL(request.url);
      const received: ReceivedRequest = {
        method: request.method,
        path: url.pathname + url.search,
        headers: Object.fromEntries(request.headers),
        body: await request.text(),
        receivedAt: Date.now(),
      };
      requests.push(received);
      for (const waiter of waiters.filter((w) => requests.length >= w.count)) waiter.resolve();
      return current(received, requests.length - 1);
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    respond(next) {
      current = next;
    },
    async waitFor(count, timeoutMs = 5_000) {
      if (requests.length < count) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`receiver got ${requests.length} of ${count} requests in ${timeoutMs} ms`)), timeoutMs);
          waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
        });
      }
      return requests;
    },
    async stop() {
      await server.stop(true);
    },
  };
}

export interface ReceiverPool {
  /** Starts a receiver that `stopAll` will stop. */
  start(responder?: Responder): Receiver;
  stopAll(): Promise<void>;
}

/** The receivers of a test file: start them in the tests, `await pool.stopAll()` in `afterEach`. */
export function receiverPool(): ReceiverPool {
  const started: Receiver[] = [];
  return {
    start(responder) {
      const receiver = startReceiver(responder);
      started.push(receiver);
      return receiver;
    },
    async stopAll() {
      await Promise.all(started.splice(0).map((receiver) => receiver.stop()));
    },
  };
}
