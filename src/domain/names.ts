// Rules on names: the headers a subscription may not set, and the names (of headers, query parameters and plugin
// options) whose values are credentials, never shown.

// Headers a subscription may not set itself: HTTP framing, Herald's own, and every built-in signature scheme's
// (a static copy would be stale or forged). The subscription's auth plugin reserves its own headerNames too.
const RESERVED_HEADERS = new Set([
  "content-type",
  "content-length",
  "host",
  "transfer-encoding",
  "connection",
  "x-onecodex-signature",
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
  "svix-id",
  "svix-timestamp",
  "svix-signature",
]);

export function isReservedHeader(name: string, authHeaderNames: readonly string[] = []): boolean {
  const lower = name.toLowerCase();
  return RESERVED_HEADERS.has(lower) || lower.startsWith("herald-") || authHeaderNames.some((h) => h.toLowerCase() === lower);
}
// Names whose values the attempt log never shows. Query parameters also count signatures and codes as secret:
// in a URL they are credentials (an Azure SAS `sig`, a Functions `code`); a signature header is only a proof.
const SECRET_NAME = /auth|cookie|token|secret|password|passwd|passphrase|pwd|credential|session|(^|[-_])(api|access)?[-_]?keys?$/i;

/** A header, query parameter or option named like a credential: its value is never shown. */
export const isSecretName = (name: string) => SECRET_NAME.test(name);
