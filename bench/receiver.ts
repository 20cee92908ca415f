// The bench's receiver, run as its own process: a bare Bun.serve that answers 200 to every POST. It is both
// the raw limit's server and the endpoint Herald delivers to. It notes when each event (Herald-Event-Id) first
// arrives, so publish → first attempt can be measured; /hold/... answers only at the next reset, so a
// subscription can be parked. Control routes start with /_ ; it prints {"port": n} once listening.
let received = 0;
let arrivals = new Map<string, number>();
let held: (() => void)[] = [];

/** Wall-clock time with sub-millisecond precision, comparable across processes on one machine. */
const wallClock = () => performance.timeOrigin + performance.now();

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  idleTimeout: 0,
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === "/_stats") return Response.json({ received, distinctEvents: arrivals.size });
    if (path === "/_arrivals") return Response.json(Object.fromEntries(arrivals));
    if (path === "/_reset") {
      received = 0;
      arrivals = new Map();
      for (const release of held.splice(0)) release();
      return new Response("reset");
    }
    const eventId = request.headers.get("herald-event-id");
    if (eventId !== null && !arrivals.has(eventId)) arrivals.set(eventId, wallClock());
    await request.arrayBuffer();
    received++;
    if (path.startsWith("/hold")) await new Promise<void>((resolve) => held.push(resolve));
    return new Response("ok");
  },
});

console.log(JSON.stringify({ port: server.port }));
process.on("SIGTERM", () => {
  void server.stop(true);
  process.exit(0);
});
