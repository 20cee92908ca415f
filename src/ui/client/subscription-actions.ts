// An admin's actions on one subscription, under its card: edit, disable or enable, rotate the signing secret
// (the new one shown once), send a test event (its attempt shown), delete. The config file's subscriptions
// are the file's to change: only a test send is offered for them.
import { deleteSubscription, rotateSecret, sendTest, updateSubscription, type SubscriptionResource, type TestAttemptResource } from "./api.ts";
import { h } from "./dom.ts";
import type { PageContext } from "./context.ts";
import type { confirmDialog } from "./confirm.ts";

export interface ActionDeps {
  context: PageContext;
  dialog: ReturnType<typeof confirmDialog>;
  /** Where an action's result is shown (a secret, an attempt). */
  output: HTMLElement;
  /** After a change: refresh the view. */
  changed: () => Promise<void>;
}

export function adminActions(s: SubscriptionResource, deps: ActionDeps): HTMLElement {
  const { context, dialog, output } = deps;
  const button = (label: string, key: string, run: () => unknown, primary = false) => {
    const b = h("button", { type: "button", class: primary ? "primary" : "", "data-focus-key": `${key}:${s.id}` }, label);
    b.addEventListener("click", async () => {
      b.disabled = true;
      try {
        await run();
      } catch (error) {
        context.fail(error);
      } finally {
        b.disabled = false;
      }
    });
    return b;
  };
  const test = button("Send test event", "test", async () => {
    output.replaceChildren(h("p", { class: "meta" }, "Sending a test event…"));
    output.replaceChildren(testResult(await sendTest(s.id)));
  });
  if (s.source === "config") return h("div", { class: "actions" }, test, h("span", { class: "meta" }, "Defined in the config file: edit the file to change it."));

  const toggle = button(s.enabled ? "Disable" : "Enable", "toggle", async () => {
    await updateSubscription(s.id, { enabled: !s.enabled });
    context.announce(`Subscription ${s.id} ${s.enabled ? "disabled: it gets no new deliveries" : "enabled"}.`);
    await deps.changed();
  });
  const rotate = button("Rotate secret", "rotate", async () => {
    const rotated = await rotateSecret(s.id);
    output.replaceChildren(
      h("p", {}, "The new signing secret, shown this once (the old one keeps signing for 24 hours): "),
      h("p", {}, h("code", { class: "secret" }, rotated.signing_secret ?? "(the one given)")),
    );
  });
  const remove = button("Delete", "delete", () =>
    dialog.ask({ title: `Delete subscription ${s.id}?`, detail: "It gets no more deliveries and its id is never used again. Its events and attempts stay readable.", confirm: "Delete" }, async () => {
      try {
        await deleteSubscription(s.id);
        context.announce(`Subscription ${s.id} deleted.`);
        await deps.changed();
      } catch (error) {
        context.fail(error);
      }
    }),
  );
  const edit = h("a", { class: "button", href: `#/subscriptions/${encodeURIComponent(s.id)}/edit`, "data-focus-key": `edit:${s.id}` }, "Edit");
  return h("div", { class: "actions" }, edit, toggle, rotate, test, remove);
}

function testResult(attempt: TestAttemptResource): HTMLElement {
  const outcome = attempt.response ? `HTTP ${attempt.response.status}` : (attempt.error?.kind ?? "no answer");
  return h(
    "div",
    { class: "test-result" },
    h(
      "p",
      {},
      `Test event ${attempt.event_type}: `,
      h("span", { class: `outcome ${attempt.success ? "outcome-ok" : "outcome-failed"}` }, attempt.success ? `${outcome} ✓` : `${outcome} ✗`),
      ` in ${attempt.duration_ms} ms`,
    ),
    h("p", {}, h("code", { class: "url" }, `POST ${attempt.request.url}`)),
    attempt.error ? h("p", { class: "error" }, `${attempt.error.kind}: ${attempt.error.message ?? ""}`) : null,
    attempt.response?.body ? h("pre", { class: "code", tabindex: 0, "aria-label": "The receiver's answer" }, attempt.response.body) : null,
  );
}
