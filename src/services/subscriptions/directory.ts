// Every subscription Herald knows, held in memory: those the config file declares (owned by the file, synced
// into the database at start and reload so they are listed and keep their history) and those created through
// the API (owned by the database). Publishing, the worker and the API read it; only it writes subscriptions.
import { basename } from "node:path";
import type { PathSegment } from "../../config/schema.ts";
import { resolveSubscription, subscriptionDefaults } from "../../config/subscription.ts";
import type { Config, ConfigProblem, LiveConfig } from "../../config/types.ts";
import type { PluginRegistry } from "../../plugins/registry.ts";
import type { Clock } from "../../clock.ts";
import { HEALTHY, type Store, type SubscriptionRow, type SubscriptionSpec } from "../../store/index.ts";
import { describeFields, isRefusal, refuse, refuseFields, type Refusal } from "../../domain/refusal.ts";
import { specProblems } from "./check.ts";
import { keepStoredSecrets, redactSpec, rotatedAuth, specOf, type ChoiceSpec, type FullSpec } from "./spec.ts";
import type { Subscription, SubscriptionHealth } from "../../domain/subscription.ts";
import type { DisabledReason, SubscriptionSource } from "../../domain/vocabulary.ts";
import { healthAfter, sameHealth, type AttemptSummary } from "../../domain/health.ts";
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
  /** Herald's record of its attempts failing, and of disabling it (then it is not enabled, whatever its spec says). */
  health: SubscriptionHealth;
}

/** A subscription that was and stays listed went from delivered to to not, or back (Herald's own events tell of it). */
export type StateChange = { id: string; enabled: boolean; reason: DisabledReason | "manual"; at: number };

export type Changed = { entry: SubscriptionEntry; generatedSecret?: string };

/** Fields a PATCH may change; `null` clears an optional one. */
export type SubscriptionPatch = Partial<Omit<SubscriptionSpec, "id" | "auth" | "description" | "ordering">> & {
  auth?: SubscriptionSpec["auth"] | null;
  description?: string | null;
  ordering?: SubscriptionSpec["ordering"] | null;
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
  /** Told of each subscription disabled or enabled again (not of one made, removed or deleted). */
  onStateChange: (change: StateChange) => void = () => {};

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
    const listed = this.listedIds();
    this.entries.clear();
    this.deleted.clear();
    for (const row of rows) this.put(row, fromConfig.get(row.id));
    await this.activeChanged(listed);
  }

  /** The subscriptions listed and neither removed nor deleted: those whose state changes are told. */
  private listedIds(): Set<string> {
    return new Set([...this.entries.values()].filter((e) => e.removedAt === null).map((e) => e.subscription.id));
  }

  /**
   * Applies one change the API just stored, without reading every subscription again: a reload per create
   * re-read and re-resolved them all, which made creating thousands of them quadratic.
   */
  private async applyStored(row: SubscriptionRow) {
    const listed = this.listedIds();
    this.put(row, row.source === "config" ? this.live.config.subscriptions.find((s) => s.id === row.id) : undefined);
    await this.activeChanged(listed);
  }

  private put(row: SubscriptionRow, configured: Subscription | undefined) {
    if (row.deletedAt === null) return void this.entries.set(row.id, this.entryOf(row, configured));
    this.entries.delete(row.id);
    this.deleted.add(row.id);
  }

  private async activeChanged(listedBefore: Set<string>) {
    const wasActive = this.activeById;
    this.activeList = [...this.entries.values()].filter(isActive).map((e) => e.subscription);
    this.activeById = new Map(this.activeList.map((s) => [s.id, s]));
    this.matchingByType.clear();
    // Deliveries waiting on a retry of a subscription just disabled or removed fail now, not at their retry.
    const now = this.clock.now();
    const stopped = [...wasActive.keys()].filter((id) => !this.activeById.has(id));
    if (stopped.length > 0) await this.store.queue.dueNow(stopped, now);
    const listedNow = this.listedIds();
    for (const id of stopped) {
      const health = this.entries.get(id)?.health;
      if (listedNow.has(id)) this.onStateChange({ id, enabled: false, reason: health?.disabled?.reason ?? "manual", at: health?.disabled?.at ?? now });
    }
    for (const id of this.activeById.keys()) if (!wasActive.has(id) && listedBefore.has(id)) this.onStateChange({ id, enabled: true, reason: "manual", at: now });
  }

  private rowOf(entry: SubscriptionEntry, spec: SubscriptionSpec, now: number, deletedAt: number | null = null): SubscriptionRow {
    return { id: spec.id, source: entry.source, spec, createdAt: entry.createdAt, updatedAt: now, removedAt: entry.removedAt, deletedAt, health: entry.health };
  }

  private entryOf(row: SubscriptionRow, configured: Subscription | undefined): SubscriptionEntry {
    const base = { source: row.source, createdAt: row.createdAt, updatedAt: row.updatedAt, removedAt: row.removedAt, health: row.health };
    // Disabled by Herald: not delivered to until enabled again, whatever the spec says.
    if (configured) {
      const subscription = row.health.disabled ? { ...configured, enabled: false } : configured;
      return { ...base, subscription, spec: specOf(configured) };
    }
    // An API subscription resolves against today's default policy; a removed config one from what was last
    // stored of it (without its secrets: it is never delivered to again).
    const subscription = resolveSubscription(row.spec, subscriptionDefaults(this.live.config));
    return { ...base, spec: row.spec, subscription: row.removedAt === null && !row.health.disabled ? subscription : { ...subscription, enabled: false } };
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
    const row: SubscriptionRow = { id, source: "api", spec, createdAt: now, updatedAt: now, removedAt: null, deletedAt: null, health: HEALTHY };
    await this.store.subscriptions.insert(row);
    await this.applyStored(row);
    return { entry: this.entries.get(id)!, generatedSecret };
  }

  update(id: string, patch: SubscriptionPatch): Promise<Changed | Refusal> {
    return this.exclusive(async () => this.updateNow(id, patch));
  }

  private async updateNow(id: string, patch: SubscriptionPatch): Promise<Changed | Refusal> {
    // Enabling one Herald disabled clears that record: a config subscription too, by this PATCH alone.
    const entry = this.entries.get(id);
    const enables = patch.enabled === true && entry?.health.disabled;
    if (entry && enables && entry.source === "config" && Object.keys(patch).length === 1) return this.setHealth(entry, { failingSince: null, disabled: null });
    const found = this.ownedByApi(id, "changed");
    if (isRefusal(found)) return found;
    const next: Record<string, unknown> = { ...found.spec, ...patch };
    for (const [field, value] of Object.entries(patch)) if (value === null) delete next[field];
    const spec = keepStoredSecrets(next as SubscriptionSpec, found.spec, this.live.plugins);
    const problem = this.check(spec);
    if (problem) return problem;
    if (enables) await this.store.subscriptions.setHealth(id, HEALTHY);
    return this.save(spec, enables ? HEALTHY : found.health);
  }

  /**
   * Follows a finished attempt: Herald's record of the subscription failing moves on, and disables it when
   * its policy says so (every attempt failing for disable_after, or a 410 with on_gone: disable). Written only
   * when it changes: at the first failure after a success, at a success after failures, and at disabling.
   */
  noteAttempt(id: string, attempt: AttemptSummary): Promise<void> {
    const changed = () => {
      const entry = this.entries.get(id);
      if (!entry || !isActive(entry)) return null;
      const next = healthAfter(entry.health, entry.subscription.retry, attempt, this.clock.now());
      return sameHealth(next, entry.health) ? null : { entry, next };
    };
    if (!changed()) return Promise.resolve();
    return this.exclusive(async () => {
      const change = changed(); // again, in turn: the attempts before it may have changed it
      if (change) await this.setHealth(change.entry, change.next);
    });
  }

  private async setHealth(entry: SubscriptionEntry, health: SubscriptionHealth): Promise<Changed> {
    const id = entry.subscription.id;
    await this.store.subscriptions.setHealth(id, health);
    await this.applyStored({ ...this.rowOf(entry, entry.spec, entry.updatedAt), health });
    return { entry: this.entries.get(id)! };
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

  private async save(spec: SubscriptionSpec, health?: SubscriptionHealth): Promise<Changed | Refusal> {
    const problem = this.check(spec);
    if (problem) return problem;
    const now = this.clock.now();
    const entry = this.entries.get(spec.id)!;
    await this.store.subscriptions.update(spec.id, spec, now);
    await this.applyStored({ ...this.rowOf(entry, spec, now), health: health ?? entry.health });
    return { entry: this.entries.get(spec.id)! };
  }

  private check(spec: SubscriptionSpec): Refusal | null {
    const problems = specProblems(spec, this.live.config, this.live.plugins);
    if (problems.length === 0) return null;
    return refuseFields(422, "invalid_subscription", problems);
  }
}

const isActive = (entry: SubscriptionEntry) => entry.subscription.enabled && entry.removedAt === null;
