// Create or edit a subscription made through the API (an admin's): its URL, events, signing, description and
// whether it is enabled. Herald checks the fields; its refusal is shown beside the form as it came.
import { createSubscription, eventTypes, getSubscription, updateSubscription, type SubscriptionResource } from "./api.ts";
import { h } from "./dom.ts";
import type { PageContext, View } from "./context.ts";

const SIGNING = ["onecodex-signature", "standard-webhooks"];

export function mountSubscriptionForm(main: HTMLElement, id: string | null, context: PageContext): View {
  const heading = h("h1", { tabindex: -1 }, id ? "Edit subscription " : "New subscription", id ? h("code", {}, id) : null);
  main.replaceChildren(h("p", { class: "back" }, h("a", { href: "#/subscriptions" }, "← Subscriptions")), heading, h("p", { class: "meta" }, "Loading…"));
  heading.focus();
  Promise.all([id ? getSubscription(id) : Promise.resolve(null), eventTypes()]).then(([current, types]) => {
    main.replaceChildren(
      main.firstChild!,
      heading,
      form(
        current,
        types.map((t) => t.name),
        context,
      ),
    );
  }, context.fail);
  return { stop() {} };
}

function form(current: SubscriptionResource | null, types: string[], context: PageContext): HTMLFormElement {
  const field = (name: string, label: string, control: HTMLElement, hint?: string) =>
    h("div", { class: "field" }, h("label", { for: `sub-${name}` }, label), control, hint ? h("p", { class: "hint", id: `sub-${name}-hint` }, hint) : null);
  const input = (name: string, value: string, extra: Record<string, string | boolean> = {}) => h("input", { id: `sub-${name}`, name, value, spellcheck: "false", autocomplete: "off", ...extra });
  const signing = h(
    "select",
    { id: "sub-auth", name: "auth" },
    h("option", { value: "" }, "none"),
    SIGNING.map((plugin) => h("option", { value: plugin, selected: current?.auth?.plugin === plugin }, plugin)),
  );
  const enabled = h("input", { id: "sub-enabled", name: "enabled", type: "checkbox", checked: current?.enabled ?? true });
  const error = h("p", { class: "error", role: "alert" });
  const secret = h("div", { role: "status" });
  const form = h(
    "form",
    { class: "filters edit", "aria-labelledby": "form-title" },
    h("h2", { id: "form-title", class: "visually-hidden" }, "Subscription"),
    current ? null : field("id", "Id", input("id", "", { required: true, pattern: "[A-Za-z0-9][A-Za-z0-9._-]*" }), "letters, digits, . _ -; never reused"),
    field("url", "URL", input("url", current?.url ?? "", { required: true, type: "url" })),
    field("events", "Events", input("events", (current?.events ?? ["*"]).join(", ")), `comma-separated: * for all, or of ${types.join(", ")}`),
    field("auth", "Signing", signing, current ? "" : "a secret is generated and shown once"),
    field("description", "Description", input("description", current?.description ?? "")),
    h("div", { class: "field check" }, enabled, h("label", { for: "sub-enabled" }, "Enabled")),
    h("div", { class: "filter-actions" }, h("button", { type: "submit", class: "primary" }, current ? "Save" : "Create")),
    error,
    secret,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const text = (name: string) => String(data.get(name) ?? "").trim();
    const plugin = text("auth");
    const body: Record<string, unknown> = {
      url: text("url"),
      events: text("events")
        .split(",")
        .map((v) => v.trim())
        .filter(Boolean),
      enabled: enabled.checked,
      description: text("description") || (current ? null : undefined),
    };
    if (current) body.auth = plugin ? (current.auth?.plugin === plugin ? undefined : { plugin }) : null;
    else if (plugin) body.auth = { plugin };
    if (!current) body.id = text("id");
    error.textContent = "";
    try {
      const saved = current ? await updateSubscription(current.id, body) : await createSubscription(body);
      if (saved.signing_secret) {
        secret.replaceChildren(
          h("p", {}, `Subscription ${saved.id} created. Its signing secret, shown this once: `),
          h("p", {}, h("code", { class: "secret" }, saved.signing_secret)),
          h("a", { class: "button", href: "#/subscriptions" }, "Back to the subscriptions"),
        );
        return;
      }
      // Told once the subscriptions view is shown (a new view clears the notice).
      window.addEventListener("hashchange", () => context.announce(`Subscription ${saved.id} ${current ? "saved" : "created"}.`), { once: true });
      location.hash = "#/subscriptions";
    } catch (failure) {
      error.textContent = (failure as Error).message;
    }
  });
  return form;
}
