// The list's filter form, one control per field of the event-log filter (domain/filter.ts), read from and
// written to the location.
import { eventTypes, subscriptionIds, type EventFilter } from "./api.ts";
import { fromLocalInput, h, toLocalInput, zoneName } from "./dom.ts";
import type { PageContext } from "./context.ts";
import { EVENT_FILTER_FIELDS, type EachField, type FilterField } from "../../domain/filter.ts";
import { STATUS_PRECEDENCE, STATUS_WHEN_SETTLED } from "../../domain/status.ts";

// The statuses the event-status rule can give, worst first.
const STATUSES = [...STATUS_PRECEDENCE.map(([, status]) => status), STATUS_WHEN_SETTLED];

/**
 * Each field's control, in the form's order: a choice (its values known at once, or asked of Herald each time:
 * types come from the config and subscriptions may change through the API) or a local date and time.
 */
type Control = { label: string; order: number } & ({ choice: string; values: () => Promise<string[]> } | { time: true } | { text: string });
const CONTROLS: EachField<Control> = {
  search: { label: "Search", order: -1, text: "event id, delivery id, $uri or words of the object" },
  status: { label: "Status", order: 0, choice: "Any status", values: async () => STATUSES },
  eventType: { label: "Event type", order: 1, choice: "Any type", values: async () => (await eventTypes()).map((t) => t.name) },
  subscription: { label: "Subscription", order: 2, choice: "Any subscription", values: subscriptionIds },
  since: { label: "From", order: 3, time: true },
  until: { label: "Until", order: 4, time: true },
};
const FORM_ORDER = (Object.keys(CONTROLS) as FilterField[]).sort((a, b) => CONTROLS[a].order - CONTROLS[b].order);
/** The parameters in the form's order (the location's too). */
const FIELDS = FORM_ORDER.map((name) => EVENT_FILTER_FIELDS[name].param);
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
  const controls = FORM_ORDER.map((name) => {
    const param = EVENT_FILTER_FIELDS[name].param;
    const spec = CONTROLS[name];
    const current = filter[param];
    if ("time" in spec) {
      return field(param, `${spec.label} (${zoneName()})`, h("input", { id: `filter-${param}`, name: param, type: "datetime-local", step: 1, value: current ? toLocalInput(current) : "" }));
    }
    if ("text" in spec) {
      return field(param, spec.label, h("input", { id: `filter-${param}`, name: param, type: "search", placeholder: spec.text, spellcheck: "false", autocomplete: "off", value: current ?? "" }));
    }
    const control = select(param, spec.choice, current, []);
    spec.values().then((values) => setOptions(control, spec.choice, values, current), context.fail);
    return field(param, spec.label, control);
  });
  const form = h(
    "form",
    { class: "filters", "aria-label": "Filter events" },
    ...controls,
    h("div", { class: "filter-actions" }, h("button", { type: "submit", class: "primary" }, "Apply filters"), h("a", { class: "button", href: listHash({}, 1, perPage) }, "Clear")),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const chosen: EventFilter = {};
    for (const name of FORM_ORDER) {
      const param = EVENT_FILTER_FIELDS[name].param;
      const value = String(data.get(param) ?? "").trim();
      chosen[param] = "time" in CONTROLS[name] ? fromLocalInput(value) : value || undefined;
    }
    location.hash = listHash(chosen, 1, perPage);
  });
  return form;
}
