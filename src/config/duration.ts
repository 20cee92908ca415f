// Durations in the config are written like `64s`, `12m`, `30d` (and `500ms` for tests and tight timeouts).
import { unitScale } from "./units.ts";

const durations = unitScale("duration", { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }, "ms");

export const DURATION_PATTERN = durations.pattern;
/** Milliseconds. */
export const parseDuration = durations.parse;
export const formatDuration = durations.format;
