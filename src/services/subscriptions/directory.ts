// Every subscription Herald knows, held in memory: those the config file declares (owned by the file, synced
// into the database at start and reload so they are listed and keep their history) and those created through
// the API (owned by the database). Publishing, the worker and the API read it; only it writes subscriptions.
import { basename } from "node:path";
import type { PathSegment } from "../../config/schema.ts";
import { resolveSubscription, subscriptionDefaults } from "../../config/subscription.ts";
import type { Config, ConfigProblem, LiveConfig } from "../../config/types.ts";
import type { PluginRegistry } from "../../plugins/registry.ts";
import type { Clock } from "../../clock.ts";
import { type Store, type SubscriptionRow, type SubscriptionSpec } from "../../store/index.ts";
import { describeFields, isRefusal, refuse, refuseFields, type Refusal } from "../../domain/refusal.ts";
import { specProblems } from "./check.ts";
import { keepStoredSecrets, redactSpec, rotatedAuth, specOf, type ChoiceSpec, type FullSpec } from "./spec.ts";
import type { Subscription } from "../../domain/subscription.ts";
import type { SubscriptionSource } from "../../domain/vocabulary.ts";
import { newId } from "../../domain/vocabulary.ts";
import { matchingSubscriptions } from "../../domain/fanout.ts";
import { oneAtATime } from "../one-at-a-time.ts";

export interface SubscriptionEntry {
  subscription: Subscription;
  /** As written: the API's own spec, or the file's (with the retry policy it resolves to). */
  spec: SubscriptionSpec;
  source: SubscriptionSource;
  createdAt: number;
  updatedAt: number;
  /** Set for a config subscription no longer in the file: listed, disabled, its history kept. */
  removedAt: number | null;
}

export type Changed = { entry: SubscriptionEntry; generatedSecret?: string };

/** Fields a PATCH may change; `null` clears an optional one. */
export type SubscriptionPatch = Partial<Omit<SubscriptionSpec, "id" | "auth" | "description">> & {
  auth?: SubscriptionSpec["auth"] | null;
  description?: string | null;
};

export class SubscriptionDirectory {
  private entries = new Map<string, SubscriptionEntry>();
  private deleted = new Set<string>();
  private activeList: Subscription[] = [];
  private activeById = new Map<string, Subscription>();
  /** Fan-out by event type, worked out once per type until the subscriptions change. */
  private matchingByType = new Map<string, string[]>();
  /** Changes one at a time: each reads what the one before it wrote. */
  private readonly exclusive = oneAtATime();

  constructor(
    private readonly store: Store,
    private readonly live: LiveConfig,
    private readonly clock: Clock,
  ) {}

  /**
   * Why a config cannot be applied beside the subscriptions made through the API: one of its ids is (or was)
   * theirs, or one of them would no longer hold under it (an event type or plugin it uses gone, a retention
   * too short for its retries...). Either way the file, or that subscription, must change first.
   */
  async conflicts(config: Config, plugins: PluginRegistry, problemAt: (segments: PathSegment[], message: string) => ConfigProblem): Promise<ConfigProblem[]> {
    const apiOwned = (await this.store.subscriptions.list()).filter((r) => r.source === "api");
    const byId = new Map(apiOwned.map((r) => [r.id, r]));
    const takenIds = config.subscriptions.flatMap((s, i) => {
      const row = byId.get(s.id);
      if (!row) return [];
      const how = row.deletedAt === null ? "is used by a subscription created through the API" : "was used by a subscription created through the API and deleted";
      return [problemAt(["subscriptions", i, "id"], `subscription id "${s.id}" ${how}; choose another id`)];
    });
    const broken = apiOwned
      .filter((row) => row.deletedAt === null)
      .flatMap((row) => {
        const problems = specProblems(row.spec, config, plugins);
        if (problems.length === 0) return [];
        const why = `subscription "${row.id}", made through the API, would not hold under this file (${describeFields(problems)}); change or delete it through the API first, or keep the file compatible`;
        return [problemAt([], why)];
      });
    return [...takenIds, ...broken];
  }

  /** Writes the config's subscriptions into the store (after conflicts() found none) and reloads. */
  applyConfig(): Promise<void> {
    return this.exclusive(async () => {
      const specs = this.live.config.subscriptions.map((s) => redactSpec(specOf(s), this.live.plugins));
      await this.store.subscriptions.syncConfig(specs, this.clock.now());
      await this.reload();
    });
  }

  /** Reads the subscriptions again from the store: another process may have changed them. */
  refresh(): Promise<void> {
    return this.exclusive(() => this.reload());
  }

  private async reload() {
    const rows = await this.store.subscriptions.list();
    const fromConfig = new Map(this.live.config.subscriptions.map((s) => [s.id, s]));
    this.entries.clear();
    this.deleted.clear();
    for (const row of rows) this.put(row, fromConfig.get(row.id));
    await this.activeChanged();
  }

  /**
   * Applies one change the API just stored, without reading every subscription again: a reload per create
   * re-read and re-resolved them all, which made creating thousands of them quadratic.
   */
  private async applyStored(row: SubscriptionRow) {
    this.put(row, undefined);
    await this.activeChanged();
  }

  private put(row: SubscriptionRow, configured: Subscription | undefined) {
    if (row.deletedAt === null) return void this.entries.set(row.id, this.entryOf(row, configured));
    this.entries.delete(row.id);
    this.deleted.add(row.id);
  }

  private async activeChanged() {
    const wasActive = this.activeById;
    this.activeList = [...this.entries.values()].filter(isActive).map((e) => e.subscription);
    this.activeById = new Map(this.activeList.map((s) => [s.id, s]));
    this.matchingByType.clear();
    // Deliveries waiting on a retry of a subscription just disabled or removed fail now, not at their retry.
    const stopped = [...wasActive.keys()].filter((id) => !this.activeById.has(id));
    if (stopped.length > 0) await this.store.queue.dueNow(stopped, this.clock.now());
  }

  private rowOf(entry: SubscriptionEntry, spec: SubscriptionSpec, now: number, deletedAt: number | null = null): SubscriptionRow {
    return { id: spec.id, source: entry.source, spec, createdAt: entry.createdAt, updatedAt: now, removedAt: entry.removedAt, deletedAt };
  }

  private entryOf(row: SubscriptionRow, configured: Subscription | undefined): SubscriptionEntry {
    const base = { source: row.source, createdAt: row.createdAt, updatedAt: row.updatedAt, removedAt: row.removedAt };
    if (configured) return { ...base, subscription: configured, spec: specOf(configured) };
    // An API subscription resolves against today's default policy; a removed config one from what was last
    // stored of it (without its secrets: it is never delivered to again).
    const subscription = resolveSubscription(row.spec, subscriptionDefaults(this.live.config));
    return { ...base, spec: row.spec, subscription: row.removedAt === null ? subscription : { ...subscription, enabled: false } };
  }

  /** What a subscription shows over the API: the file's fields, without its secrets. */
  shown(entry: SubscriptionEntry): FullSpec {
    return redactSpec(specOf(entry.subscription), this.live.plugins);
  }

  list(): SubscriptionEntry[] {
    return [...this.entries.values()];
  }

  get(id: string): SubscriptionEntry | undefined {
    return this.entries.get(id);
  }

  /** Enabled subscriptions: the only ones events fan out to and the worker delivers for. */
  active(): readonly Subscription[] {
    return this.activeList;
  }

  /** The enabled subscription with this id, if there is one. */
  activeSubscription(id: string): Subscription | undefined {
    return this.activeById.get(id);
  }

  matching(eventType: string): string[] {
    let ids = this.matchingByType.get(eventType);
    if (ids === undefined) this.matchingByType.set(eventType, (ids = matchingSubscriptions(eventType, this.activeList)));
    return ids;
  }

  /** Why deliveries to `id` cannot go out: the worker fails them with this in the attempt log. */
  inactiveReason(id: string): { kind: "disabled" | "unconfigured"; message: string } {
    const entry = this.entries.get(id);
    if (entry?.removedAt != null) return { kind: "unconfigured", message: `subscription "${id}" was removed from the config` };
    if (entry) return { kind: "disabled", message: `subscription "${id}" is disabled` };
    if (this.deleted.has(id)) return { kind: "unconfigured", message: `subscription "${id}" was deleted` };
    return { kind: "unconfigured", message: `subscription "${id}" is no longer configured` };
  }

  create(input: Omit<SubscriptionSpec, "id"> & { id?: string }): Promise<Changed | Refusal> {
    return this.exclusive(() => this.createNow(input));
  }

  private async createNow(input: Omit<SubscriptionSpec, "id"> & { id?: string }): Promise<Changed | Refusal> {
    const id = input.id ?? newId("sub");
    if (this.entries.has(id) || this.deleted.has(id)) return refuse(409, "id_taken", `subscription id "${id}" is already taken; choose another`);
    let spec: SubscriptionSpec = { ...input, id };
    let generatedSecret: string | undefined;
    const auth = spec.auth as ChoiceSpec | undefined;
    const generate = auth ? this.live.plugins.auth.get(auth.plugin)?.generateSecret : undefined;
    if (auth && generate && auth.secret === undefined) {
      generatedSecret = generate();
      spec = { ...spec, auth: { ...auth, secret: generatedSecret } as ChoiceSpec };
    }
    const problem = this.check(spec);
    if (problem) return problem;
    const now = this.clock.now();
    const row: SubscriptionRow = { id, source: "api", spec, createdAt: now, updatedAt: now, removedAt: null, deletedAt: null };
    await this.store.subscriptions.insert(row);
    await this.applyStored(row);
    return { entry: this.entries.get(id)!, generatedSecret };
  }

  update(id: string, patch: SubscriptionPatch): Promise<Changed | Refusal> {
    return this.exclusive(async () => this.updateNow(id, patch));
  }

  private updateNow(id: string, patch: SubscriptionPatch): Promise<Changed | Refusal> | Refusal {
    const found = this.ownedByApi(id, "changed");
    if (isRefusal(found)) return found;
    const next: Record<string, unknown> = { ...found.spec, ...patch };
    for (const [field, value] of Object.entries(patch)) if (value === null) delete next[field];
    const spec = keepStoredSecrets(next as SubscriptionSpec, found.spec, this.live.plugins);
    return this.save(spec);
  }

  remove(id: string): Promise<{ entry: SubscriptionEntry } | Refusal> {
    return this.exclusive(() => this.removeNow(id));
  }

  private async removeNow(id: string): Promise<{ entry: SubscriptionEntry } | Refusal> {
    const entry = this.entries.get(id);
    if (!entry) return refuse(404, "not_found", `no subscription "${id}"`);
    // A config subscription already removed from the file may go; one still in the file is the file's.
    if (entry.source === "config" && entry.removedAt === null) return this.configOwned(id, "deleted");
    const now = this.clock.now();
    await this.store.subscriptions.remove(id, now);
    await this.applyStored(this.rowOf(entry, entry.spec, now, now));
    return { entry };
  }

  /** A new signing secret (generated unless given); the old one keeps signing until `graceMs` from now. */
  rotateSecret(id: string, secret: string | undefined, graceMs: number): Promise<Changed | Refusal> {
    return this.exclusive(() => this.rotateNow(id, secret, graceMs));
  }

  private async rotateNow(id: string, secret: string | undefined, graceMs: number): Promise<Changed | Refusal> {
    const found = this.ownedByApi(id, "changed");
    if (isRefusal(found)) return found;
    const auth = found.spec.auth as ChoiceSpec | undefined;
    const generate = auth ? this.live.plugins.auth.get(auth.plugin)?.generateSecret : undefined;
    if (!auth || !generate) return refuse(422, "no_signing_secret", `subscription "${id}" has no auth plugin that signs with a secret`);
    const now = this.clock.now();
    const next = secret ?? generate();
    const changed = await this.save({ ...found.spec, auth: rotatedAuth(auth, next, now + graceMs, now) });
    return !isRefusal(changed) && secret === undefined ? { ...changed, generatedSecret: next } : changed;
  }

  private ownedByApi(id: string, verb: string): SubscriptionEntry | Refusal {
    const entry = this.entries.get(id);
    if (!entry) return refuse(404, "not_found", `no subscription "${id}"`);
    if (entry.source === "config") return this.configOwned(id, verb);
    return entry;
  }

  private configOwned(id: string, verb: string): Refusal {
    const file = basename(this.live.config.file);
    return refuse(409, "config_owned", `subscription "${id}" is declared in ${file} and cannot be ${verb} through the API; edit the file (it is reloaded on change or SIGHUP)`);
  }

  private async save(spec: SubscriptionSpec): Promise<Changed | Refusal> {
    const problem = this.check(spec);
    if (problem) return problem;
    const now = this.clock.now();
    await this.store.subscriptions.update(spec.id, spec, now);
    await this.applyStored(this.rowOf(this.entries.get(spec.id)!, spec, now));
    return { entry: this.entries.get(spec.id)! };
  }

  private check(spec: SubscriptionSpec): Refusal | null {
    const problems = specProblems(spec, this.live.config, this.live.plugins);
    if (problems.length === 0) return null;
    return refuseFields(422, "invalid_subscription", problems);
  }
}

const isActive = (entry: SubscriptionEntry) => entry.subscription.enabled && entry.removedAt === null;
