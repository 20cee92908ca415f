// Re-read the config when its file changes. Editors often save by writing a new file and renaming it over
// the old one, which ends a watch on the file itself: watch its folder and pick out its name. A file saved in
// several writes is applied only once it has stopped changing, never half-written.
import { watch } from "node:fs";
import { basename, dirname } from "node:path";

/** Changes arriving close together (one save is often several events) make one call. */
const QUIET_MS = 150;
/**
 * Then the file is read twice this far apart, and again until two reads agree: a save made of several writes
 * with short pauses between them (an editor, a `cat` of two parts, a config tool) is read once it is whole.
 */
const SETTLE_MS = 300;

/** The file's bytes as text, or null while it is missing (between the two steps of some saves). */
async function contentOf(file: string): Promise<string | null> {
  try {
    return await Bun.file(file).text();
  } catch {
    return null;
  }
}

export function watchFile(file: string, onChange: () => void, settleMs = SETTLE_MS): () => void {
  const name = basename(file);
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

  const watcher = watch(dirname(file), (_event, changed) => {
    if (changed !== null && changed.toString() !== name) return;
    const change = ++latestChange;
    clearTimeout(quiet);
    quiet = setTimeout(() => void untilSettled(change), QUIET_MS);
  });
  return () => {
    stopped = true;
    clearTimeout(quiet);
    clearTimeout(settling);
    watcher.close();
  };
}
