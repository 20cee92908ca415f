// Folders shared by several test files (the compiled binary's), removed once every file has run. Loaded
// before the tests by bunfig.toml's [test] preload: there, afterAll runs after all files, not after one.
import { afterAll } from "bun:test";
import { rmSync } from "node:fs";

const folders = new Set<string>();

export function removeWhenTestsEnd(folder: string) {
  folders.add(folder);
}

afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});
