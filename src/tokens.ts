// API tokens and generated secrets: random, URL- and header-safe, and kept only as a SHA-256 where possible.
import { createHash, randomBytes } from "node:crypto";

export const sha256Hex = (text: string) => createHash("sha256").update(text).digest("hex");

/** 32 random bytes, base64url: no `:` (a token may travel as the Basic username) and no whitespace. */
export function newToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString("base64url")}`;
}
