// One event: its payload, each delivery and each attempt; resend all or one delivery, refreshed while shown.
import { ApiError, getEvent, resendEvent, type AttemptResource, type DeliveryResource, type EventResource } from "./api.ts";
import { h, plural, poll, statusBadge, timeElement } from "./dom.ts";
import type { PageContext, View } from "./context.ts";
import { confirmDialog, duplicates } from "./confirm.ts";

const REFRESH_MS = 2_000;

export function mountDetail(main: HTMLElement, id: string, context: PageContext): View {
  const heading = h("h1", { tabindex: -1 }, "Event ", h("code", { class: "event-id" }, id));
  const back = h("p", { class: "back" }, h("a", { href: context.listHref() }, "← Event log"));
  const loading = h("p", { class: "meta" }, "Loading…");
  const facts = h("dl", { class: "facts" });
  const resendAll = h("button", { type: "button", class: "primary", "data-focus-key": "resend-all" }, "Resend to every subscription");
  const payload = h("pre", { class: "code", tabindex: 0, "aria-labelledby": "payload-title" });
  const copy = h("button", { type: "button" }, "Copy payload");
  const deliveries = h("div", { class: "delivery-list" });
  const dialog = confirmDialog();
  // Until the event is known, only its heading: an unknown id then shows its error and nothing else.
  main.replaceChildren(back, heading, loading);
  heading.focus();
  const showEvent = () =>
    main.replaceChildren(
      back,
      heading,
      facts,
      h("div", { class: "actions" }, resendAll),
      h("section", { "aria-labelledby": "payload-title" }, h("div", { class: "section-head" }, h("h2", { id: "payload-title" }, "Payload"), copy), payload),
      h("section", { "aria-labelledby": "deliveries-title" }, h("h2", { id: "deliveries-title" }, "Deliveries"), deliveries),
      dialog.element,
    );

  // Which attempts the user opened or closed, so a refresh does not undo it.
  const toggled = new Map<string, boolean>();
  let shown = "";
  let current: EventResource | null = null;

  const render = (event: EventResource) => {
    if (current === null) showEvent();
    current = event;
    const focused = (document.activeElement as HTMLElement | null)?.dataset.focusKey;
    facts.replaceChildren(
      fact("Status", statusBadge(event.status)),
      fact("Event type", event.event_type),
      fact("Created", timeElement(event.created_at)),
      fact("Triggered", timeElement(event.payload.triggered_at)),
    );
    if (payload.textContent === "") payload.textContent = JSON.stringify(event.payload, null, 2);
    resendAll.hidden = event.deliveries.length === 0;
    deliveries.replaceChildren(...(event.deliveries.length === 0 ? [h("p", {}, "No subscription wanted this event.")] : event.deliveries.map((d) => delivery(d, toggled, resendOne))));
    if (focused) main.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(focused)}"]`)?.focus();
  };

  const refresh = async () => {
    try {
      const event = await getEvent(id);
      const text = JSON.stringify(event);
      if (text !== shown) {
        shown = text;
        render(event);
      }
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        refresher.stop();
        const message = `No event ${id}: it may be older than the retention window, or this key may not see it.`;
        main.replaceChildren(back, heading, h("p", { class: "error" }, message));
        context.announce(message, "error");
      } else {
        context.fail(error);
      }
    }
  };
  const refresher = poll(refresh, REFRESH_MS);

  const resend = async (subscriptions: string[] | undefined, done: string) => {
    try {
      await resendEvent(id, subscriptions);
      context.announce(done);
      await refresher.hurry();
    } catch (error) {
      context.fail(error);
    }
  };
  /** Resends at once, or first asks when a receiver would get the event a second time. */
  const resendChecked = (targets: DeliveryResource[], title: string, subscriptions: string[] | undefined, done: string) => {
    const succeeded = targets.filter((d) => d.state === "succeeded").length;
    if (succeeded === 0) return resend(subscriptions, done);
    dialog.ask({ title, detail: `This event was delivered already: ${duplicates(succeeded)}`, confirm: "Resend anyway" }, () => resend(subscriptions, done));
  };
  const resendOne = (d: DeliveryResource) =>
    resendChecked([d], `Resend to ${d.subscription} again?`, [d.subscription], `Resent to ${d.subscription}. The new attempt shows below as soon as it is made.`);
  resendAll.addEventListener("click", () =>
    resendChecked(current?.deliveries ?? [], "Resend to every subscription?", undefined, "Resent to every subscription. New attempts show below as soon as they are made."),
  );
  copy.addEventListener("click", async () => {
    context.announce((await copyText(payload)) ? "Payload copied." : "Copying was refused; select the payload and copy it by hand.", "info");
  });
  return { stop: refresher.stop };
}

const fact = (name: string, value: Node | string) => h("div", {}, h("dt", {}, name), h("dd", {}, value));

function delivery(d: DeliveryResource, toggled: Map<string, boolean>, resendOne: (d: DeliveryResource) => void): HTMLElement {
  const titleId = `delivery-${d.id}`;
  const resend = h("button", { type: "button", "data-focus-key": `resend:${d.id}` }, `Resend to ${d.subscription}`);
  resend.addEventListener("click", () => resendOne(d));
  const log = d.attempt_log ?? [];
  const next = d.next_attempt_at === null ? "no attempt scheduled" : h("span", {}, "next attempt ", timeElement(d.next_attempt_at));
  return h(
    "section",
    { class: "delivery", "aria-labelledby": titleId },
    h("div", { class: "section-head" }, h("h3", { id: titleId }, "Subscription ", h("code", {}, d.subscription), " ", h("span", { class: `state state-${d.state}` }, d.state)), resend),
    h("p", { class: "meta" }, `Delivery ${d.id} · ${plural(d.attempts, "attempt")} · `, next),
    log.length === 0
      ? h("p", { class: "meta" }, "No attempt yet.")
      : h(
          "ol",
          { class: "attempts" },
          log.map((a, i) => h("li", {}, attempt(d.id, a, i === log.length - 1, toggled))),
        ),
  );
}

function attempt(deliveryId: string, a: AttemptResource, newest: boolean, toggled: Map<string, boolean>): HTMLElement {
  const key = `${deliveryId}:${a.number}`;
  const outcome = a.response ? `HTTP ${a.response.status}` : (a.error?.kind ?? "no answer");
  const summary = h(
    "summary",
    { "data-focus-key": `attempt:${key}` },
    h("span", { class: "attempt-number" }, `Attempt ${a.number}`),
    " ",
    timeElement(a.started_at),
    " ",
    h("span", { class: `outcome ${a.success ? "outcome-ok" : "outcome-failed"}` }, a.success ? `${outcome} ✓` : `${outcome} ✗`),
    " ",
    h("span", { class: "duration" }, `${a.duration_ms} ms`),
  );
  const details = h(
    "details",
    { open: toggled.get(key) ?? newest },
    summary,
    h(
      "div",
      { class: "attempt-body" },
      h("h4", {}, "Request"),
      h("p", {}, h("code", { class: "url" }, `POST ${a.request.url}`)),
      headerTable(a.request.headers),
      h("h4", {}, "Response"),
      a.response === null
        ? h("p", {}, "No response.")
        : [
            h("p", {}, `Status ${a.response.status}`),
            a.response.body ? h("pre", { class: "code", tabindex: 0, "aria-label": `Response body, attempt ${a.number}` }, a.response.body) : h("p", { class: "meta" }, "Empty body."),
          ],
      a.error === null ? null : [h("h4", {}, "Error"), h("p", { class: "error" }, `${a.error.kind}: ${a.error.message ?? ""}`)],
    ),
  );
  // A click on the summary is the user's own choice (Enter and Space click it too); it runs before the toggle.
  summary.addEventListener("click", () => toggled.set(key, !details.open));
  return details;
}

function headerTable(headers: Record<string, string>): HTMLElement {
  return h(
    "table",
    { class: "headers" },
    h("caption", { class: "visually-hidden" }, "Request headers"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Header"), h("th", { scope: "col" }, "Value"))),
    h(
      "tbody",
      {},
      Object.entries(headers).map(([name, value]) => h("tr", {}, h("th", { scope: "row" }, name), h("td", {}, value))),
    ),
  );
}

/** The clipboard API exists only on https and localhost; elsewhere the old selection copy still works. */
async function copyText(element: HTMLElement): Promise<boolean> {
  const text = element.textContent ?? "";
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const range = document.createRange();
    range.selectNodeContents(element);
    getSelection()?.removeAllRanges();
    getSelection()?.addRange(range);
    return document.execCommand("copy");
  }
}
