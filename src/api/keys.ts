// The API keys in force: the config file's (reloaded with it) and those an admin created through the API
// (stored as a SHA-256 only). The token of a created key is shown once and never kept.
import { timingSafeEqual } from "node:crypto";
import type { ApiRole } from "../config/schema.ts";
import type { ApiKey, LiveConfig } from "../config/types.ts";
import type { Clock } from "../clock.ts";
import { newId, type Store } from "../store/index.ts";
import { newToken, sha256Hex } from "../tokens.ts";

export type KeySource = "config" | "api";
export interface KeyEntry {
  key: ApiKey;
  source: KeySource;
  createdAt: number | null;
}

/** The prefix of tokens Herald makes, so a leaked one is recognisable in a scan. */
export const TOKEN_PREFIX = "hrld";

/**
 * Compares the SHA-256 of the given token with every key's, all 32 bytes long, in constant time: the response
 * time says nothing about which tokens exist, nor how long they are. Every key is compared, found or not.
 */
export function findKey<K extends ApiKey>(keys: K[], token: string): K | null {
  const given = Buffer.from(sha256Hex(token), "hex");
  let found: K | null = null;
  for (const key of keys) {
    const stored = Buffer.from(key.tokenSha256, "hex");
    if (stored.length === given.length && timingSafeEqual(stored, given)) found = key;
  }
  return found;
}

export class KeyRing {
  private stored: KeyEntry[] = [];

  constructor(
    private readonly store: Store,
    private readonly live: LiveConfig,
    private readonly clock: Clock,
  ) {
    this.reload();
  }

  private reload() {
    this.stored = this.store.listApiKeys().map(({ createdAt, ...key }) => ({ key, source: "api", createdAt }));
  }

  list(): KeyEntry[] {
    return [...this.live.config.apiKeys.map((key): KeyEntry => ({ key, source: "config", createdAt: null })), ...this.stored];
  }

  get(id: string): KeyEntry | undefined {
    return this.list().find((entry) => entry.key.id === id);
  }

  /** The key a token belongs to, `expired` for a known key past its expiry, or null. */
  authenticate(token: string): ApiKey | "expired" | null {
    const key = findKey(
      this.list().map((entry) => entry.key),
      token,
    );
    if (key && key.expiresAt !== null && key.expiresAt <= this.clock.now()) return "expired";
    return key;
  }

  create(input: { name: string; role: ApiRole; subscriptions: string[]; expiresAt: number | null }): { entry: KeyEntry; token: string } {
    const token = newToken(TOKEN_PREFIX);
    const row = { id: newId("key"), ...input, tokenSha256: sha256Hex(token), createdAt: this.clock.now() };
    this.store.insertApiKey(row);
    this.reload();
    return { entry: this.get(row.id)!, token };
  }

  remove(id: string): boolean {
    const removed = this.store.deleteApiKey(id);
    this.reload();
    return removed;
  }

  /** Admin keys that work now, from the file or the database. */
  usableAdmins(): KeyEntry[] {
    const now = this.clock.now();
    return this.list().filter(({ key }) => key.role === "admin" && (key.expiresAt === null || key.expiresAt > now));
  }

  /**
   * With no key anywhere (none in the file, none stored), nobody could use the API: make an admin key and
   * return its token, for the caller to print once. Only its hash is kept.
   */
  bootstrap(): string | null {
    if (this.list().length > 0) return null;
    return this.create({ name: "admin (generated at first start)", role: "admin", subscriptions: [], expiresAt: null }).token;
  }
}
