// The console: sign-in, then the event list (`#/?status=failed&page=2`), one event (`#/events/<id>`), the
// subscriptions (`#/subscriptions`, an admin's forms under it) or the API keys (`#/keys`, admins only).
// The location holds the view and its filter, never the key.
import { ApiError, isAdmin, request, session } from "./api.ts";
import { mountDetail } from "./detail.ts";
import { h, timeZone, zoneName, type TimeZoneChoice } from "./dom.ts";
import { mountKeys } from "./keys.ts";
import { mountList } from "./list.ts";
import { mountSubscriptionForm } from "./subscription-form.ts";
import { mountSubscriptions } from "./subscriptions.ts";
import type { PageContext, View } from "./context.ts";

const main = document.getElementById("main")!;
const notice = document.getElementById("notice")!;
const signOutButton = document.getElementById("sign-out") as HTMLButtonElement;
const nav = document.getElementById("nav")!;
const keysLink = document.getElementById("nav-keys")!;
const zoneLabel = document.getElementById("time-zone-label")!;
const zoneSelect = document.getElementById("time-zone") as HTMLSelectElement;
let view: View | null = null;
/** Asked once per sign-in. */
let admin: Promise<boolean> | null = null;
let lastListHash = "#/";
let signInMessage = "";

const context: PageContext = {
  fail(error) {
    if (error instanceof ApiError && error.status === 401) {
      signOut(`This key was refused: ${error.message}`);
      return;
    }
    context.announce(error instanceof Error ? error.message : String(error), "error");
  },
  announce(text, kind = "info") {
    notice.className = `notice notice-${kind}`;
    notice.textContent = text;
  },
  listHref: () => lastListHash,
  isAdmin: () => (admin ??= isAdmin()),
};

function signOut(message = "") {
  session.signOut();
  admin = null;
  signInMessage = message;
  route();
}

/** Which view a location shows, and whether it needs an admin. */
function viewFor(path: string): { name: string; adminOnly?: boolean; mount: () => View } {
  const event = path.match(/^\/events\/([^/?#]+)$/);
  if (event) return { name: "events", mount: () => mountDetail(main, decodeURIComponent(event[1]!), context) };
  if (path === "/subscriptions") return { name: "subscriptions", mount: () => mountSubscriptions(main, context) };
  if (path === "/subscriptions/new") return { name: "subscriptions", adminOnly: true, mount: () => mountSubscriptionForm(main, null, context) };
  const edit = path.match(/^\/subscriptions\/([^/?#]+)\/edit$/);
  if (edit) return { name: "subscriptions", adminOnly: true, mount: () => mountSubscriptionForm(main, decodeURIComponent(edit[1]!), context) };
  if (path === "/keys") return { name: "keys", adminOnly: true, mount: () => mountKeys(main, context) };
  lastListHash = `#${path}`;
  return { name: "events", mount: () => mountList(main, new URLSearchParams(path.split("?")[1] ?? ""), context) };
}

function route() {
  view?.stop();
  view = null;
  notice.textContent = "";
  notice.className = "notice";
  const signedIn = session.key() !== null;
  signOutButton.hidden = !signedIn;
  nav.hidden = !signedIn;
  zoneLabel.hidden = !signedIn;
  if (!signedIn) {
    main.replaceChildren(signInForm());
    main.querySelector("input")?.focus();
    return;
  }
  const chosen = viewFor(location.hash.replace(/^#/, "") || "/");
  for (const link of nav.querySelectorAll<HTMLAnchorElement>("a[data-view]")) {
    if (link.dataset.view === chosen.name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  context.isAdmin().then((yes) => (keysLink.hidden = !yes), context.fail);
  if (!chosen.adminOnly) {
    view = chosen.mount();
    return;
  }
  // An admin's view: a user key is told so rather than shown forms it cannot use.
  let stopped = false;
  view = { stop: () => (stopped = true) };
  context.isAdmin().then((yes) => {
    if (stopped) return;
    if (yes) view = chosen.mount();
    else main.replaceChildren(h("h1", {}, "Not available"), h("p", { class: "error" }, "This needs an admin key."));
  }, context.fail);
}

/** The time zone switch: UTC or the reader's own, named; a change redraws the view in it. */
function setUpTimeZone() {
  const chosen = timeZone.get();
  timeZone.set("local");
  const local = zoneName();
  timeZone.set(chosen);
  zoneSelect.replaceChildren(h("option", { value: "utc", selected: chosen === "utc" }, "UTC"), h("option", { value: "local", selected: chosen === "local" }, `Local (${local})`));
  zoneSelect.addEventListener("change", () => {
    timeZone.set(zoneSelect.value as TimeZoneChoice);
    route();
  });
}

function signInForm(): HTMLElement {
  const input = h("input", { id: "api-key", name: "api-key", type: "password", autocomplete: "off", spellcheck: "false", required: true, "aria-describedby": "api-key-help sign-in-error" });
  const error = h("p", { id: "sign-in-error", class: "error", role: "alert" }, signInMessage);
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h(
    "form",
    { class: "sign-in", method: "post", "aria-labelledby": "sign-in-title" },
    h("h1", { id: "sign-in-title" }, "Sign in to the Herald console"),
    h("label", { for: "api-key" }, "API key"),
    input,
    h("p", { id: "api-key-help", class: "hint" }, "A key with role admin or user. It stays in this browser tab (session storage) and is sent only to this Herald."),
    error,
    submit,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const key = input.value.trim();
    if (key === "") return;
    submit.disabled = true;
    error.textContent = "Checking the key…";
    try {
      await request("/api/v1/events?per_page=1", { key });
      session.signIn(key);
      signInMessage = "";
      route();
    } catch (failure) {
      const refused = failure instanceof ApiError && failure.status === 403;
      error.textContent = refused ? `This key cannot read the event log: ${failure.message}` : (failure as Error).message;
      submit.disabled = false;
      input.select();
    }
  });
  return form;
}

setUpTimeZone();
signOutButton.addEventListener("click", () => signOut("Signed out."));
window.addEventListener("hashchange", route);
route();
