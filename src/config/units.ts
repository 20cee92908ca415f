// Quantities in the config are written as a whole number and a unit (`64s`, `1MiB`). One scale per kind of
// quantity: the schema's pattern, the parser and the formatter all read the same table of units.
export function unitScale<Unit extends string>(kind: string, table: Record<Unit, number>, smallest: NoInfer<Unit>) {
  // The schema and the parser read the same pattern, so what one accepts the other converts.
  const pattern = `^([0-9]+)(${Object.keys(table).join("|")})$`;
  const regex = new RegExp(pattern);
  const largestFirst = (Object.entries(table) as [Unit, number][]).toReversed();
  return {
    pattern,
    /** Only for text that matched `pattern` (the schema checks it first): anything else is a bug. */
    parse(text: string): number {
      const match = regex.exec(text);
      if (!match) throw new Error(`not a ${kind}: ${text}`);
      return Number(match[1]) * table[match[2] as Unit];
    },
    /** In the largest unit that divides `amount` exactly, so a message shows what the config could hold. */
    format(amount: number): string {
      const [unit, size] = largestFirst.find(([, size]) => amount % size === 0) ?? [smallest, 1];
      return `${amount / size}${unit}`;
    },
  };
}
