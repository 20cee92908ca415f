// Networks as written in the config (`delivery.allow_networks`): a CIDR or a single address.
import { isIP } from "node:net";

/** An address and its prefix length: one network. */
export type Range = readonly [address: string, prefix: number];

/** `a.b.c.d/n`, `v6::/n` or a single address, as [address, prefix]; null if it is neither. */
export function parseCidr(text: string): Range | null {
  const [address = "", prefix, ...rest] = text.split("/");
  const family = isIP(address);
  const bits = prefix === undefined ? (family === 6 ? 128 : 32) : /^\d{1,3}$/.test(prefix) ? Number(prefix) : -1;
  if (family === 0 || rest.length > 0 || bits < 0 || bits > (family === 6 ? 128 : 32)) return null;
  return [address, bits];
}
