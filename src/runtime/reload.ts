// Config reload: re-read the file, apply a valid one at once (event types, subscriptions, keys, retry policy,
// limits), name what only a restart can change, and leave the running config in force otherwise.
import { loadConfigForReload } from "../config/reload.ts";
import { formatPath, type PathSegment } from "../config/schema.ts";
import type { Config, ConfigProblem, LiveConfig } from "../config/types.ts";
import type { Logger } from "../log.ts";
import type { SubscriptionDirectory } from "../services/subscriptions/directory.ts";
import type { AuditLog } from "../services/audit.ts";

export type ReloadResult = { ok: true; restartNeeded: string[] } | { ok: false; problems: ConfigProblem[] };

export interface ReloadDeps {
  live: LiveConfig;
  directory: SubscriptionDirectory;
  log: Logger;
  /** Each reload, applied or refused, is an entry of the audit log. */
  audit: AuditLog;
  /** The environment `${NAME}` reads from (the process's by default). */
  env?: Record<string, string | undefined>;
  /** Told after a new config is in force (the worker has new limits and subscriptions to look at). */
  onApplied: () => void;
}

/** Reloads one at a time: a save during a reload is read again once it is done. */
export function configReloader(deps: ReloadDeps): (trigger?: string) => Promise<ReloadResult> {
  const { live, directory, log, audit } = deps;
  async function reload(trigger: string): Promise<ReloadResult> {
    const result = await apply();
    // Problems name paths and lines, never values: nothing secret goes into the entry.
    if (result.ok) await audit.record(trigger, "config.reloaded", live.config.file, { restart_needed: result.restartNeeded });
    else await audit.record(trigger, "config.reload_refused", live.config.file, { problems: result.problems.map(describeProblem) });
    return result;
  }
  async function apply(): Promise<ReloadResult> {
    const loaded = await loadConfigForReload(live.config, deps.env);
    const problems = loaded.ok ? await directory.conflicts(loaded.config, loaded.plugins, loaded.problemAt) : loaded.problems;
    if (!loaded.ok || problems.length > 0) {
      log.error("config reload rejected; the running config stays in force", { problems: problems.map(describeProblem) });
      return { ok: false, problems };
    }
    const restartNeeded = fixedSettings(live.config, loaded.config);
    const running = { ...live };
    live.config = { ...loaded.config, server: live.config.server, storage: live.config.storage, watch: live.config.watch };
    live.plugins = loaded.plugins;
    try {
      await directory.applyConfig();
    } catch (error) {
      Object.assign(live, running); // the store refused the new subscriptions (its transaction rolled back)
      throw error;
    }
    deps.onApplied();
    if (restartNeeded.length > 0) log.warn("config reloaded; some changes need a restart", { restart_needed: restartNeeded });
    else log.info("config reloaded", { subscriptions: live.config.subscriptions.length, event_types: live.config.eventTypes.length });
    return { ok: true, restartNeeded };
  }
  // A reload that fails (the disk, say) is logged and leaves the running config in force; it never takes the
  // server down.
  let reloading: Promise<ReloadResult> | null = null;
  return async (trigger = "reload") => {
    while (reloading) await reloading;
    reloading = reload(trigger)
      .catch((error): ReloadResult => {
        log.error("config reload failed; the running config stays in force", { error: String(error) });
        return { ok: false, problems: [{ path: "", line: null, message: String(error) }] };
      })
      .finally(() => (reloading = null));
    return reloading;
  };
}

export const problemWithoutLine = (segments: PathSegment[], message: string): ConfigProblem => ({ path: formatPath(segments), line: null, message });
const describeProblem = (p: ConfigProblem) => `${p.line === null ? "" : `line ${p.line}: `}${p.path ? `${p.path}: ` : ""}${p.message}`;

/** Settings a running process cannot change: the socket it listens on, the database it holds, the watch. */
function fixedSettings(running: Config, next: Config): string[] {
  const changed: string[] = [];
  if (next.server.host !== running.server.host) changed.push("server.host");
  if (next.server.port !== running.server.port) changed.push("server.port");
  if (next.server.maxBodyBytes !== running.server.maxBodyBytes) changed.push("server.max_body_size");
  if (next.server.maxBodyMemoryBytes !== running.server.maxBodyMemoryBytes) changed.push("server.max_body_memory");
  if (JSON.stringify(next.server.tls) !== JSON.stringify(running.server.tls)) changed.push("server.tls");
  if (next.storage.sqlitePath !== running.storage.sqlitePath) changed.push("storage.sqlite");
  if (next.secrets.keyFile !== running.secrets.keyFile) changed.push("secrets.key_file");
  if (next.watch !== running.watch) changed.push("reload.watch");
  return changed;
}
