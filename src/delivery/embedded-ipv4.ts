// The IPv4 address an IPv6 address carries, if it carries one: such an address reaches that IPv4 host (through
// the kernel, a NAT64 gateway or a 6to4 relay), so outbound safety judges it as that IPv4 address.
import { isIP } from "node:net";

/** The 16 bytes of an IPv6 address in text (a zone such as `%eth0` ignored); null if it is not one. */
export function ipv6Bytes(text: string): Uint8Array | null {
  const address = text.replace(/%.*$/, "");
  if (isIP(address) !== 6) return null;
  // A dotted IPv4 tail (`::ffff:10.0.0.1`) is the last two groups written another way.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  const hex = dotted ? address.slice(0, dotted.index) + [0, 2].map((i) => ((Number(dotted[i + 1]) << 8) | Number(dotted[i + 2])).toString(16)).join(":") : address;
  const [head = "", tail] = hex.split("::");
  const groups = (part: string) => (part === "" ? [] : part.split(":").map((group) => Number.parseInt(group, 16)));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => bytes.set([group >> 8, group & 0xff], i * 2));
  return bytes;
}

const startsWith = (bytes: Uint8Array, prefix: readonly number[]) => prefix.every((byte, i) => bytes[i] === byte);
const dottedQuad = (bytes: Uint8Array) => Array.from(bytes).join(".");

/**
 * The IPv4 address inside an IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96, deprecated but still
 * routed by some stacks), NAT64 well-known-prefix (64:ff9b::/96) or 6to4 (2002::/16) address; null otherwise.
 * `::` and `::1` are IPv6's own unspecified and loopback addresses, not IPv4-compatible ones.
 */
export function embeddedIpv4(address: string): string | null {
  const bytes = ipv6Bytes(address);
  if (!bytes) return null;
  const zeros = Array<number>(10).fill(0);
  if (startsWith(bytes, [...zeros, 0xff, 0xff])) return dottedQuad(bytes.subarray(12));
  if (startsWith(bytes, [0x00, 0x64, 0xff, 0x9b, ...Array<number>(8).fill(0)])) return dottedQuad(bytes.subarray(12));
  if (startsWith(bytes, [0x20, 0x02])) return dottedQuad(bytes.subarray(2, 6));
  const unspecifiedOrLoopback = startsWith(bytes, [...zeros, 0, 0, 0, 0, 0]) && bytes[15]! <= 1;
  if (startsWith(bytes, [...zeros, 0, 0]) && !unspecifiedOrLoopback) return dottedQuad(bytes.subarray(12));
  return null;
}
