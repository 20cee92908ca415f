// The store adapters the contract suite runs against: each opens a fresh, empty store. A new adapter joins
// by adding itself here, and passes when every *.contract.test.ts file passes for it.
import { afterEach, beforeEach, describe } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { AttemptOutcome, ClaimedDelivery, NewEvent, Store } from "../../src/store/index.ts";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";
import { tempDir } from "../support/herald.ts";

export interface Backend {
  name: string;
  /** A fresh, empty store, and what removes it. */
  open(): Promise<{ store: Store; dispose(): Promise<void> }>;
}

export const BACKENDS: Backend[] = [
  {
    name: "sqlite",
    async open() {
      const dir = tempDir("herald-contract-");
      const store = openSqliteStore(join(dir, "herald.db"));
      return {
        store,
        async dispose() {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
];

/** Runs `body` once per backend, each test on a fresh store (`current()`). */
export function forEachBackend(aggregate: string, body: (current: () => Store) => void) {
  for (const backend of BACKENDS) {
    describe(`${backend.name}: ${aggregate}`, () => {
      let opened: Awaited<ReturnType<Backend["open"]>> | undefined;
      beforeEach(async () => {
        opened = await backend.open();
      });
      afterEach(async () => {
        await opened?.dispose();
        opened = undefined;
      });
      body(() => opened!.store);
    });
  }
}

/** An event of type sample.uploaded to these subscriptions. */
export function newEvent(id: string, subscriptionIds: string[], extra: Partial<NewEvent> = {}): NewEvent {
  return { id, eventType: "sample.uploaded", objectType: "sample", object: { id }, triggeredAt: null, subscriptionIds, ...extra };
}

/** The outcome of an attempt on `claimed` that ended at `at`: a 200, or a 500 with the given next step. */
export function outcome(claimed: ClaimedDelivery, at: number, next: { state: AttemptOutcome["nextState"]; dueAt?: number | null } = { state: "succeeded" }): AttemptOutcome {
  const success = next.state === "succeeded";
  return {
    deliveryId: claimed.id,
    eventId: claimed.event.id,
    number: claimed.number,
    claim: claimed.claim,
    startedAt: at,
    durationMs: 1,
    url: "http://127.0.0.1:9/a",
    requestHeaders: {},
    responseStatus: success ? 200 : 500,
    responseBody: success ? "ok" : "no",
    errorKind: null,
    errorMessage: null,
    retryAfter: null,
    retryAfterMs: null,
    success,
    roundAttempts: claimed.roundAttempts + 1,
    nextState: next.state,
    nextDueAt: next.dueAt ?? null,
  };
}

/** One subscription's claim limits: `count` at a time, leased for `leaseMs`. */
export const limitsFor = (ids: string[], count = 100, leaseMs = 5_000) => new Map(ids.map((id) => [id, { count, leaseMs }]));
