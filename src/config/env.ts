// `${NAME}` takes a value from the environment, `${NAME:-fallback}` falls back when NAME is unset or empty,
// and `$${` writes a literal `${`. Secrets never need to live in the file.
type PathSegment = string | number;
const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function interpolateEnv(value: unknown, env: Record<string, string | undefined>, report: (path: PathSegment[], message: string) => void, path: PathSegment[] = []): unknown {
  if (typeof value === "string") {
    return value.replace(REFERENCE, (match, name: string | undefined, fallback: string | undefined) => {
      if (name === undefined) return "${";
      const found = env[name];
      if (found !== undefined && found !== "") return found;
      if (fallback !== undefined) return fallback;
      report(path, `environment variable ${name} is not set`);
      return match;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => interpolateEnv(item, env, report, [...path, i]));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateEnv(item, env, report, [...path, key])]));
  }
  return value;
}
