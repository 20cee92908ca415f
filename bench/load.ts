// The load generator: a closed loop (N calls, C in flight) and an open loop (a steady rate), both timing each
// call. Every loop is bounded by a count and a deadline, so a stalled run reports what it got and stops.

export interface LoadResult {
  seconds: number;
  ok: number;
  failed: number;
  /** Milliseconds per successful call, in completion order. */
  latencies: number[];
}

/** Wall-clock time with sub-millisecond precision, comparable across processes on one machine. */
export const wallClock = () => performance.timeOrigin + performance.now();

/** Runs `call(0..count-1)` with `concurrency` calls in flight; a call that throws or returns false has failed. */
export async function closedLoop(count: number, concurrency: number, deadlineMs: number, call: (index: number) => Promise<boolean>): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  let failed = 0;
  const started = performance.now();
  const deadline = started + deadlineMs;
  const lane = async () => {
    while (next < count && performance.now() < deadline) {
      const index = next++;
      const t0 = performance.now();
      const ok = await call(index).catch(() => false);
      if (ok) latencies.push(performance.now() - t0);
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return { seconds: (performance.now() - started) / 1000, ok: latencies.length, failed, latencies };
}

/**
 * Starts `call(i)` at a steady `rate` per second for `seconds`, without waiting for earlier calls (an open loop:
 * a slow answer does not slow the arrivals), then waits for the calls still in flight.
 */
export async function openLoop(rate: number, seconds: number, call: (index: number) => Promise<boolean>): Promise<LoadResult> {
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  const inflight = new Set<Promise<void>>();
  let failed = 0;
  const started = performance.now();
  for (let sent = 0; sent < total; ) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
    for (; sent < due; sent++) {
      const t0 = performance.now();
      const task: Promise<void> = call(sent)
        .catch(() => false)
        .then((ok) => {
          if (ok) latencies.push(performance.now() - t0);
          else failed++;
          inflight.delete(task);
        });
      inflight.add(task);
    }
    await Bun.sleep(1);
  }
  await Promise.all(inflight);
  return { seconds: (performance.now() - started) / 1000, ok: latencies.length, failed, latencies };
}

/** Polls `check` every `everyMs` until it holds or `timeoutMs` passes; returns whether it held. */
export async function pollUntil(check: () => Promise<boolean>, timeoutMs: number, everyMs = 25): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (performance.now() > deadline) return false;
    await Bun.sleep(everyMs);
  }
}

/** The value below which `p` percent of the samples fall (nearest rank). */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = Float64Array.from(samples).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
