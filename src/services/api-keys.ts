// The API keys in force: the config file's (reloaded with it) and those an admin created through the API
// (stored as a SHA-256 only), and the rules for making and deleting them. The token of a created key is shown
// once and never kept.
import { timingSafeEqual } from "node:crypto";
import type { LiveConfig } from "../config/types.ts";
import type { Clock } from "../clock.ts";
import { refuse, refuseFields, type FieldProblem, type Refusal } from "../domain/refusal.ts";
import { type Store } from "../store/index.ts";
import { newToken, sha256Hex } from "../tokens.ts";
import type { ApiKey } from "../domain/subscription.ts";
import type { ApiRole } from "../domain/vocabulary.ts";
import { newId } from "../domain/vocabulary.ts";
import { oneAtATime } from "./one-at-a-time.ts";
import { takeToken, type Bucket } from "../domain/rate-limit.ts";

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
export function findKey<K extends ApiKey>(keys: readonly K[], token: string): K | null {
  const given = Buffer.from(sha256Hex(token), "hex");
  let found: K | null = null;
  for (const key of keys) {
    const stored = Buffer.from(key.tokenSha256, "hex");
    if (stored.length === given.length && timingSafeEqual(stored, given)) found = key;
  }
  return found;
}

export interface NewKey {
  name: string;
  role: ApiRole;
  subscriptions: string[];
  expiresAt: number | null;
}

export class KeyRing {
  private stored: KeyEntry[] = [];
  /** Rate-limit buckets by key id (only keys with a limit have one). */
  private readonly buckets = new Map<string, Bucket>();
  private built: { config: LiveConfig["config"]; stored: KeyEntry[]; entries: readonly KeyEntry[]; keys: readonly ApiKey[] } | null = null;
  /** Changes one at a time: each reads what the one before it wrote. */
  private readonly exclusive = oneAtATime();

  constructor(
    private readonly store: Store,
    private readonly live: LiveConfig,
    private readonly clock: Clock,
  ) {}

  /** Reads the keys made through the API: once at start, and after each change. */
  async load() {
    this.stored = (await this.store.apiKeys.list()).map(({ createdAt, ...key }) => ({ key, source: "api", createdAt }));
  }

  /** The keys in force, built again only when a reload or a change brings new ones (each request asks). */
  list(): readonly KeyEntry[] {
    return this.current().entries;
  }

  private current() {
    const { config } = this.live;
    if (this.built?.config !== config || this.built.stored !== this.stored) {
      const entries = [...config.apiKeys.map((key): KeyEntry => ({ key, source: "config", createdAt: null })), ...this.stored];
      this.built = { config, stored: this.stored, entries, keys: entries.map((entry) => entry.key) };
    }
    return this.built;
  }

  get(id: string): KeyEntry | undefined {
    return this.list().find((entry) => entry.key.id === id);
  }

  /** The key a token belongs to, `expired` for a known key past its expiry, or null. */
  authenticate(token: string): ApiKey | "expired" | null {
    const key = findKey(this.current().keys, token);
    if (key && key.expiresAt !== null && key.expiresAt <= this.clock.now()) return "expired";
    return key;
  }

  /**
   * Counts one request of `key` against its rate limit: 0 if it may go on, else the milliseconds until it may.
   * Each key has its own bucket, so a runaway caller waits alone.
   */
  admit(key: ApiKey): number {
    if (!key.rateLimit) return 0;
    const taken = takeToken(key.rateLimit, this.buckets.get(key.id), this.clock.now());
    this.buckets.set(key.id, taken.bucket);
    return taken.waitMs;
  }

  /** Makes a key after checking it: a unique name, subscriptions for (and only for) a user key, a future expiry. */
  async create(input: NewKey, subscriptionExists: (id: string) => boolean): Promise<{ entry: KeyEntry; token: string } | Refusal<409 | 422>> {
    return this.exclusive(async () => {
      const problem = this.createProblem(input, subscriptionExists);
      return problem ?? this.insert(input);
    });
  }

  private createProblem(input: NewKey, subscriptionExists: (id: string) => boolean): Refusal<409 | 422> | null {
    const { name, role, subscriptions, expiresAt } = input;
    if (this.list().some((entry) => entry.key.name === name)) return refuse(409, "name_taken", `an API key named "${name.slice(0, 100)}" exists; names tell keys apart, choose another`);
    // Every other problem at once, by the body's field.
    const problems: FieldProblem[] = [];
    if (role === "user" && subscriptions.length === 0) problems.push({ path: "subscriptions", message: "a key with role user needs the subscriptions it may see" });
    if (role !== "user" && subscriptions.length > 0) problems.push({ path: "subscriptions", message: `only a key with role user is limited to subscriptions; a ${role} key sees all` });
    const unknown = subscriptions.filter((id) => !subscriptionExists(id));
    if (unknown.length > 0) problems.push({ path: "subscriptions", message: `no subscription ${unknown.map((id) => `"${id}"`).join(", ")}` });
    if (expiresAt !== null && expiresAt <= this.clock.now()) problems.push({ path: "expires_at", message: "the time is already past" });
    return problems.length > 0 ? refuseFields(422, "invalid_api_key", problems) : null;
  }

  private async insert(input: NewKey): Promise<{ entry: KeyEntry; token: string }> {
    const token = newToken(TOKEN_PREFIX);
    const row = { id: newId("key"), ...input, tokenSha256: sha256Hex(token), createdAt: this.clock.now() };
    await this.store.apiKeys.insert(row);
    await this.load();
    return { entry: this.get(row.id)!, token };
  }

  /** Deletes a key made through the API; never one of the file's, nor the last admin key that works. */
  remove(id: string): Promise<{ entry: KeyEntry } | Refusal> {
    return this.exclusive(async () => {
      const entry = this.get(id);
      if (!entry) return refuse(404, "not_found", `no API key "${id}"`);
      if (entry.source === "config") return refuse(409, "config_owned", `API key "${id}" is declared in the config file; remove it there (the file is reloaded on change or SIGHUP)`);
      const admins = this.usableAdmins();
      if (admins.length === 1 && admins[0]!.key.id === id) return refuse(409, "last_admin_key", "this is the last admin key that works: create another admin key before deleting it");
      await this.store.apiKeys.remove(id);
      await this.load();
      return { entry };
    });
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
  async bootstrap(): Promise<string | null> {
    if (this.list().length > 0) return null;
    return (await this.insert({ name: "admin (generated at first start)", role: "admin", subscriptions: [], expiresAt: null })).token;
  }
}
