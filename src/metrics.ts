// Prometheus metrics (GET /metrics): what was published, how attempts went, and what is waiting.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Clock } from "./clock.ts";
import type { AttemptOutcome, Store } from "./store/index.ts";
import type { DeliveryState } from "./domain/vocabulary.ts";

export type Metrics = ReturnType<typeof createMetrics>;

const UNFINISHED: DeliveryState[] = ["pending", "retrying"];

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
  const deliveries = new Counter({
    name: "herald_deliveries_total",
    help: "What each attempt decided for its delivery: succeeded, retrying (a retry is scheduled) or failed (retries exhausted).",
    labelNames: ["subscription", "outcome"],
    registers,
  });
  const backlog = new Gauge({
    name: "herald_deliveries_unfinished",
    help: "Deliveries waiting for their first attempt (pending) or a retry (retrying); `due` counts those whose attempt is due now (one in flight is not).",
    labelNames: ["state", "due"],
    registers,
    async collect() {
      const rows = await deps.store.queue.backlog(deps.clock.now());
      for (const state of UNFINISHED) for (const due of ["true", "false"]) backlog.set({ state, due }, 0);
      for (const row of rows) {
        backlog.set({ state: row.state, due: "true" }, row.due);
        backlog.set({ state: row.state, due: "false" }, row.unfinished - row.due);
      }
    },
  });
  new Gauge({
    name: "herald_oldest_due_delivery_age_seconds",
    help: "How long the most overdue delivery has waited past its due time: how far behind the worker is (0 when nothing waits).",
    registers,
    async collect() {
      const oldest = await deps.store.queue.nextDueAt();
      this.set(oldest === null ? 0 : Math.max(0, deps.clock.now() - oldest) / 1000);
    },
  });

  return {
    contentType: registry.contentType,
    render: () => registry.metrics(),
    published: (eventType: string) => published.inc({ event_type: eventType }),
    attempt(subscriptionId: string, outcome: AttemptOutcome) {
      const result = outcome.success ? "success" : (outcome.errorKind ?? "rejected");
      attempts.inc({ subscription: subscriptionId, result });
      deliveries.inc({ subscription: subscriptionId, outcome: outcome.nextState });
      duration.observe({ subscription: subscriptionId }, outcome.durationMs / 1000);
    },
  };
}
