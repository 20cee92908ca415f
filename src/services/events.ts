// Events between the API and the store: publishing (declared types only), reading within a key's scope, and
// resending one event or many (the rules on which subscriptions a resend may name).
import type { Clock } from "../clock.ts";
import type { Config, EventTypeConfig, LiveConfig } from "../config/types.ts";
import type { Metrics } from "../metrics.ts";
import { newId } from "../domain/vocabulary.ts";
import type { EventDetail, EventFilter, JobRecord, Page, EventWithDeliveries, PublishOutcome, Store } from "../store/index.ts";
import type { SubscriptionDirectory } from "./subscriptions/directory.ts";
import { quote, refuse, refuseField, type Refusal } from "../domain/refusal.ts";
import { isOperational, type OperationalEventType } from "../domain/operational.ts";
import { orderingLine } from "../domain/delivery-control.ts";

export interface EventServiceDeps {
  live: LiveConfig;
  store: Store;
  directory: SubscriptionDirectory;
  clock: Clock;
  metrics: Metrics;
  /** Tells the delivery worker there is new work. */
  onWork: () => void;
  /** Starts working on a job just recorded. */
  startJob: (id: string) => void;
}

export interface Publication {
  eventType: string;
  objectType?: string;
  object: unknown;
  /** Client-chosen: publishing it again is a no-op. */
  id?: string;
  /** Unix ms; null: the time of publishing. */
  triggeredAt: number | null;
}

/** Which events a bulk resend takes, and which of their deliveries. */
export interface ResendSelection {
  filter: EventFilter;
  subscriptions?: string[];
}

/** The most events a search's words may find (searchProblem). */
export const SEARCH_MAX_MATCHES = 10_000;

const quoted = (ids: string[]) => ids.map(quote).join(", ");

export class EventService {
  private readonly eventTypes: () => Map<string, EventTypeConfig>;

  constructor(private readonly deps: EventServiceDeps) {
    this.eventTypes = declaredTypes(deps.live);
  }

  /** Stores the event and its deliveries (durably) and wakes the worker; a repeated id is `existing`. */
  async publish(input: Publication): Promise<PublishOutcome | Refusal<409 | 422>> {
    const declared = this.eventTypes().get(input.eventType);
    if (!declared) {
      const names = [...this.eventTypes().keys()].join(", ");
      return refuseField(422, "unknown_event_type", "event_type", `event_type ${quote(input.eventType)} is not declared; declared: ${names}`);
    }
    if (isOperational(declared.name)) {
      return refuseField(422, "reserved_event_type", "event_type", `event_type "${declared.name}" is Herald's own: only Herald publishes it`);
    }
    if (input.objectType !== undefined && input.objectType !== declared.objectType) {
      return refuseField(422, "wrong_object_type", "object_type", `event_type "${declared.name}" carries object_type "${declared.objectType}", not ${quote(input.objectType)}`);
    }
    const outcome = await this.store(declared, input, this.deps.directory.matching(declared.name));
    if (outcome.kind === "conflict") return refuse(409, "id_conflict", `event "${outcome.event.id}" was already published with a different event_type or object`);
    return outcome;
  }

  /** Publishes one of Herald's own events to the subscriptions naming its type, except the one it is `about`; with none, nothing. */
  async publishOperational(eventType: OperationalEventType, object: Record<string, unknown>, about: string): Promise<void> {
    const declared = this.eventTypes().get(eventType)!;
    const targets = this.deps.directory.matching(eventType).filter((id) => id !== about);
    // Nobody to tell: nothing is stored (the event log holds what was published to someone, or by someone).
    if (targets.length === 0) return;
    await this.store(declared, { eventType, object, triggeredAt: null }, targets);
  }

  private async store(declared: EventTypeConfig, input: Publication, subscriptionIds: string[]): Promise<PublishOutcome> {
    const event = {
      id: input.id ?? newId("evt"),
      eventType: declared.name,
      objectType: declared.objectType,
      object: input.object,
      triggeredAt: input.triggeredAt,
      subscriptionIds,
      orderingKeys: this.orderingKeys(subscriptionIds, input.object),
    };
    const [outcome] = await this.deps.store.events.publish([event], this.deps.clock.now());
    if (outcome!.kind === "created") {
      this.deps.metrics.published(declared.name);
      this.deps.onWork();
    }
    return outcome!;
  }

  /** The line each ordered subscription's delivery joins; none for the others (most often, none at all). */
  private orderingKeys(subscriptionIds: string[], object: unknown): Record<string, string> | undefined {
    let keys: Record<string, string> | undefined;
    for (const id of subscriptionIds) {
      const ordering = this.deps.directory.activeSubscription(id)?.ordering;
      if (ordering) (keys ??= {})[id] = orderingLine(ordering, object);
    }
    return keys;
  }

  async list(filter: EventFilter, offset: number, limit: number): Promise<Page<EventWithDeliveries> | Refusal<422>> {
    return (await this.searchProblem(filter)) ?? this.deps.store.events.list(filter, offset, limit);
  }

  get(id: string, visibleSubscriptions: string[] | undefined): Promise<EventDetail | null> {
    return this.deps.store.events.get(id, visibleSubscriptions);
  }

  /** Resends one event to all (or the named) subscriptions it went to; answers the event as it now stands. */
  async resendOne(id: string, requested: string[] | undefined, visible: string[] | undefined): Promise<EventDetail | Refusal<404 | 422>> {
    const { store, clock, onWork } = this.deps;
    const event = await store.events.get(id, visible);
    if (!event) return refuse(404, "not_found", `no event ${quote(id)}`);
    const problem = this.targetProblem(requested, visible);
    if (problem) return problem;
    const undelivered = (requested ?? []).filter((target) => !event.deliveries.some((d) => d.subscriptionId === target));
    if (undelivered.length > 0) return refuseField(422, "not_subscribed", "subscriptions", `event "${id}" has no delivery to ${quoted(undelivered)}`);
    await store.events.resend({ ids: [id], visibleSubscriptions: visible }, requested, clock.now());
    onWork();
    return (await store.events.get(id, visible))!;
  }

  /** Starts a job resending the selected events (its progress: job()). */
  async resendMany(selection: ResendSelection, createdBy: string): Promise<JobRecord | Refusal<404 | 422>> {
    const problem = this.targetProblem(selection.subscriptions, selection.filter.visibleSubscriptions) ?? (await this.searchProblem(selection.filter));
    if (problem) return problem;
    const now = this.deps.clock.now();
    const job = await this.deps.store.jobs.createResend({ id: newId("job"), createdBy, filter: selection.filter, subscriptions: selection.subscriptions, now });
    this.deps.startJob(job.id);
    return job;
  }

  /** A job, if `apiKey` may see it: a user key sees only the jobs it started. */
  async job(id: string, apiKey: { id: string; role: string }): Promise<JobRecord | null> {
    const job = await this.deps.store.jobs.get(id);
    return job && (apiKey.role !== "user" || job.createdBy === apiKey.id) ? job : null;
  }

  /**
   * A search whose words are in very many events is refused: the page and its exact count would go through
   * each of them (seconds over millions, with the server's other work waiting). Ids, a $uri or a file name
   * find a few; words common to most events say nothing a filter by type or status would not.
   */
  private async searchProblem(filter: EventFilter): Promise<Refusal<422> | null> {
    if (filter.search === undefined) return null;
    const found = await this.deps.store.events.countWordMatches(filter.search, SEARCH_MAX_MATCHES + 1);
    if (found <= SEARCH_MAX_MATCHES) return null;
    return refuse(
      422,
      "search_too_broad",
      `the words of ${quote(filter.search)} are in more than ${SEARCH_MAX_MATCHES.toLocaleString("en-US")} events: add words (an id, a $uri, a file name) or filter by type, status or time instead`,
    );
  }

  /**
   * Resend targets must be the key's own (404 otherwise, as if they did not exist: a scoped key learns nothing
   * of other subscriptions), exist (422 for an admin's typo) and be enabled.
   */
  private targetProblem(requested: string[] | undefined, visible: string[] | undefined): Refusal<404 | 422> | null {
    const { directory } = this.deps;
    const hidden = visible ? (requested ?? []).filter((id) => !visible.includes(id)) : [];
    if (hidden.length > 0) return refuse(404, "not_found", `no subscription ${quoted(hidden)}`);
    const unknown = (requested ?? []).filter((id) => !directory.get(id));
    if (unknown.length > 0) return refuseField(422, "unknown_subscription", "subscriptions", `no subscription ${quoted(unknown)}`);
    const inactive = (requested ?? []).filter((id) => !directory.active().some((s) => s.id === id));
    if (inactive.length > 0) return refuseField(422, "subscription_disabled", "subscriptions", `subscription ${quoted(inactive)} is disabled: enable it first`);
    return null;
  }
}

/** The declared event types by name, rebuilt only when a reload brings a new config. */
function declaredTypes(live: LiveConfig): () => Map<string, EventTypeConfig> {
  let builtFor: Config | null = null;
  let byName = new Map<string, EventTypeConfig>();
  return () => {
    if (builtFor !== live.config) {
      builtFor = live.config;
      byName = new Map(live.config.eventTypes.map((e) => [e.name, e]));
    }
    return byName;
  };
}
