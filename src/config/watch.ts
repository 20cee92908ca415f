// Re-read the config when its file changes. The file itself is watched, not its folder: the database often
// sits in the same folder, and a folder watch is woken by every write to it (a cost on each publish). Editors
// often save by writing a new file and renaming it over the old one, which ends a watch on the old file: the
// path is then watched again. A file saved in several writes is applied only once it has stopped changing,
// never half-written.
import { watch, type FSWatcher } from "node:fs";

/** Changes arriving close together (one save is often several events) make one call. */
const QUIET_MS = 150;
/**
 * Then the file is read twice this far apart, and again until two reads agree: a save made of several writes
 * with short pauses between them (an editor, a `cat` of two parts, a config tool) is read once it is whole.
 */
const SETTLE_MS = 300;
/** While the path has no file (deleted, between the steps of a save), how often to look for one again. */
const REWATCH_MS = 100;

/** The file's bytes as text, or null while it is missing (between the two steps of some saves). */
async function contentOf(file: string): Promise<string | null> {
  try {
    return await Bun.file(file).text();
  } catch {
    return null;
  }
}

export function watchFile(file: string, onChange: () => void, settleMs = SETTLE_MS): () => void {
  let quiet: Timer | undefined;
  let settling: Timer | undefined;
  // Each change starts a new wait; a wait that a later change overtook gives up.
  let latestChange = 0;
  let stopped = false;
  const pause = (ms: number) => new Promise<void>((resolve) => (settling = setTimeout(resolve, ms)));

  async function untilSettled(change: number) {
    let previous = await contentOf(file);
    for (;;) {
      await pause(settleMs);
      if (stopped || change !== latestChange) return;
      const current = await contentOf(file);
      if (current !== null && current === previous) return onChange();
      previous = current;
    }
  }

  function changed() {
    const change = ++latestChange;
    clearTimeout(quiet);
    quiet = setTimeout(() => void untilSettled(change), QUIET_MS);
  }

  let watcher: FSWatcher | null = null;
  let rewatch: Timer | undefined;
  /** Watches the path's file; `replaced` when it follows a rename or delete, whose new file is a change too. */
  function watchPath(replaced: boolean) {
    if (stopped) return;
    try {
      const current: FSWatcher = watch(file, (event) => {
        if (current !== watcher) return; // an event of a watch already replaced
        if (event === "rename") {
          // Replaced or deleted: this watch follows the old file, which will not change again.
          current.close();
          watcher = null;
          watchPath(true);
        } else changed();
      });
      watcher = current;
    } catch {
      rewatch = setTimeout(() => watchPath(true), REWATCH_MS); // no file there right now
      return;
    }
    if (replaced) changed();
  }
  watchPath(false);

  return () => {
    stopped = true;
    clearTimeout(quiet);
    clearTimeout(settling);
    clearTimeout(rewatch);
    watcher?.close();
  };
}
