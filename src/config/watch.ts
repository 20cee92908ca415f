// Re-read the config when its file changes. Editors often save by writing a new file and renaming it over
// the old one, which ends a watch on the file itself: watch its folder and pick out its name.
import { watch } from "node:fs";
import { basename, dirname } from "node:path";

/** Changes arriving close together (one save is often several events) make one call. */
const SETTLE_MS = 150;

export function watchFile(file: string, onChange: () => void): () => void {
  const name = basename(file);
  let timer: Timer | undefined;
  const watcher = watch(dirname(file), (_event, changed) => {
    if (changed !== null && changed.toString() !== name) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, SETTLE_MS);
  });
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
