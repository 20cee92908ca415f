// The list's filter form: status, event type, subscription and time range, read from and written to the location.
import { STATUS_PRECEDENCE, STATUS_WHEN_SETTLED } from "../../delivery/status.ts";
import { eventTypes, subscriptionIds, type EventFilter } from "./api.ts";
import { fromLocalInput, h, toLocalInput } from "./dom.ts";
import type { PageContext } from "./main.ts";

// The statuses the event-status rule can give, worst first.
const STATUSES = [...STATUS_PRECEDENCE.map(([, status]) => status), STATUS_WHEN_SETTLED];
const FIELDS = ["status", "event_type", "subscription", "since", "until"] as const;
export const DEFAULT_PER_PAGE = 50;

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

function select(name: string, anyLabel: string, current: string | undefined, values: readonly string[]) {
  const control = h("select", { id: `filter-${name}`, name });
  setOptions(control, anyLabel, values, current);
  return control;
}

/** Fills a select in place, the current value kept even if unknown (focus stays put if the user is on it). */
function setOptions(control: HTMLSelectElement, anyLabel: string, values: readonly string[], current: string | undefined) {
  const choices = [...new Set([...values, ...(current ? [current] : [])])];
  control.replaceChildren(h("option", { value: "" }, anyLabel), ...choices.map((value) => h("option", { value, selected: value === current }, value)));
}

const field = (name: string, label: string, control: HTMLElement) => h("div", { class: "field", "data-field": name }, h("label", { for: `filter-${name}` }, label), control);

export function filterForm(filter: EventFilter, perPage: number, context: PageContext): HTMLFormElement {
  const form = h(
    "form",
    { class: "filters", "aria-label": "Filter events" },
    field("status", "Status", select("status", "Any status", filter.status, STATUSES)),
    field("event_type", "Event type", select("event_type", "Any type", filter.event_type, [])),
    field("subscription", "Subscription", select("subscription", "Any subscription", filter.subscription, [])),
    field("since", "From", h("input", { id: "filter-since", name: "since", type: "datetime-local", step: 1, value: filter.since ? toLocalInput(filter.since) : "" })),
    field("until", "Until", h("input", { id: "filter-until", name: "until", type: "datetime-local", step: 1, value: filter.until ? toLocalInput(filter.until) : "" })),
    h("div", { class: "filter-actions" }, h("button", { type: "submit", class: "primary" }, "Apply filters"), h("a", { class: "button", href: listHash({}, 1, perPage) }, "Clear")),
  );
  // Types come from the config and subscriptions may change through the API: asked for each time.
  const control = (name: string) => form.querySelector<HTMLSelectElement>(`#filter-${name}`)!;
  eventTypes().then(
    (types) =>
      setOptions(
        control("event_type"),
        "Any type",
        types.map((t) => t.name),
        filter.event_type,
      ),
    context.fail,
  );
  subscriptionIds().then((ids) => setOptions(control("subscription"), "Any subscription", ids, filter.subscription), context.fail);

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
