// The subscriptions view: each subscription the key may see with how it is doing (state, success rates, a
// chart of deliveries per minute, queue, last failure) and, for an admin, what can be done to it.
import { subscriptionHealth, subscriptions, type HealthResource, type SubscriptionResource } from "./api.ts";
import { formatCount, h, plural, poll, timeElement } from "./dom.ts";
import type { PageContext, View } from "./context.ts";
import { listHash } from "./filters.ts";
import { adminActions } from "./subscription-actions.ts";
import { confirmDialog } from "./confirm.ts";

const REFRESH_MS = 5_000;

export function mountSubscriptions(main: HTMLElement, context: PageContext): View {
  const heading = h("h1", { tabindex: -1 }, "Subscriptions");
  const toolbar = h("div", { class: "toolbar" });
  const cards = h("div", { class: "cards" }, h("p", { class: "meta" }, "Loading…"));
  const dialog = confirmDialog();
  main.replaceChildren(heading, toolbar, cards, dialog.element);
  heading.focus();

  let admin = false;
  let shown = "";
  // What an action said (a secret shown once, a test's attempt) stays under its card across refreshes.
  const outputs = new Map<string, HTMLElement>();
  const outputOf = (id: string) => outputs.get(id) ?? outputs.set(id, h("div", { class: "action-output", role: "status" })).get(id)!;

  const refresh = async () => {
    try {
      const all = await subscriptions();
      const health = await Promise.all(all.map((s) => subscriptionHealth(s.id)));
      const text = JSON.stringify([all, health]);
      if (text === shown) return;
      shown = text;
      const focused = (document.activeElement as HTMLElement | null)?.dataset.focusKey;
      cards.replaceChildren(
        ...(all.length === 0
          ? [h("p", { class: "meta" }, "No subscriptions yet.")]
          : all.map((s, i) => card(s, health[i]!, admin ? adminActions(s, { context, dialog, output: outputOf(s.id), changed: () => refresher.hurry() }) : null, outputOf(s.id)))),
      );
      if (focused) main.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(focused)}"]`)?.focus();
    } catch (error) {
      context.fail(error);
    }
  };
  let refresher = { stop() {}, hurry: async () => {} };
  context.isAdmin().then((isAdmin) => {
    admin = isAdmin;
    if (admin)
      toolbar.replaceChildren(
        h("p", { class: "count" }, "The config file's subscriptions are read-only here: edit the file."),
        h("a", { class: "button primary", href: "#/subscriptions/new" }, "New subscription"),
      );
    refresher = poll(refresh, REFRESH_MS);
  }, context.fail);
  return { stop: () => refresher.stop() };
}

function card(s: SubscriptionResource, health: HealthResource, actions: HTMLElement | null, output: HTMLElement): HTMLElement {
  const titleId = `subscription-${s.id}`;
  return h(
    "section",
    { class: "card", "aria-labelledby": titleId },
    h("div", { class: "section-head" }, h("h2", { id: titleId }, h("code", {}, s.id)), stateBadge(s)),
    h("p", { class: "meta url" }, s.url),
    h("p", { class: "meta" }, stateReason(s), s.description ? ` · ${s.description}` : ""),
    h(
      "dl",
      { class: "figures" },
      figure("Success, last hour", rate(health.success_rate.last_hour)),
      figure("Success, last day", rate(health.success_rate.last_day)),
      figure("Deliveries per minute", sparkline(health.deliveries_per_minute)),
      figure("Queue", health.queue.depth === 0 ? "empty" : [plural(health.queue.depth, "delivery", "deliveries"), " · oldest due ", timeElement(health.queue.oldest_due_at)]),
      figure("Last failure", lastFailure(health)),
    ),
    h(
      "p",
      { class: "links" },
      h("a", { href: listHash({ subscription: s.id, status: "failed" }, 1, 50), "data-focus-key": `failing:${s.id}` }, "Its failing events"),
      " · ",
      h("a", { href: listHash({ subscription: s.id }, 1, 50) }, "All its events"),
    ),
    actions,
    output,
  );
}

function stateBadge(s: SubscriptionResource): HTMLElement {
  return h("span", { class: `badge ${s.enabled ? "badge-success" : "badge-pending"}` }, s.enabled ? "enabled" : "disabled");
}

/** Where it comes from and, when disabled, why. */
function stateReason(s: SubscriptionResource): string {
  const owner = s.source === "config" ? "From the config file" : "Made through the API";
  if (s.removed_from_config_at) return `${owner}; disabled: removed from the file on ${s.removed_from_config_at.slice(0, 10)}`;
  if (!s.enabled) return `${owner}; disabled: ${s.source === "config" ? "the file says enabled: false" : "disabled through the API"}`;
  return owner;
}

function rate(r: HealthResource["success_rate"]["last_hour"]): Node | string {
  if (r.rate === null) return r.pending > 0 ? `${plural(r.pending, "delivery", "deliveries")} not attempted yet` : "no deliveries";
  const percent = Math.round(r.rate * 1000) / 10;
  return h(
    "span",
    { class: percent >= 99 ? "good" : percent >= 90 ? "warn" : "bad" },
    `${percent}%`,
    h("span", { class: "meta" }, ` (${formatCount(r.succeeded)} of ${formatCount(r.succeeded + r.failed)})`),
  );
}

/** Sixty bars, one a minute, oldest first; the numbers are in the label (and the title on hover). */
function sparkline(perMinute: number[]): Element {
  const total = perMinute.reduce((a, b) => a + b, 0);
  const peak = Math.max(...perMinute);
  const label = `${plural(total, "delivery", "deliveries")} in the last hour, at most ${formatCount(peak)} a minute`;
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  for (const [name, value] of Object.entries({ class: "spark", viewBox: `0 0 ${perMinute.length * 3} 24`, role: "img", "aria-label": label, preserveAspectRatio: "none" }))
    svg.setAttribute(name, value);
  const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
  title.textContent = label;
  svg.append(title);
  perMinute.forEach((n, i) => {
    const height = peak === 0 ? 0 : Math.max(1, Math.round((n / peak) * 24));
    const bar = document.createElementNS("http://www.w3.org/2000/svg", "rect");
    for (const [name, value] of Object.entries({ x: i * 3, y: 24 - height, width: 2, height })) bar.setAttribute(name, String(value));
    svg.append(bar);
  });
  return h("span", { class: "spark-wrap" }, svg, h("span", { class: "meta" }, ` ${formatCount(total)} in the hour`));
}

function lastFailure(health: HealthResource): Node | string {
  const f = health.last_failure;
  if (!f) return "none";
  const what = f.error ? `${f.error.kind}${f.error.message ? `: ${f.error.message}` : ""}` : `HTTP ${f.status}`;
  return h("span", {}, timeElement(f.at), " ", h("span", { class: "error" }, what), " · ", h("a", { href: `#/events/${encodeURIComponent(f.event_id)}`, class: "event-id" }, f.event_id));
}

const figure = (name: string, value: Node | string | (Node | string)[]) => h("div", {}, h("dt", {}, name), h("dd", {}, value));
