// The config file's watch: in-place writes, saves by rename (again and again), a delete and a new file, and
// writes to the other files of its folder (a database beside it), which must not reach it.
import { afterEach, describe, expect, it } from "bun:test";
import { appendFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { watchFile } from "../src/config/watch.ts";
import { tempDir } from "./support/herald.ts";
import { waitUntil } from "./support/process.ts";

const SETTLE_MS = 20;
let stops: (() => void)[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function watched() {
  const dir = tempDir();
  dirs.push(dir);
  const file = join(dir, "webhooks.config.yaml");
  writeFileSync(file, "version: 0\n");
  const calls = { count: 0 };
  stops.push(watchFile(file, () => calls.count++, SETTLE_MS));
  const calledTimes = (n: number) => waitUntil(`${n} change(s) to be seen`, async () => (calls.count >= n ? true : undefined), 5_000);
  return { dir, file, calls, calledTimes };
}

const saveByRename = (dir: string, file: string, text: string) => {
  const temp = join(dir, ".webhooks.config.yaml.tmp");
  writeFileSync(temp, text);
  renameSync(temp, file);
};

describe("the config watch", () => {
  it("sees a write in place", async () => {
    const { file, calledTimes, calls } = watched();
    appendFileSync(file, "more: 1\n");
    await calledTimes(1);
    expect(calls.count).toBe(1);
  });

  it("keeps seeing saves by rename, one after another", async () => {
    const { dir, file, calledTimes } = watched();
    for (let version = 1; version <= 3; version++) {
      saveByRename(dir, file, `version: ${version}\n`);
      await calledTimes(version);
    }
    appendFileSync(file, "then: in place\n"); // the watch follows the newest file
    await calledTimes(4);
  });

  it("sees a file deleted and written again once it is back", async () => {
    const { file, calledTimes } = watched();
    unlinkSync(file);
    await Bun.sleep(150); // the path stays empty for a while: the watch looks for it again
    writeFileSync(file, "version: 2\n");
    await calledTimes(1);
    appendFileSync(file, "then: in place\n");
    await calledTimes(2);
  });

  it("reports no change for writes to the other files of its folder", async () => {
    const { dir, calls } = watched();
    for (let i = 0; i < 50; i++) appendFileSync(join(dir, "herald.db-wal"), "x".repeat(100));
    await Bun.sleep(SETTLE_MS * 10);
    expect(calls.count).toBe(0);
  });
});
