// `herald backup <file>` and `herald restore <file>`: the SQLite store's copy, made while Herald serves, and put
// back with Herald stopped. PostgreSQL has its own tools for both (see the README).
import { IN_MEMORY } from "../store/sqlite/db.ts";
import { backupSqlite, restoreSqlite } from "../store/sqlite/backup.ts";
import { DatabaseInUse } from "../store/errors.ts";

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export async function backupCommand(database: string, target: string | undefined, err: (line: string) => void, out: (line: string) => void): Promise<number> {
  if (!target) return usage("herald backup <file>: name the new file to write the copy to", err);
  if (database === IN_MEMORY) return usage('the database is held in memory (storage.sqlite: ":memory:"): there is nothing on disk to back up', err);
  let last = -1;
  try {
    const summary = await backupSqlite(database, target, (written, total) => {
      // About: the copy leaves out free pages, and its last pages are written at the end.
      const percent = Math.min(99, Math.floor((written / Math.max(total, 1)) * 100));
      if (written < total && percent === last) return;
      last = percent;
      err(written >= total ? `backup: ${mib(written)} written` : `backup: ${percent}% (${mib(written)} of about ${mib(total)})`);
    });
    out(`backup of ${database} written to ${target}: ${summary.events} events, ${summary.subscriptions} subscriptions, integrity ok`);
    out("the key that encrypts stored secrets is not in it: keep that apart (see secrets.key_file)");
    return 0;
  } catch (error) {
    err(`herald: ${(error as Error).message}`);
    return 1;
  }
}

export function restoreCommand(database: string, copy: string | undefined, err: (line: string) => void, out: (line: string) => void, now = Date.now()): number {
  if (!copy) return usage("herald restore <file>: name the backup to restore", err);
  if (database === IN_MEMORY) return usage('the database is held in memory (storage.sqlite: ":memory:"): there is no file to restore into', err);
  try {
    const restored = restoreSqlite(copy, database, now);
    out(`${copy} checked (integrity ok, ${restored.events} events, ${restored.subscriptions} subscriptions) and restored to ${database}`);
    if (restored.replacedTo) out(`the database it replaced is kept as ${restored.replacedTo}`);
    return 0;
  } catch (error) {
    const stopFirst = error instanceof DatabaseInUse ? " (stop Herald before a restore)" : "";
    err(`herald: ${(error as Error).message}${stopFirst}; nothing was changed`);
    return 1;
  }
}

function usage(message: string, err: (line: string) => void): number {
  err(message);
  return 2;
}
