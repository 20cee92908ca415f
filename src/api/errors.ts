// Every error answer has one shape: {"error": {"code": "...", "message": "..."}}.
import { status } from "elysia";
import { bodyDetails, type ErrorDetail } from "./error-details.ts";

/** `details`: each bad field of a refused request (400, 422), so a client need not parse the message. */
export function apiError<const Code extends number>(httpStatus: Code, code: string, message: string, details?: ErrorDetail[]) {
  return status(httpStatus, { error: details ? { code, message, details } : { code, message } });
}

/** Body fields breaking rules the schema cannot state, every one listed: in the message and as details. */
export function invalidFields<const Code extends number>(httpStatus: Code, code: string, problems: { path: string; message: string }[]) {
  return apiError(httpStatus, code, problems.map((p) => `${p.path}: ${p.message}`).join("; "), bodyDetails(problems));
}

/** One body field refused: `message` as the envelope's, the same as its one detail. */
export const fieldError = <const Code extends number>(httpStatus: Code, code: string, path: string, message: string) => apiError(httpStatus, code, message, bodyDetails([{ path, message }]));

const QUOTE_LIMIT = 100;

/** A client's value inside a message: quoted, and cut short so an error never echoes a megabyte back. */
export function quote(value: string): string {
  return value.length <= QUOTE_LIMIT ? JSON.stringify(value) : `${JSON.stringify(value.slice(0, QUOTE_LIMIT))}... (${value.length} characters)`;
}
