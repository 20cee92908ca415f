// API keys (an admin's view): the config file's (read-only: edit the file) and those made here, which can be
// deleted; a new key's token is shown once, as Herald answers it, and never again.
import { apiKeys, createApiKey, deleteApiKey, subscriptionIds, type ApiKeyResource } from "./api.ts";
import { h, timeElement } from "./dom.ts";
import type { PageContext, View } from "./context.ts";
import { confirmDialog } from "./confirm.ts";

export function mountKeys(main: HTMLElement, context: PageContext): View {
  const heading = h("h1", { tabindex: -1 }, "API keys");
  const tbody = h("tbody");
  const dialog = confirmDialog();
  const created = h("div", { role: "status" });
  const table = h(
    "table",
    { class: "keys" },
    h("caption", { class: "visually-hidden" }, "API keys"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["Name", "Role", "Subscriptions", "Expires", "Source", ""].map((name) => h("th", { scope: "col" }, name)),
      ),
    ),
    tbody,
  );
  main.replaceChildren(
    heading,
    newKeyForm(context, created, () => load()),
    created,
    h("div", { class: "table-wrap" }, table),
    dialog.element,
  );
  heading.focus();

  const load = async () => {
    try {
      const keys = await apiKeys();
      tbody.replaceChildren(...keys.map((key) => row(key, () => ask(key))));
    } catch (error) {
      context.fail(error);
    }
  };
  const ask = (key: ApiKeyResource) =>
    dialog.ask({ title: `Delete the key ${key.name}?`, detail: "Whoever uses it is refused from now on.", confirm: "Delete" }, async () => {
      try {
        await deleteApiKey(key.id);
        context.announce(`Key ${key.name} deleted.`);
        await load();
      } catch (error) {
        context.fail(error);
      }
    });
  void load();
  return { stop() {} };
}

function row(key: ApiKeyResource, remove: () => void): HTMLTableRowElement {
  const action =
    key.source === "config"
      ? h("span", { class: "meta" }, "edit the file")
      : h("button", { type: "button", "aria-label": `Delete the key ${key.name}`, "data-focus-key": `delete:${key.id}`, onclick: remove }, "Delete");
  return h(
    "tr",
    {},
    h("th", { scope: "row" }, key.name),
    h("td", { "data-label": "Role" }, key.role),
    h("td", { "data-label": "Subscriptions" }, key.role === "user" ? key.subscriptions.join(", ") || "none" : "all"),
    h("td", { "data-label": "Expires" }, key.expires_at ? timeElement(key.expires_at) : "never"),
    h("td", { "data-label": "Source" }, key.source === "config" ? "config file" : "API"),
    h("td", {}, action),
  );
}

function newKeyForm(context: PageContext, created: HTMLElement, changed: () => Promise<void>): HTMLFormElement {
  const name = h("input", { id: "key-name", name: "name", required: true, autocomplete: "off", spellcheck: "false" });
  const role = h(
    "select",
    { id: "key-role", name: "role" },
    ["user", "publisher", "admin"].map((r) => h("option", { value: r }, r)),
  );
  const scope = h("select", { id: "key-subscriptions", name: "subscriptions", multiple: true, size: 3 });
  subscriptionIds().then((ids) => scope.replaceChildren(...ids.map((id) => h("option", { value: id }, id))), context.fail);
  const error = h("p", { class: "error", role: "alert" });
  const field = (id: string, label: string, control: HTMLElement) => h("div", { class: "field" }, h("label", { for: id }, label), control);
  const form = h(
    "form",
    { class: "filters", "aria-label": "New API key" },
    field("key-name", "Name", name),
    field("key-role", "Role", role),
    field("key-subscriptions", "Subscriptions (role user)", scope),
    h("div", { class: "filter-actions" }, h("button", { type: "submit", class: "primary" }, "Create key")),
    error,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    const subscriptions = [...scope.selectedOptions].map((o) => o.value);
    try {
      const key = await createApiKey({ name: name.value.trim(), role: role.value, ...(role.value === "user" ? { subscriptions } : {}) });
      created.replaceChildren(h("p", {}, `Key ${key.name} created. Its token, shown this once (Herald keeps only its hash): `), h("p", {}, h("code", { class: "secret" }, key.token ?? "")));
      form.reset();
      await changed();
    } catch (failure) {
      error.textContent = (failure as Error).message;
    }
  });
  return form;
}
