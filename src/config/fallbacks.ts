// The `${NAME:-...change-me}` fallbacks of a config file that are in force (NAME unset): the shipped file's dev
// tokens and secrets, published in the repository, so anyone can open the API or forge a signature with them.
import { parse } from "yaml";
import { formatPath, type PathSegment } from "./schema.ts";

export interface FallbackInForce {
  /** YAML path of the value, e.g. `api_keys[1].token`. */
  path: string;
  variable: string;
  /** The published value in force. */
  value: string;
}

const REFERENCE_WITH_FALLBACK = /\$\{([A-Za-z_][A-Za-z0-9_]*):-([^}]*)\}/g;

/** `...change-me`, also inside a `whsec_` secret, whose key is base64 (the shipped one decodes to `dev-...-change-me`). */
function saysChangeMe(fallback: string): boolean {
  const decoded = fallback.startsWith("whsec_") ? Buffer.from(fallback.slice("whsec_".length), "base64").toString("latin1") : "";
  return fallback.includes("change-me") || decoded.includes("change-me");
}

export function changeMeFallbacksInForce(text: string, env: Record<string, string | undefined>): FallbackInForce[] {
  const found: FallbackInForce[] = [];
  const walk = (value: unknown, path: PathSegment[]) => {
    if (typeof value === "string") {
      for (const [, variable, fallback] of value.matchAll(REFERENCE_WITH_FALLBACK)) {
        if (!env[variable!] && saysChangeMe(fallback!)) found.push({ path: formatPath(path), variable: variable!, value: fallback! });
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, [...path, i]));
    } else if (typeof value === "object" && value !== null) {
      for (const [key, item] of Object.entries(value)) walk(item, [...path, key]);
    }
  };
  try {
    walk(parse(text), []);
  } catch {
    // the file was valid when loaded a moment ago; changed since, it is simply not reported on
  }
  return found;
}
