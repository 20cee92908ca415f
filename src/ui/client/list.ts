// The event list: one page of events from the server (newest first), selection and resend, refreshed while shown.
import { listEvents, type EventFilter, type EventResource } from "./api.ts";
import { formatCount, h, plural, poll, statusBadge, timeElement } from "./dom.ts";
import { DEFAULT_PER_PAGE, filterForm, isFiltered, listHash, readFilter } from "./filters.ts";
import type { PageContext, View } from "./context.ts";
import { bulkResend, matchingSelection } from "./resend.ts";
import { confirmDialog } from "./confirm.ts";
import type { EventStatus } from "../../domain/vocabulary.ts";
import { deliveryStateFor } from "../../domain/status.ts";

const REFRESH_MS = 2_000;
export const PER_PAGE_CHOICES = [25, 50, 100, 200];

// The selection outlives page turns, not a change of filter (it would then hold events no longer listed).
let selection = { filter: "", ids: new Set<string>() };
// The newest event when the list was first shown with this filter: events after it are told of as they arrive
// (on every page of that filter, until "Show the newest").
let baseline: { filter: string; newest: string | null | undefined } = { filter: "", newest: undefined };

function positiveInt(value: string | null, fallback: number) {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

export function mountList(main: HTMLElement, params: URLSearchParams, context: PageContext): View {
  const filter = readFilter(params);
  const page = positiveInt(params.get("page"), 1);
  const perPage = Math.min(positiveInt(params.get("per_page"), DEFAULT_PER_PAGE), 500);
  const filterKey = JSON.stringify(filter);
  if (selection.filter !== filterKey) selection = { filter: filterKey, ids: new Set() };
  const selected = selection.ids;
  if (baseline.filter !== filterKey) baseline = { filter: filterKey, newest: undefined };

  const heading = h("h1", { tabindex: -1 }, "Event log");
  const count = h("p", { class: "count" }, "Loading…");
  const resendSelected = h("button", { type: "button", class: "primary", disabled: true }, "Resend selected");
  const resendMatching = h("button", { type: "button", disabled: true }, "Resend all matching…");
  const selectPage = h("input", { type: "checkbox", "aria-label": "Select every event on this page", "data-focus-key": "select-page" });
  const tbody = h("tbody");
  const pager = h("nav", { class: "pager", "aria-label": "Pages" });
  const dialog = confirmDialog();
  const arrivals = h("p", { class: "arrivals", role: "status" });
  const headers = ["Created", "Event", "Type", "Status", "Deliveries", "Attempts"];
  const table = h(
    "table",
    { class: "events" },
    h("caption", { class: "visually-hidden" }, "Events, newest first"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col", class: "select" }, selectPage),
        headers.map((name) => h("th", { scope: "col" }, name)),
      ),
    ),
    tbody,
  );
  main.replaceChildren(
    heading,
    filterForm(filter, perPage, context),
    h("div", { class: "toolbar" }, count, h("div", { class: "actions" }, resendSelected, resendMatching)),
    arrivals,
    h("div", { class: "table-wrap" }, table),
    pager,
    dialog.element,
  );
  heading.focus();

  let events: EventResource[] = [];
  let total = 0;
  let shown = "";
  // Receivers that already got each event seen here: a resend of the selection asks first if any would get a duplicate.
  const delivered = new Map<string, number>();

  const updateSelection = () => {
    const onPage = events.filter((e) => selected.has(e.id)).length;
    selectPage.checked = events.length > 0 && onPage === events.length;
    selectPage.indeterminate = onPage > 0 && onPage < events.length;
    resendSelected.disabled = selected.size === 0;
    resendSelected.textContent = selected.size === 0 ? "Resend selected" : `Resend ${plural(selected.size, "selected event")}`;
    resendMatching.disabled = total === 0;
    resendMatching.textContent = isFiltered(filter) ? `Resend all ${formatCount(total)} matching…` : `Resend all ${formatCount(total)}…`;
  };

  const render = () => {
    const focused = (document.activeElement as HTMLElement | null)?.dataset.focusKey;
    const last = Math.max(1, Math.ceil(total / perPage));
    count.textContent = `${plural(total, "event")}${isFiltered(filter) ? (total === 1 ? " matches the filter" : " match the filter") : ""} · page ${formatCount(page)} of ${formatCount(last)}`;
    tbody.replaceChildren(...(events.length > 0 ? events.map((e) => row(e, selected, updateSelection)) : [emptyRow(headers.length + 1, filter)]));
    pager.replaceChildren(...pagerLinks(filter, page, last, perPage));
    updateSelection();
    if (focused) main.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(focused)}"]`)?.focus();
  };

  const refresh = async () => {
    try {
      const result = await listEvents(filter, page, perPage);
      const last = Math.max(1, Math.ceil(result.total / perPage));
      if (page > last) {
        location.replace(listHash(filter, last, perPage)); // the list got shorter (a purge, a narrower filter)
        return;
      }
      if (baseline.newest === undefined && page === 1) baseline.newest = result.events[0]?.created_at ?? null;
      await countArrivals();
      const text = JSON.stringify(result);
      if (text === shown) return;
      shown = text;
      ({ events, total } = result);
      for (const e of events) delivered.set(e.id, e.deliveries.filter((d) => d.state === "succeeded").length);
      render();
    } catch (error) {
      context.fail(error);
    }
  };
  const countArrivals = async () => {
    if (!baseline.newest || filter.until) return; // a range that ends cannot gain events
    const after = (await listEvents({ ...filter, since: new Date(Date.parse(baseline.newest) + 1).toISOString() }, 1, 1)).total;
    if (after <= 0) return arrivals.replaceChildren();
    const show = h("a", { href: listHash(filter, 1, perPage) }, "Show the newest");
    show.addEventListener("click", () => {
      baseline.newest = undefined;
      arrivals.replaceChildren();
      if (page === 1) void refresher.hurry(); // the same address: no navigation to do it
    });
    arrivals.replaceChildren(`${plural(after, "new event")} since this page loaded. `, show);
  };
  const refresher = poll(refresh, REFRESH_MS);

  selectPage.addEventListener("change", () => {
    for (const e of events) selectPage.checked ? selected.add(e.id) : selected.delete(e.id);
    for (const box of tbody.querySelectorAll<HTMLInputElement>("input[type=checkbox]")) box.checked = selectPage.checked;
    updateSelection();
  });
  const resendSelection = async () => {
    resendSelected.disabled = true;
    if (await bulkResend({ ids: [...selected] }, context)) selected.clear();
    updateSelection();
    await refresher.hurry();
  };
  resendSelected.addEventListener("click", () => {
    const receivers = [...selected].reduce((sum, id) => sum + (delivered.get(id) ?? 0), 0);
    if (receivers === 0) return resendSelection();
    const title = `Resend ${plural(selected.size, "selected event")}?`;
    dialog.ask(
      { title, detail: `Some were delivered already: ${receivers === 1 ? "1 receiver" : `${formatCount(receivers)} receivers`} will get a duplicate.`, confirm: "Resend anyway" },
      resendSelection,
    );
  });
  resendMatching.addEventListener("click", () =>
    dialog.ask({ title: `Resend all ${plural(total, "event")}${isFiltered(filter) ? " matching the filter" : ""}?`, detail: resendScope(filter), confirm: "Resend" }, async () => {
      await bulkResend(matchingSelection(filter), context);
      await refresher.hurry();
    }),
  );
  return { stop: refresher.stop };
}

function row(event: EventResource, selected: Set<string>, onChange: () => void): HTMLTableRowElement {
  const box = h("input", { type: "checkbox", "aria-label": `Select event ${event.id}`, "data-focus-key": `select:${event.id}`, checked: selected.has(event.id) });
  box.addEventListener("change", () => {
    box.checked ? selected.add(event.id) : selected.delete(event.id);
    onChange();
  });
  const attempts = event.deliveries.reduce((sum, d) => sum + d.attempts, 0);
  return h(
    "tr",
    { class: selected.has(event.id) ? "selected" : "" },
    h("td", { class: "select" }, box),
    h("td", { "data-label": "Created" }, timeElement(event.created_at)),
    h("th", { scope: "row", "data-label": "Event" }, h("a", { href: `#/events/${encodeURIComponent(event.id)}`, class: "event-id", "data-focus-key": `open:${event.id}` }, event.id)),
    h("td", { "data-label": "Type" }, event.event_type),
    h("td", { "data-label": "Status" }, statusBadge(event.status)),
    h("td", { "data-label": "Deliveries" }, deliveryStrip(event)),
    h("td", { "data-label": "Attempts", class: "number" }, attempts),
  );
}

/**
 * One small mark per delivery, coloured by its state; the subscriptions' names show on hover or keyboard
 * focus, and screen readers read them from the label.
 */
function deliveryStrip(event: EventResource): HTMLElement | string {
  if (event.deliveries.length === 0) return "none";
  const names = event.deliveries.map((d) => `${d.subscription} ${d.state}`);
  return h(
    "span",
    { class: "strip", tabindex: 0, role: "img", "aria-label": names.join(", "), "data-focus-key": `strip:${event.id}` },
    event.deliveries.map((d) => h("span", { class: `pip state-${d.state}`, title: `${d.subscription}: ${d.state}` })),
    h("span", { class: "strip-names", "aria-hidden": "true" }, names.join(" · ")),
  );
}

/** What a resend of the whole filter sends again, and whether receivers get duplicates. */
function resendScope(filter: EventFilter): string {
  const fresh = "Each delivery resent gets a fresh attempt now and a fresh retry budget.";
  if (!filter.status) return `${fresh} Deliveries that succeeded go again too: their receivers get a duplicate.`;
  const state = deliveryStateFor(filter.status as EventStatus);
  return `${fresh} Only their ${state} deliveries go again${state === "succeeded" ? ": every one of those receivers gets a duplicate." : ", so no receiver gets a duplicate."}`;
}

function emptyRow(columns: number, filter: EventFilter) {
  const text = isFiltered(filter) ? "No events match this filter." : "No events yet in the retention window.";
  return h("tr", {}, h("td", { colspan: columns, class: "empty" }, text));
}

function pagerLinks(filter: EventFilter, page: number, last: number, perPage: number): HTMLElement[] {
  const link = (target: number, label: string, rel: string) =>
    target === page || target < 1 || target > last
      ? h("span", { class: "button", "aria-disabled": "true" }, label)
      : h("a", { class: "button", href: listHash(filter, target, perPage), rel, "data-focus-key": `page:${rel}` }, label);
  const perPageSelect = h(
    "select",
    { id: "per-page" },
    PER_PAGE_CHOICES.map((n) => h("option", { value: n, selected: n === perPage }, n)),
  );
  perPageSelect.addEventListener("change", () => (location.hash = listHash(filter, 1, Number(perPageSelect.value))));
  return [
    link(1, "« First", "first"),
    link(page - 1, "‹ Previous", "prev"),
    h("span", { class: "page-of" }, `Page ${formatCount(page)} of ${formatCount(last)}`),
    link(page + 1, "Next ›", "next"),
    link(last, "Last »", "last"),
    h("span", { class: "per-page" }, h("label", { for: "per-page" }, "Per page"), perPageSelect),
  ];
}
