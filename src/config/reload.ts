// What a reload reads: the file as at start-up, and one more rule, since a reload replaces a config in force.
// A file caught half-saved is often valid YAML and a valid config on its own (the first half of the shipped
// file is), only with its later sections missing: applying it would drop every key and disable every
// subscription. A reload that would empty either is refused unless the file writes the empty list itself.
import { loadConfigFile, type LoadResult } from "./load.ts";
import type { Config, ConfigProblem } from "./types.ts";

export async function loadConfigForReload(running: Config, env?: Record<string, string | undefined>): Promise<LoadResult> {
  const loaded = await loadConfigFile(running.file, env);
  if (!loaded.ok) return loaded;
  const problems = emptiedSections(running, loaded);
  return problems.length > 0 ? { ok: false, problems } : loaded;
}

/** A section the running config fills that this file leaves out: refused, with how to mean it. */
export function emptiedSections(running: Config, loaded: Extract<LoadResult, { ok: true }>): ConfigProblem[] {
  const { config: next, sections, problemAt } = loaded;
  const problems: ConfigProblem[] = [];
  const emptied = (section: string, what: string, had: number, has: number, after = "") => {
    if (had === 0 || has > 0 || sections.has(section)) return;
    problems.push(
      problemAt(
        [section],
        `the file has no ${section} section, where the running config has ${had} ${what}: a file read while it is ` +
          `being saved looks like this, so the reload is refused. To remove every one, write \`${section}: []\`${after}`,
      ),
    );
  };
  emptied("subscriptions", running.subscriptions.length === 1 ? "subscription" : "subscriptions", running.subscriptions.length, next.subscriptions.length);
  emptied("api_keys", running.apiKeys.length === 1 ? "API key" : "API keys", running.apiKeys.length, next.apiKeys.length, " (keys made through the API stay)");
  return problems;
}
