// Outbound safety (SSRF): which addresses a delivery may connect to, judged on the address actually connected
// to. Herald resolves the receiver's name itself, checks every address it resolves to, and connects to the
// checked address (the Host header and the TLS server name stay the URL's), so a name cannot resolve to one
// address when checked and to another when connected (DNS rebinding).
import { BlockList, isIP } from "node:net";
import { parseCidr, type Range } from "../domain/network.ts";
import { embeddedIpv4 } from "./embedded-ipv4.ts";

/** Link-local networks (where clouds serve instance metadata and credentials) and metadata addresses outside them. */
const LINK_LOCAL_AND_METADATA: readonly Range[] = [
  ["169.254.0.0", 16],
  ["fe80::", 10],
  ["100.100.100.200", 32], // Alibaba Cloud's metadata service
  ["fd00:ec2::254", 128], // AWS's metadata service over IPv6
];

/** This host and private networks: refused too with `block_private_networks`. */
const LOOPBACK_AND_PRIVATE: readonly Range[] = [
  ["0.0.0.0", 8], // "this network": connecting to 0.0.0.0 reaches this host
  ["127.0.0.0", 8],
  ["10.0.0.0", 8],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
  ["100.64.0.0", 10], // carrier-grade NAT, shared address space
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7], // unique local addresses
];

export interface OutboundSettings {
  blockPrivateNetworks: boolean;
  /** CIDRs (or single addresses) always allowed, link-local ones included. */
  allowNetworks: string[];
}

export interface OutboundPolicy {
  refused: { ranges: BlockList; why: string }[];
  allowed: BlockList;
}

const familyOf = (address: string) => (isIP(address) === 6 ? "ipv6" : "ipv4");

function blockList(ranges: readonly Range[]): BlockList {
  const list = new BlockList();
  for (const [address, prefix] of ranges) list.addSubnet(address, prefix, familyOf(address));
  return list;
}

const policies = new WeakMap<OutboundSettings, OutboundPolicy>();

/** The policy for these settings, built once per settings object (a reload brings a new one). */
export function outboundPolicy(settings: OutboundSettings): OutboundPolicy {
  let policy = policies.get(settings);
  if (!policy) {
    const refused = [{ ranges: blockList(LINK_LOCAL_AND_METADATA), why: "a link-local or cloud metadata address" }];
    if (settings.blockPrivateNetworks) refused.push({ ranges: blockList(LOOPBACK_AND_PRIVATE), why: "a loopback or private address (delivery.block_private_networks)" });
    // The config is checked at load: every entry parses.
    policy = { refused, allowed: blockList(settings.allowNetworks.map((cidr) => parseCidr(cidr)!)) };
    policies.set(settings, policy);
  }
  return policy;
}

/**
 * Why a connection to this address is refused, or null if it is allowed. An IPv6 address carrying an IPv4 one
 * (NAT64, 6to4, IPv4-mapped or -compatible) reaches that IPv4 host, so it is judged as that address too.
 */
export function refusalOf(address: string, policy: OutboundPolicy): string | null {
  const family = familyOf(address);
  if (policy.allowed.check(address, family)) return null;
  const why = policy.refused.find(({ ranges }) => ranges.check(address, family))?.why ?? null;
  if (why) return why;
  const carried = family === "ipv6" ? embeddedIpv4(address) : null;
  return carried === null ? null : refusalOf(carried, policy);
}

/** The host a URL names, an IPv6 address without its brackets; null for text that is not a URL. */
export function hostOf(url: string | URL): string | null {
  const parsed = typeof url === "string" ? URL.parse(url) : url;
  return parsed ? parsed.hostname.replace(/^\[(.*)\]$/, "$1") : null;
}

export type Target = { address: string } | { error: { kind: "blocked" | "dns"; message: string } };
export type Targets = { addresses: string[] } | { error: { kind: "blocked" | "dns"; message: string } };

/** Every address a name resolves to, in the resolver's order. */
export type Resolver = (hostname: string) => Promise<string[]>;

/** How long a name's addresses are reused, as fetch's own DNS cache did before Herald resolved names itself. */
const RESOLVED_TTL_MS = 30_000;
const RESOLVED_MAX_NAMES = 1_024;
const resolved = new Map<string, { addresses: Promise<string[]>; until: number }>();

/**
 * Bun's resolver behind a small cache: a lookup for every attempt cost a fifth of the delivery rate. Reusing
 * addresses is safe: every attempt still checks the addresses it connects to, and connects to nothing else.
 */
const systemResolver: Resolver = (hostname) => {
  const now = performance.now();
  const hit = resolved.get(hostname);
  if (hit && hit.until > now) return hit.addresses;
  if (resolved.size >= RESOLVED_MAX_NAMES) resolved.clear();
  const addresses = Bun.dns.lookup(hostname).then((entries) => entries.map((entry) => entry.address));
  resolved.set(hostname, { addresses, until: now + RESOLVED_TTL_MS });
  addresses.catch(() => resolved.delete(hostname)); // a failure is not remembered
  return addresses;
};

/**
 * The addresses to connect to for `hostname` (a name or an address literal), in the order to try them, once
 * every one it resolves to is allowed. A name with one refused address among others is refused whole: which
 * one a connection would use is not Herald's to know.
 */
export async function resolveTargets(hostname: string, policy: OutboundPolicy, resolve: Resolver = systemResolver): Promise<Targets> {
  let addresses: string[];
  if (isIP(hostname)) {
    addresses = [hostname];
  } else {
    try {
      addresses = await resolve(hostname);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      return { error: { kind: "dns", message: `could not resolve host ${hostname} (${typeof code === "string" ? code : String(error)})` } };
    }
  }
  for (const address of addresses) {
    const why = refusalOf(address, policy);
    if (why) {
      const named = address === hostname ? address : `${address} (${hostname})`;
      return { error: { kind: "blocked", message: `refused to connect to ${named}: ${why}; allow it with delivery.allow_networks` } };
    }
  }
  if (addresses.length === 0) return { error: { kind: "dns", message: `host ${hostname} resolves to no address` } };
  return { addresses: connectionOrder(addresses) };
}

/** The first address to connect to for `hostname` (see resolveTargets): the one a single connection uses. */
export async function resolveTarget(hostname: string, policy: OutboundPolicy, resolve: Resolver = systemResolver): Promise<Target> {
  const targets = await resolveTargets(hostname, policy, resolve);
  return "error" in targets ? targets : { address: targets.addresses[0]! };
}

/**
 * RFC 8305 §4: the resolver's first address first, then the families alternate (IPv6, IPv4, IPv6, ... when
 * IPv6 comes first), each family in the resolver's order. A host whose IPv6 addresses are all dead is then
 * reached at its second try, not after every IPv6 address has failed.
 */
export function connectionOrder(addresses: string[]): string[] {
  const [first] = addresses;
  if (first === undefined) return [];
  const firstFamily = addresses.filter((address) => isIP(address) === isIP(first));
  const otherFamily = addresses.filter((address) => isIP(address) !== isIP(first));
  const ordered: string[] = [];
  for (let i = 0; i < Math.max(firstFamily.length, otherFamily.length); i++) {
    if (i < firstFamily.length) ordered.push(firstFamily[i]!);
    if (i < otherFamily.length) ordered.push(otherFamily[i]!);
  }
  return ordered;
}
