// Every error answer has one shape: {"error": {"code": "...", "message": "..."}}.
import { status } from "elysia";

export function apiError<const Code extends number>(httpStatus: Code, code: string, message: string) {
  return status(httpStatus, { error: { code, message } });
}

const QUOTE_LIMIT = 100;

/** A client's value inside a message: quoted, and cut short so an error never echoes a megabyte back. */
export function quote(value: string): string {
  return value.length <= QUOTE_LIMIT ? JSON.stringify(value) : `${JSON.stringify(value.slice(0, QUOTE_LIMIT))}... (${value.length} characters)`;
}
