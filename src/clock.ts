// Time comes from here, never from Date.now() directly, so retry schedules and retention are testable exactly.
export interface Clock {
  /** Unix milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
