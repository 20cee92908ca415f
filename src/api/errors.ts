// Every error answer has one shape: {"error": {"code": "...", "message": "..."}}.
import { status } from "elysia";
import type { Refusal, RefusalStatus } from "../domain/refusal.ts";

export function apiError<const Code extends number>(httpStatus: Code, code: string, message: string) {
  return status(httpStatus, { error: { code, message } });
}

/** A service's refusal as the error answer. */
export const refused = <const Status extends RefusalStatus>(refusal: Refusal<Status>) => apiError(refusal.status, refusal.code, refusal.message);
