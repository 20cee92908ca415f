// The HTTP edge: one POST, bounded in time and in how much of the answer is read.
import { classifyFetchError, type ErrorKind } from "./error-kind.ts";

export const RESPONSE_BODY_LIMIT = 4096;

export interface SendResult {
  status: number | null;
  /** The first RESPONSE_BODY_LIMIT bytes of the answer, as text. */
  body: string | null;
  durationMs: number;
  error: { kind: ErrorKind | "plugin"; message: string } | null;
}

/** `deadline` bounds the whole attempt (an AbortSignal.timeout), reading the answer included. */
export async function postWebhook(url: string, headers: Record<string, string>, body: Uint8Array<ArrayBuffer>, deadline: AbortSignal): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    // Redirects are answers, not detours.
    const response = await fetch(url, { method: "POST", headers, body, redirect: "manual", signal: deadline });
    const excerpt = await readExcerpt(response);
    return { status: response.status, body: excerpt, durationMs: elapsed(), error: null };
  } catch (error) {
    return { status: null, body: null, durationMs: elapsed(), error: classifyFetchError(error) };
  }
}

/** Reads at most RESPONSE_BODY_LIMIT bytes and drops the rest unread, so a huge answer costs nothing. */
async function readExcerpt(response: Response): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < RESPONSE_BODY_LIMIT) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  if (size >= RESPONSE_BODY_LIMIT) await reader.cancel();
  const bytes = Buffer.concat(chunks).subarray(0, RESPONSE_BODY_LIMIT);
  return new TextDecoder().decode(bytes);
}
