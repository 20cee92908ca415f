// A tiny element builder. Text always goes in as text (never as HTML): payloads and receivers' answers are
// other people's data.
type Child = Node | string | number | null | undefined | false | Child[];
type Props = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (typeof value === "function") element.addEventListener(name.replace(/^on/, ""), value);
    else if (value === true) element.setAttribute(name, "");
    else if (value !== false && value !== null && value !== undefined) element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(parent: Node, children: Child[]) {
  for (const child of children) {
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else if (child !== null && child !== undefined && child !== false) parent.appendChild(document.createTextNode(String(child)));
  }
}

const pad = (n: number) => String(n).padStart(2, "0");

// Times show in UTC or in the reader's own zone, as the reader chose (kept for the tab, like the key).
export type TimeZoneChoice = "local" | "utc";
const ZONE_ITEM = "herald.timeZone";
export const timeZone = {
  get: (): TimeZoneChoice => (sessionStorage.getItem(ZONE_ITEM) === "utc" ? "utc" : "local"),
  set: (choice: TimeZoneChoice) => sessionStorage.setItem(ZONE_ITEM, choice),
};

/** The fields of an instant in the chosen zone. */
function fields(d: Date) {
  const utc = timeZone.get() === "utc";
  return utc
    ? [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()]
    : [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()];
}

/** The chosen zone's short name at an instant: `UTC`, or the reader's (`CET`, `GMT+2`...). */
export function zoneName(d = new Date()): string {
  if (timeZone.get() === "utc") return "UTC";
  return new Intl.DateTimeFormat("en-US", { timeZoneName: "short" }).formatToParts(d).find((p) => p.type === "timeZoneName")?.value ?? "local time";
}

/** `2026-03-01 14:05:09 UTC` in the chosen zone, named; the exact instant is in the element's `datetime`. */
export function timeElement(iso: string | null): HTMLElement | string {
  if (iso === null) return "—";
  const d = new Date(iso);
  const [y, mo, day, hh, mm, ss] = fields(d).map(pad);
  return h("time", { datetime: iso, title: iso }, `${y}-${mo}-${day} ${hh}:${mm}:${ss} `, h("span", { class: "zone" }, zoneName(d)));
}

/** The value a `datetime-local` input shows for an instant, in the chosen zone. */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const [y, mo, day, hh, mm, ss] = fields(d).map(pad);
  return `${y}-${mo}-${day}T${hh}:${mm}:${ss}`;
}

/** A `datetime-local` value (in the chosen zone) as an RFC 3339 instant, or undefined when empty. */
export function fromLocalInput(value: string): string | undefined {
  if (value === "") return undefined;
  const d = new Date(timeZone.get() === "utc" ? `${value}Z` : value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export const formatCount = (n: number) => n.toLocaleString("en-US");

export function plural(n: number, one: string, many = `${one}s`) {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

export function statusBadge(status: string): HTMLElement {
  return h("span", { class: `badge badge-${status}` }, status);
}

/**
 * Runs `task` now and then every `everyMs` while the page is visible, never two at once. After an action that
 * makes new attempts (a resend), `hurry()` looks four times as often for a while, so they show within a second.
 */
export function poll(task: () => Promise<void>, everyMs: number) {
  const HURRY_MS = 10_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let running: Promise<void> | null = null;
  let hurryUntil = 0;
  const run = async () => {
    clearTimeout(timer);
    if (stopped) return;
    if (document.visibilityState === "visible") {
      running ??= task().finally(() => (running = null));
      await running;
    }
    clearTimeout(timer); // a run asked for while another was under way must not start a second loop
    if (!stopped) timer = setTimeout(run, Date.now() < hurryUntil ? everyMs / 4 : everyMs);
  };
  const onVisibility = () => document.visibilityState === "visible" && void run();
  document.addEventListener("visibilitychange", onVisibility);
  void run();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisibility);
    },
    /** Runs the task now (after the user's own action) and keeps looking often for a while. */
    hurry() {
      hurryUntil = Date.now() + HURRY_MS;
      return run();
    },
  };
}
