// What a view of the page is, and what every view may ask of the page (main.ts provides it).

export interface View {
  stop(): void;
}

/** What every view may ask of the page. */
export interface PageContext {
  /** A failed request: a refused key goes back to sign-in, anything else is told in the notice. */
  fail(error: unknown): void;
  /** Tells the user how an action went (read out by screen readers). */
  announce(text: string, kind?: "info" | "error"): void;
  /** Where "back to the list" goes: the last list the user looked at, with its filter and page. */
  listHref(): string;
  /** Whether the signed-in key is an admin's (asked of Herald once per sign-in): only admins see admin actions. */
  isAdmin(): Promise<boolean>;
}
