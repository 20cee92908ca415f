// A modal that asks before an action that cannot be taken back: a resend that gives receivers a duplicate, a
// delete, a resend that may touch thousands of events.
import { h } from "./dom.ts";

export interface Question {
  title: string;
  detail: string;
  /** The confirming button's label. */
  confirm: string;
}

export function confirmDialog() {
  const title = h("h2", { id: "confirm-title" });
  const detail = h("p", { id: "confirm-detail" });
  const confirm = h("button", { type: "button", class: "primary" });
  const cancel = h("button", { type: "button" }, "Cancel");
  const element = h("dialog", { "aria-labelledby": "confirm-title", "aria-describedby": "confirm-detail" }, title, detail, h("div", { class: "actions" }, confirm, cancel));
  let action: (() => unknown) | null = null;
  cancel.addEventListener("click", () => element.close());
  confirm.addEventListener("click", () => {
    element.close();
    void action?.();
  });
  return {
    element,
    /** Shows the question; `then` runs only if the user confirms. Cancel has the focus, so Enter never confirms by surprise. */
    ask(question: Question, then: () => unknown) {
      action = then;
      title.textContent = question.title;
      detail.textContent = question.detail;
      confirm.textContent = question.confirm;
      element.showModal();
      cancel.focus();
    },
  };
}

/** How many receivers a resend would send a duplicate to: those whose delivery already succeeded. */
export function duplicates(count: number): string {
  return count === 1 ? "1 receiver already got it and will get a duplicate." : `${count} receivers already got it and will each get a duplicate.`;
}
