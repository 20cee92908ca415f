// How much memory the request bodies being read may hold in all (server.max_body_memory). Each body's bytes
// are reserved before they are read and given back once it is parsed; one that does not fit is answered 503
// at once, unread, so many slow bodies cannot make Herald hold more than this, whoever sends them.
export class BodyBudget {
  private held = 0;

  constructor(readonly limitBytes: number) {}

  /** Reserves `bytes` if they fit under the limit; false (nothing reserved) if they do not. */
  take(bytes: number): boolean {
    if (this.held + bytes > this.limitBytes) return false;
    this.held += bytes;
    return true;
  }

  give(bytes: number) {
    this.held -= bytes;
  }

  /** Bytes reserved right now. */
  get heldBytes() {
    return this.held;
  }
}
