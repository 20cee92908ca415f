// The event-log filter, declared once. Every place that reads a filter (the API's query, the store's list,
// count, per-subscription pages and resend, the page's form, the rule below) implements each field through
// `PerField`, so a field added here that one of them does not handle is a compile error there.
import { searchMatches } from "./search.ts";
import { eventStatus } from "./status.ts";
import type { DeliveryState, EventStatus } from "./vocabulary.ts";

/** What kind of value a field holds: free text, an event status, or a time (unix ms in the filter, RFC 3339 in a query). */
type Kind = "text" | "status" | "time";

/** The filter's fields: the filter's property, its query parameter (the API's and the page's), its kind. */
export const EVENT_FILTER_FIELDS = {
  eventType: { param: "event_type", kind: "text" },
  status: { param: "status", kind: "status" },
  subscription: { param: "subscription", kind: "text" },
  /** Inclusive lower bound on created_at. */
  since: { param: "since", kind: "time" },
  /** Exclusive upper bound on created_at. */
  until: { param: "until", kind: "time" },
  /** An event id, a delivery id, or words of the payload's object (its `$uri`, say) in that order (searchMatches). */
  search: { param: "q", kind: "text" },
} as const satisfies Record<string, { param: string; kind: Kind }>;

export type FilterField = keyof typeof EVENT_FILTER_FIELDS;
export type FilterParam = (typeof EVENT_FILTER_FIELDS)[FilterField]["param"];
type ValueOfKind = { text: string; status: EventStatus; time: number };
export type FilterValue<F extends FilterField> = ValueOfKind[(typeof EVENT_FILTER_FIELDS)[F]["kind"]];

export const FILTER_FIELDS = Object.keys(EVENT_FILTER_FIELDS) as FilterField[];
export const FILTER_PARAMS = FILTER_FIELDS.map((field) => EVENT_FILTER_FIELDS[field].param);

/** One implementation per field, given its value. */
export type PerField<Result> = { [F in FilterField]: (value: FilterValue<F>) => Result };
/** One entry per field. */
export type EachField<Entry> = { [F in FilterField]: Entry };

export type EventFilter = { [F in FilterField]?: FilterValue<F> } & {
  /** Chosen events (a resend of a selection), not a field of the log's filter. */
  ids?: string[];
  /** A `user` key's scope: only events with a delivery to one of these subscriptions. */
  visibleSubscriptions?: string[];
};

/** Applies `perField` to each field the filter sets, in the table's order. */
export function eachSetField<Result>(filter: EventFilter, perField: PerField<Result>): Result[] {
  const results: Result[] = [];
  for (const field of FILTER_FIELDS) {
    const value = filter[field];
    if (value !== undefined) results.push((perField[field] as (value: unknown) => Result)(value));
  }
  return results;
}

/**
 * The deliveries a filter is about: those to `subscription` if given, within what the key may see. The event
 * must have one of them, its status is judged on them, and a resend resends only them.
 */
export function countedSubscriptions(filter: EventFilter): string[] | undefined {
  const visible = filter.visibleSubscriptions;
  if (filter.subscription === undefined) return visible;
  return visible && !visible.includes(filter.subscription) ? [] : [filter.subscription];
}

/** An event as the filter reads it: its type, creation time, status and its deliveries' subscriptions and states. */
export interface FilterableEvent {
  id: string;
  eventType: string;
  createdAt: number;
  status: EventStatus;
  object: unknown;
  deliveries: readonly { id: string; subscriptionId: string; state: DeliveryState }[];
}

/**
 * The rule, event by event: the meaning every store's queries must have (the contract suite checks them
 * against it). The status over some deliveries is the status rule applied to just those.
 */
export function matchesFilter(event: FilterableEvent, filter: EventFilter): boolean {
  const counted = countedSubscriptions(filter);
  const judged = counted === undefined ? event.deliveries : event.deliveries.filter((d) => counted.includes(d.subscriptionId));
  const checks: PerField<boolean> = {
    eventType: (type) => event.eventType === type,
    status: (status) => (counted === undefined ? event.status : eventStatus(judged.map((d) => d.state))) === status,
    subscription: () => true, // through the counted deliveries, below
    since: (since) => event.createdAt >= since,
    until: (until) => event.createdAt < until,
    search: (query) => searchMatches(event, query),
  };
  return eachSetField(filter, checks).every(Boolean) && (filter.ids === undefined || filter.ids.includes(event.id)) && (counted === undefined || judged.length > 0);
}
