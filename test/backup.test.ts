// herald backup and herald restore: a copy made under a steady publish load holds every event answered before it
// began, and restored onto a new machine (a fresh folder) it is served through the API.
import { afterAll, describe, expect, it } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { configYaml, PUBLISH_TOKEN, tempDir } from "./support/herald.ts";
import { FROM_SOURCE, killAllHeralds, REPO_ROOT, runCommand, spawnHerald } from "./support/process.ts";

const dirs: string[] = [];
afterAll(async () => {
  await killAllHeralds();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const newDir = () => {
  const dir = tempDir("herald-backup-");
  dirs.push(dir);
  return dir;
};

// No subscription takes the published type: the load is publishes alone, and the copy is about what was stored.
const YAML = configYaml({ subscriptions: '  - { id: a, url: "http://127.0.0.1:9/a", events: [analysis.failed] }', extra: "reload: { watch: false }" });
const herald = (command: string, dir: string, ...args: string[]) => runCommand([...FROM_SOURCE, command, ...args, "--config", join(dir, "webhooks.config.yaml")], { cwd: REPO_ROOT });

describe("backup and restore", () => {
  it("backs up a serving database under load: the copy passes integrity_check and holds every event answered before; a restore elsewhere serves them", async () => {
    const dir = newDir();
    const server = await spawnHerald({ dir, yaml: YAML });
    const answered: string[] = [];
    let publishing = true;
    const publisher = async (n: number) => {
      for (let i = 0; publishing && i < 100_000; i++) {
        const id = `evt_p${n}_${i}`;
        const response = await fetch(`${server.url}/api/v1/events`, {
          method: "POST",
          headers: { authorization: `Bearer ${PUBLISH_TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify({ id, event_type: "sample.uploaded", object: { id, reads: "x".repeat(500) } }),
        });
        if (response.status === 202) answered.push(id);
        else throw new Error(`publish answered ${response.status}`);
      }
    };
    const load = [1, 2, 3, 4].map(publisher);
    while (answered.length < 2_000) await Bun.sleep(20);

    const before = [...answered];
    const copy = join(dir, "copy.db");
    const backup = await herald("backup", dir, copy);
    const duringBackup = answered.length - before.length;
    publishing = false;
    await Promise.all(load);
    expect(backup.exitCode).toBe(0);
    expect(duringBackup).toBeGreaterThan(0); // the load went on while the copy was made
    expect(backup.stderr).toContain("backup: 0% (0.0 MiB of about ");
    expect(backup.stderr).toMatch(/backup: [\d.]+ MiB written/);
    expect(backup.stdout).toContain(`written to ${copy}: `);
    expect(backup.stdout).toContain("integrity ok");
    expect(existsSync(`${copy}.partial`)).toBe(false);

    const db = new Database(copy, { readonly: true });
    expect(db.query("PRAGMA integrity_check").all()).toEqual([{ integrity_check: "ok" }]);
    const stored = new Set(
      db
        .query<{ id: string }, []>("SELECT id FROM events")
        .all()
        .map((row) => row.id),
    );
    db.close();
    expect(before.filter((id) => !stored.has(id))).toEqual([]);
    // A second backup to the same file is refused: a copy is never overwritten.
    const again = await herald("backup", dir, copy);
    expect([again.exitCode, again.stderr.trim()]).toEqual([1, `herald: ${copy} already exists: choose a new file (a backup never overwrites one)`]);
    // Herald serves on: a restore into its database is refused while it runs, and changes nothing.
    const refused = await herald("restore", dir, copy);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain("is in use by another Herald process");
    expect(refused.stderr).toContain("(stop Herald before a restore); nothing was changed");
    const answeredInAll = answered.length;
    await server.kill("SIGTERM");

    // A new machine: a fresh folder with its own config, the copy restored into it, then served.
    const elsewhere = newDir();
    writeFileSync(join(elsewhere, "webhooks.config.yaml"), YAML);
    const restored = await herald("restore", elsewhere, copy);
    expect(restored.exitCode).toBe(0);
    expect(restored.stdout).toContain(`integrity ok, ${stored.size} events, 1 subscriptions) and restored to ${join(elsewhere, "herald.db")}`);
    const second = await spawnHerald({ dir: elsewhere, yaml: YAML });
    const listed = await second.api("/api/v1/events?per_page=1");
    expect(listed.status).toBe(200);
    expect(Number(listed.headers.get("x-total-count"))).toBe(stored.size);
    const one = before[before.length - 1]!;
    const event = (await (await second.api(`/api/v1/events/${one}`)).json()) as { id: string; payload: { object: { id: string } } };
    expect([event.id, event.payload.object.id]).toEqual([one, one]);
    expect(stored.size).toBeLessThanOrEqual(answeredInAll);
    await second.kill("SIGTERM");

    // Restoring over a database keeps the one it replaces.
    const over = await herald("restore", elsewhere, copy);
    expect(over.exitCode).toBe(0);
    expect(over.stdout).toMatch(/the database it replaced is kept as .*herald\.db\.before-restore-/);
  }, 60_000);

  it("checks a copy before touching anything: a damaged file or one that is not Herald's is refused", async () => {
    const dir = newDir();
    writeFileSync(join(dir, "webhooks.config.yaml"), YAML);
    const server = await spawnHerald({ dir, yaml: YAML });
    for (let i = 0; i < 50; i++) await server.publish({ id: `evt_${i}`, event_type: "sample.uploaded", object: { id: i, pad: "y".repeat(2000) } });
    const copy = join(dir, "copy.db");
    expect((await herald("backup", dir, copy)).exitCode).toBe(0);
    await server.kill("SIGTERM");
    const target = newDir();
    writeFileSync(join(target, "webhooks.config.yaml"), YAML);

    const damaged = join(dir, "damaged.db");
    const bytes = readFileSync(copy);
    bytes.fill(0xa5, 4096 * 3, 4096 * 5); // two pages in the middle overwritten
    writeFileSync(damaged, bytes);
    const refused = await herald("restore", target, damaged);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/herald: .*damaged\.db (fails SQLite's integrity check|is not a sound SQLite database): .*; nothing was changed/);
    expect(existsSync(join(target, "herald.db"))).toBe(false);

    const other = join(dir, "other.db");
    const foreign = new Database(other);
    foreign.run("CREATE TABLE t (x)");
    foreign.close();
    const notOurs = await herald("restore", target, other);
    expect([notOurs.exitCode, notOurs.stderr.trim()]).toEqual([1, `herald: ${other} is a SQLite database, but not one of Herald's; nothing was changed`]);
    const missing = await herald("restore", target, join(dir, "nope.db"));
    expect(missing.stderr.trim()).toBe(`herald: no file at ${join(dir, "nope.db")}; nothing was changed`);
    expect(existsSync(join(target, "herald.db"))).toBe(false);
  }, 40_000);
});
