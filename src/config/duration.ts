// Durations in the config are written like `64s`, `12m`, `30d` (and `500ms` for tests and tight timeouts).
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;

// The schema and the parser read the same pattern, so what one accepts the other converts.
export const DURATION_PATTERN = `^([0-9]+)(${Object.keys(UNIT_MS).join("|")})$`;
const DURATION = new RegExp(DURATION_PATTERN);

/** Only for text that matched DURATION_PATTERN (the schema checks it first): anything else is a bug. */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text);
  if (!match) throw new Error(`not a duration: ${text}`);
  return Number(match[1]) * UNIT_MS[match[2] as Unit];
}

/** The largest unit that divides `ms` exactly, so a message shows a duration the config could hold. */
export function formatDuration(ms: number): string {
  const units = Object.entries(UNIT_MS).toReversed() as [Unit, number][];
  const [unit, size] = units.find(([, size]) => ms % size === 0) ?? ["ms", 1];
  return `${ms / size}${unit}`;
}
