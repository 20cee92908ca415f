/** `blocked`: the receiver's address is one Herald does not connect to (see outbound.ts); no connection was made. */
export type ErrorKind = "timeout" | "connection_refused" | "dns" | "tls" | "reset" | "blocked" | "other";

// Certificate-verification codes Bun reports on fetch errors (BoringSSL/Node names),
// plus EPROTO, which Bun uses when the TLS handshake itself fails.
const TLS_CODES = new Set(["EPROTO", "DEPTH_ZERO_SELF_SIGNED_CERT", "SELF_SIGNED_CERT_IN_CHAIN", "INVALID_CA", "INVALID_PURPOSE", "PATH_LENGTH_EXCEEDED", "HOSTNAME_MISMATCH"]);
const TLS_CODE_PREFIXES = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|CRL_|ERROR_IN_C)/;
const DNS_CODES = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "EAI_FAIL", "ENODATA"]);
const RESET_CODES = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED"]);

/** Classify what `fetch` threw (or rejected with) during one webhook POST. */
export function classifyFetchError(error: unknown): { kind: ErrorKind; message: string } {
  if (!(error instanceof Error)) return { kind: "other", message: String(error) };

  const e = error as Error & { code?: unknown; path?: unknown; hostname?: unknown; syscall?: unknown };
  // DOMExceptions carry a numeric legacy `code`; only string codes are errno-style.
  const code = typeof e.code === "string" ? e.code : "";
  const detail = cleanMessage(e.message);
  const where = hostOf(e.path);

  // AbortSignal.timeout rejects with a DOMException named TimeoutError, both while
  // waiting for headers and while reading a stalled body.
  if (e.name === "TimeoutError") return { kind: "timeout", message: "timed out after the attempt timeout" };

  if (code === "ECONNREFUSED") return { kind: "connection_refused", message: `connection refused by ${where}` };

  if (DNS_CODES.has(code) || e.syscall === "getaddrinfo") {
    const host = typeof e.hostname === "string" ? e.hostname : where;
    return { kind: "dns", message: `could not resolve host ${host} (${code || detail})` };
  }

  if (TLS_CODES.has(code) || TLS_CODE_PREFIXES.test(code)) {
    // Bun's message often already starts with the code; avoid saying it twice.
    const text = detail.startsWith(code) ? detail : `${detail} (${code})`;
    return { kind: "tls", message: `TLS error with ${where}: ${text}` };
  }

  // Bun reports both "closed before answering" and "closed mid-response" as ECONNRESET.
  if (RESET_CODES.has(code)) return { kind: "reset", message: `connection closed by ${where} before a full response (${code})` };

  return { kind: "other", message: detail || e.name };
}

// Bun appends advice meant for an interactive user; it is noise in a delivery log.
function cleanMessage(message: string): string {
  return message.replace(/\s*For more information, pass `verbose: true`.*$/s, "").trim();
}

// Bun sets `path` to the requested URL on network errors; show just host:port.
function hostOf(path: unknown): string {
  if (typeof path !== "string") return "the endpoint";
  try {
    return new URL(path).host;
  } catch {
    return "the endpoint";
  }
}
