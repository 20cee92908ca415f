// Prometheus metrics (GET /metrics): what was published, how attempts went, and what is waiting.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Clock } from "./clock.ts";
import type { AttemptOutcome, Store } from "./store/index.ts";

export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics(deps: { store: Store; clock: Clock; inflight: () => number }) {
  const registry = new Registry();
  const registers = [registry];
  const published = new Counter({
    name: "herald_events_published_total",
    help: "Events accepted by POST /api/v1/events (repeats of an idempotent id not counted).",
    labelNames: ["event_type"],
    registers,
  });
  const attempts = new Counter({
    name: "herald_delivery_attempts_total",
    help: "Delivery attempts by result: success, rejected (an answer the policy does not count as success), or the error kind.",
    labelNames: ["subscription", "result"],
    registers,
  });
  const duration = new Histogram({
    name: "herald_delivery_attempt_duration_seconds",
    help: "How long attempts took, from the start of the POST to the end of the answer.",
    labelNames: ["subscription"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  new Gauge({
    name: "herald_deliveries_in_flight",
    help: "POSTs in flight in this process.",
    registers,
    collect() {
      this.set(deps.inflight());
    },
  });
  const backlog = new Gauge({
    name: "herald_deliveries_unfinished",
    help: "Deliveries not yet succeeded or failed for good; `due` counts those whose next attempt is due now.",
    labelNames: ["due"],
    registers,
    collect() {
      const { unfinished, due } = deps.store.deliveryBacklog(deps.clock.now());
      backlog.set({ due: "true" }, due);
      backlog.set({ due: "false" }, unfinished - due);
    },
  });

  return {
    contentType: registry.contentType,
    render: () => registry.metrics(),
    published: (eventType: string) => published.inc({ event_type: eventType }),
    attempt(subscriptionId: string, outcome: AttemptOutcome) {
      const result = outcome.success ? "success" : (outcome.errorKind ?? "rejected");
      attempts.inc({ subscription: subscriptionId, result });
      duration.observe({ subscription: subscriptionId }, outcome.durationMs / 1000);
    },
  };
}
