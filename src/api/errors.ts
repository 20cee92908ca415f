// Every error answer has one shape: {"error": {"code": "...", "message": "..."}}.
import { status } from "elysia";

export function apiError<const Code extends number>(httpStatus: Code, code: string, message: string) {
  return status(httpStatus, { error: { code, message } });
}
