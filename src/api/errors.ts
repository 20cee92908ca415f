// Every error answer has one shape: {"error": {"code": "...", "message": "..."}}, with `details` listing each
// bad field where the request named fields.
import { status } from "elysia";
import type { Refusal, RefusalStatus } from "../domain/refusal.ts";
import { bodyDetails, type ErrorDetail } from "./error-details.ts";

/** `details`: each bad field of a refused request (400, 422), so a client need not parse the message. */
export function apiError<const Code extends number>(httpStatus: Code, code: string, message: string, details?: ErrorDetail[]) {
  return status(httpStatus, { error: details ? { code, message, details } : { code, message } });
}

/** A service's refusal as the error answer, its bad body fields as details. */
export const refused = <const Status extends RefusalStatus>(refusal: Refusal<Status>) => apiError(refusal.status, refusal.code, refusal.message, refusal.details && bodyDetails(refusal.details));
