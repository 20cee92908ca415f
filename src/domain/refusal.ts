// Why a service refused a request: an HTTP status, a stable code and a message naming what is wrong. Services
// return it as a value (an expected outcome, not a bug); the routes turn it into the error envelope.
export type RefusalStatus = 400 | 404 | 409 | 422;

/** `Status`: the statuses a service may refuse with, so a route documents exactly those. */
export interface Refusal<Status extends RefusalStatus = RefusalStatus> {
  refused: true;
  status: Status;
  code: string;
  message: string;
  /** Each bad field of the request, when it names fields: every one, not only the first. */
  details?: FieldProblem[];
}

/** One bad field: its path in the request's body and what is wrong with it. */
export interface FieldProblem {
  path: string;
  message: string;
}

export const refuse = <const Status extends RefusalStatus>(status: Status, code: string, message: string): Refusal<Status> => ({ refused: true, status, code, message });

/** Bad fields as one sentence: `path: message; path: message`. */
export const describeFields = (problems: FieldProblem[]) => problems.map((p) => `${p.path}: ${p.message}`).join("; ");

/** A refusal listing every bad field, in the message (`path: message; ...`) and as details. */
export const refuseFields = <const Status extends RefusalStatus>(status: Status, code: string, problems: FieldProblem[]): Refusal<Status> => ({
  ...refuse(status, code, describeFields(problems)),
  details: problems,
});

/** A refusal about one field: the message as it is, and that field as the one detail. */
export const refuseField = <const Status extends RefusalStatus>(status: Status, code: string, path: string, message: string): Refusal<Status> => ({
  ...refuse(status, code, message),
  details: [{ path, message }],
});

export const isRefusal = <T>(value: T): value is Extract<T, Refusal<RefusalStatus>> => typeof value === "object" && value !== null && (value as { refused?: unknown }).refused === true;

const QUOTE_LIMIT = 100;

/** A client's value inside a message: quoted, and cut short so an error never echoes a megabyte back. */
export function quote(value: string): string {
  return value.length <= QUOTE_LIMIT ? JSON.stringify(value) : `${JSON.stringify(value.slice(0, QUOTE_LIMIT))}... (${value.length} characters)`;
}
