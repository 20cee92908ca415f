// Sizes in the config are written like `512KiB`, `1MiB` (binary units, so `1MiB` is exactly 1,048,576 bytes).
const UNIT_BYTES = { B: 1, KiB: 1024, MiB: 1024 * 1024 } as const;
type Unit = keyof typeof UNIT_BYTES;

// The schema and the parser read the same pattern, so what one accepts the other converts.
export const SIZE_PATTERN = `^([0-9]+)(${Object.keys(UNIT_BYTES).join("|")})$`;
const SIZE = new RegExp(SIZE_PATTERN);

/** Only for text that matched SIZE_PATTERN (the schema checks it first): anything else is a bug. */
export function parseSize(text: string): number {
  const match = SIZE.exec(text);
  if (!match) throw new Error(`not a size: ${text}`);
  return Number(match[1]) * UNIT_BYTES[match[2] as Unit];
}

/** The largest unit that divides `bytes` exactly, as the config would write it. */
export function formatSize(bytes: number): string {
  const units = Object.entries(UNIT_BYTES).toReversed() as [Unit, number][];
  const [unit, size] = units.find(([, size]) => bytes % size === 0) ?? ["B", 1];
  return `${bytes / size}${unit}`;
}
