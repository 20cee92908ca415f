// The list's filter form: status, event type, subscription and time range, read from and written to the location.
import { STATUS_PRECEDENCE, STATUS_WHEN_SETTLED } from "../../delivery/status.ts";
import { eventTypes, session, subscriptions, type EventFilter } from "./api.ts";
import { fromLocalInput, h, toLocalInput } from "./dom.ts";
import type { PageContext } from "./main.ts";

// The statuses the event-status rule can give, worst first.
const STATUSES = [...STATUS_PRECEDENCE.map(([, status]) => status), STATUS_WHEN_SETTLED];
const FIELDS = ["status", "event_type", "subscription", "since", "until"] as const;

export function readFilter(params: URLSearchParams): EventFilter {
  const filter: EventFilter = {};
  for (const field of FIELDS) {
    const value = params.get(field);
    if (value) filter[field] = value;
  }
  return filter;
}

export const isFiltered = (filter: EventFilter) => FIELDS.some((field) => filter[field]);

export function listHash(filter: EventFilter, page: number, perPage: number): string {
  const params = new URLSearchParams();
  for (const field of FIELDS) if (filter[field]) params.set(field, filter[field]!);
  if (page > 1) params.set("page", String(page));
  if (perPage !== DEFAULT_PER_PAGE) params.set("per_page", String(perPage));
  const query = params.toString();
  return query ? `#/?${query}` : "#/";
}
export const DEFAULT_PER_PAGE = 50;

// The choices change only with the configuration: fetched once per key, not on every page turn.
let choices: { key: string | null; types: Promise<string[]>; subscriptions: Promise<string[] | null> } | null = null;
function loadChoices() {
  if (choices?.key !== session.key()) {
    choices = {
      key: session.key(),
      types: eventTypes().then((types) => types.map((t) => t.name)),
      subscriptions: subscriptions().then((list) => list && list.map((s) => s.id)),
    };
    // A failed load is told once, then tried again on the next mount.
    const current = choices;
    Promise.all([current.types, current.subscriptions]).catch(() => choices === current && (choices = null));
  }
  return choices;
}

function select(name: string, anyLabel: string, current: string | undefined, values: readonly string[]) {
  const control = h("select", { id: `filter-${name}`, name }, h("option", { value: "" }, anyLabel));
  addOptions(control, [...values, ...(current ? [current] : [])], current);
  return control;
}

/** Fills a select in place (focus stays put if the user is already on it). */
function addOptions(control: HTMLSelectElement, values: readonly string[], current: string | undefined) {
  const present = new Set([...control.options].map((o) => o.value));
  for (const value of values) {
    if (present.has(value)) continue;
    present.add(value);
    control.append(h("option", { value, selected: value === current }, value));
  }
}

const field = (name: string, label: string, control: HTMLElement) =>
  h("div", { class: "field", "data-field": name }, h("label", { for: `filter-${name}` }, label), control);

export function filterForm(filter: EventFilter, perPage: number, context: PageContext): HTMLFormElement {
  const subscriptionText = () =>
    h("input", { id: "filter-subscription", name: "subscription", type: "text", value: filter.subscription ?? "", placeholder: "any", spellcheck: "false", autocomplete: "off" });
  const form = h(
    "form",
    { class: "filters", "aria-label": "Filter events" },
    field("status", "Status", select("status", "Any status", filter.status, STATUSES)),
    field("event_type", "Event type", select("event_type", "Any type", filter.event_type, [])),
    field("subscription", "Subscription", select("subscription", "Any subscription", filter.subscription, [])),
    field("since", "From", h("input", { id: "filter-since", name: "since", type: "datetime-local", step: 1, value: filter.since ? toLocalInput(filter.since) : "" })),
    field("until", "Until", h("input", { id: "filter-until", name: "until", type: "datetime-local", step: 1, value: filter.until ? toLocalInput(filter.until) : "" })),
    h(
      "div",
      { class: "filter-actions" },
      h("button", { type: "submit", class: "primary" }, "Apply filters"),
      h("a", { class: "button", href: listHash({}, 1, perPage) }, "Clear"),
    ),
  );

  const { types, subscriptions: subscriptionIds } = loadChoices();
  const control = (name: string) => form.querySelector<HTMLSelectElement>(`#filter-${name}`)!;
  types.then((names) => addOptions(control("event_type"), names, filter.event_type), context.fail);
  subscriptionIds.then(
    // Without GET /api/v1/subscriptions (an older Herald) the subscription is typed in.
    (ids) => (ids ? addOptions(control("subscription"), ids, filter.subscription) : control("subscription").replaceWith(subscriptionText())),
    context.fail,
  );

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const value = (name: string) => String(data.get(name) ?? "").trim() || undefined;
    location.hash = listHash(
      {
        status: value("status"),
        event_type: value("event_type"),
        subscription: value("subscription"),
        since: fromLocalInput(value("since") ?? ""),
        until: fromLocalInput(value("until") ?? ""),
      },
      1,
      perPage,
    );
  });
  return form;
}
