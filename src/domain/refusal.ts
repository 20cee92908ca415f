// Why a service refused a request: an HTTP status, a stable code and a message naming what is wrong. Services
// return it as a value (an expected outcome, not a bug); the routes turn it into the error envelope.
export type RefusalStatus = 400 | 404 | 409 | 422;

/** `Status`: the statuses a service may refuse with, so a route documents exactly those. */
export interface Refusal<Status extends RefusalStatus = RefusalStatus> {
  refused: true;
  status: Status;
  code: string;
  message: string;
}

export const refuse = <const Status extends RefusalStatus>(status: Status, code: string, message: string): Refusal<Status> => ({ refused: true, status, code, message });

export const isRefusal = <T>(value: T): value is Extract<T, Refusal<RefusalStatus>> => typeof value === "object" && value !== null && (value as { refused?: unknown }).refused === true;

const QUOTE_LIMIT = 100;

/** A client's value inside a message: quoted, and cut short so an error never echoes a megabyte back. */
export function quote(value: string): string {
  return value.length <= QUOTE_LIMIT ? JSON.stringify(value) : `${JSON.stringify(value.slice(0, QUOTE_LIMIT))}... (${value.length} characters)`;
}
