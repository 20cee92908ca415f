// The event-log page: sign-in, then the list (`#/?status=failed&page=2`) or one event (`#/events/<id>`).
// The location holds the view and its filter, never the key.
import { ApiError, request, session } from "./api.ts";
import { mountDetail } from "./detail.ts";
import { h } from "./dom.ts";
import { mountList } from "./list.ts";
import type { PageContext, View } from "./context.ts";

const main = document.getElementById("main")!;
const notice = document.getElementById("notice")!;
const signOutButton = document.getElementById("sign-out") as HTMLButtonElement;
let view: View | null = null;
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
};

function signOut(message = "") {
  session.signOut();
  signInMessage = message;
  route();
}

function route() {
  view?.stop();
  view = null;
  notice.textContent = "";
  notice.className = "notice";
  const signedIn = session.key() !== null;
  signOutButton.hidden = !signedIn;
  if (!signedIn) {
    main.replaceChildren(signInForm());
    main.querySelector("input")?.focus();
    return;
  }
  const path = location.hash.replace(/^#/, "") || "/";
  const event = path.match(/^\/events\/([^/?#]+)$/);
  if (event) {
    view = mountDetail(main, decodeURIComponent(event[1]!), context);
  } else {
    lastListHash = `#${path}`;
    view = mountList(main, new URLSearchParams(path.split("?")[1] ?? ""), context);
  }
}

function signInForm(): HTMLElement {
  const input = h("input", { id: "api-key", name: "api-key", type: "password", autocomplete: "off", spellcheck: "false", required: true, "aria-describedby": "api-key-help sign-in-error" });
  const error = h("p", { id: "sign-in-error", class: "error", role: "alert" }, signInMessage);
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h(
    "form",
    { class: "sign-in", method: "post", "aria-labelledby": "sign-in-title" },
    h("h1", { id: "sign-in-title" }, "Sign in to the event log"),
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

signOutButton.addEventListener("click", () => signOut("Signed out."));
window.addEventListener("hashchange", route);
route();
