import type { Clock } from "../../src/clock.ts";

/** A clock that moves only when the test says so. */
export class ManualClock implements Clock {
  constructor(private current = Date.parse("2026-01-01T00:00:00Z")) {}
  now() {
    return this.current;
  }
  advance(ms: number) {
    this.current += ms;
  }
  set(ms: number) {
    this.current = ms;
  }
}
