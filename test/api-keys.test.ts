// API keys: from the config (a token from the environment, or only its hash) or made by an admin through the
// API (token shown once, stored hashed), with roles and expiry; and the admin key a keyless first start makes.
import { afterAll, afterEach, describe, expect, it } from "bun:test";
import { Database } from "bun:sqlite";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { sha256Hex } from "../src/tokens.ts";
import { ManualClock } from "./support/clock.ts";
import { ADMIN_TOKEN, configYaml, PUBLISH_TOKEN, startTestHerald, tempDir, USER_TOKEN, type TestHerald } from "./support/herald.ts";
import { killAllHeralds, spawnHerald } from "./support/process.ts";

let heralds: TestHerald[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const h of heralds.splice(0)) await h.close();
  await killAllHeralds();
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const json = async (response: Response) => (await response.json()) as any;
const SUBSCRIPTIONS = `  - { id: a, url: "http://127.0.0.1:9/a", events: ["*"] }\n  - { id: b, url: "http://127.0.0.1:9/b", events: ["*"] }`;

async function start(options: { clock?: ManualClock; extraKeys?: string; dir?: string } = {}) {
  const yaml = configYaml({ subscriptions: SUBSCRIPTIONS }) + (options.extraKeys ?? "");
  const h = await startTestHerald(yaml, { clock: options.clock, startWorker: false, dir: options.dir });
  heralds.push(h);
  return h;
}

const listTypes = (h: TestHerald, token: string) => h.api("/api/v1/event_types", { token });
const newKey = (h: TestHerald, body: unknown) => h.api("/api/v1/api_keys", { method: "POST", json: body });

describe("keys in the config file", () => {
  it("a key may be given as the SHA-256 of its token, so the file holds nothing that opens the API", async () => {
    const token = "hashed-admin-token-0001";
    const h = await start({ extraKeys: `  - { name: hashed, role: admin, token_sha256: ${sha256Hex(token)} }\n` });
    expect((await listTypes(h, token)).status).toBe(200);
    expect((await listTypes(h, sha256Hex(token))).status).toBe(401); // the hash itself opens nothing
  });

  it("an expired key answers 401 key_expired, saying so; an unknown one 401 unauthorized", async () => {
    const clock = new ManualClock(Date.parse("2026-06-01T00:00:00Z"));
    const h = await start({ clock, extraKeys: `  - { name: temp, role: admin, token: temporary-token-0001, expires_at: "2026-06-02T00:00:00Z" }\n` });
    expect((await listTypes(h, "temporary-token-0001")).status).toBe(200);
    clock.advance(24 * 3_600_000);
    const expired = await listTypes(h, "temporary-token-0001");
    expect(expired.status).toBe(401);
    expect((await json(expired)).error).toEqual({ code: "key_expired", message: "this API key has expired; ask an admin for a new one" });
    expect((await json(await listTypes(h, "never-issued-token-01"))).error.code).toBe("unauthorized");
  });

  it("are listed with source config, never with a token or hash, and cannot be deleted through the API", async () => {
    const h = await start();
    const listed = await h.api("/api/v1/api_keys");
    const text = await listed.text();
    for (const secret of [ADMIN_TOKEN, PUBLISH_TOKEN, USER_TOKEN, sha256Hex(ADMIN_TOKEN)]) expect(text).not.toContain(secret);
    expect(JSON.parse(text).map((k: any) => [k.id, k.role, k.source])).toEqual([
      ["platform", "publisher", "config"],
      ["ops", "admin", "config"],
      ["partner", "user", "config"],
    ]);
    const refused = await h.api("/api/v1/api_keys/ops", { method: "DELETE" });
    expect(refused.status).toBe(409);
    expect((await json(refused)).error.code).toBe("config_owned");
  });
});

describe("keys made through the API", () => {
  it("show their token once; it works, only its hash is stored, and deleting the key ends it", async () => {
    const h = await start();
    const made = await newKey(h, { name: "ci", role: "publisher" });
    expect(made.status).toBe(201);
    const key = await json(made);
    expect(key.token).toMatch(/^hrld_[A-Za-z0-9_-]{43}$/);
    expect(key).toMatchObject({ name: "ci", role: "publisher", source: "api", subscriptions: [], expires_at: null });
    expect((await h.publish({ event_type: "sample.uploaded", object: {} }, key.token)).status).toBe(202);
    expect(await (await h.api(`/api/v1/api_keys/${key.id}`)).text()).not.toContain(key.token);

    const db = new Database(join(h.dir, "herald.db"), { readonly: true });
    expect(db.query("SELECT token_sha256 FROM api_keys WHERE id = ?").get(key.id)).toEqual({ token_sha256: sha256Hex(key.token) });
    db.close();
    const files = ["herald.db", "herald.db-wal"].map((f) => readFileSync(join(h.dir, f), "latin1")).join("");
    expect(files).not.toContain(key.token);

    expect((await h.api(`/api/v1/api_keys/${key.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await h.publish({ event_type: "sample.uploaded", object: {} }, key.token)).status).toBe(401);
    expect((await h.api(`/api/v1/api_keys/${key.id}`)).status).toBe(404);
  });

  it("a user key sees only the subscriptions it was given", async () => {
    const h = await start();
    await h.publish({ event_type: "sample.uploaded", object: {} });
    const key = await json(await newKey(h, { name: "partner-b", role: "user", subscriptions: ["b"] }));
    const events = await json(await h.api("/api/v1/events", { token: key.token }));
    expect(events.flatMap((e: any) => e.deliveries.map((d: any) => d.subscription))).toEqual(["b"]);
    expect((await json(await h.api("/api/v1/subscriptions", { token: key.token }))).map((s: any) => s.id)).toEqual(["b"]);
  });

  it("are checked: user keys need known subscriptions, others take none, and expiry must be ahead", async () => {
    const h = await start();
    const refusals = [
      await newKey(h, { name: "u", role: "user" }),
      await newKey(h, { name: "u", role: "user", subscriptions: ["nope"] }),
      await newKey(h, { name: "p", role: "publisher", subscriptions: ["a"] }),
      await newKey(h, { name: "old", role: "admin", expires_at: "2000-01-01T00:00:00Z" }),
    ];
    for (const response of refusals) {
      expect(response.status).toBe(422);
      expect((await json(response)).error.code).toBe("invalid_api_key");
    }
    expect((await newKey(h, { name: "x", role: "owner" })).status).toBe(400);
    for (const name of ["ops", "partner"]) {
      const taken = await newKey(h, { name, role: "admin" }); // a config key's name
      expect(taken.status).toBe(409);
      expect((await json(taken)).error.code).toBe("name_taken");
    }
    expect((await newKey(h, { name: "twice", role: "admin" })).status).toBe(201);
    expect((await newKey(h, { name: "twice", role: "admin" })).status).toBe(409);
  });

  it("expire at their expires_at", async () => {
    const clock = new ManualClock(Date.parse("2026-06-01T00:00:00Z"));
    const h = await start({ clock });
    const key = await json(await newKey(h, { name: "temp", role: "admin", expires_at: "2026-06-01T01:00:00Z" }));
    expect((await listTypes(h, key.token)).status).toBe(200);
    clock.advance(3_600_000);
    expect((await json(await listTypes(h, key.token))).error.code).toBe("key_expired");
  });

  it("only an admin manages keys", async () => {
    const h = await start();
    for (const token of [PUBLISH_TOKEN, USER_TOKEN]) {
      expect((await h.api("/api/v1/api_keys", { token })).status).toBe(403);
      expect((await h.api("/api/v1/api_keys", { method: "POST", token, json: { name: "x", role: "admin" } })).status).toBe(403);
      expect((await h.api("/api/v1/api_keys/ops", { method: "DELETE", token })).status).toBe(403);
    }
  });
});

describe("with no key configured at all", () => {
  const keyless = (yaml: string) => yaml.slice(0, yaml.indexOf("api_keys:"));

  it("the first start makes an admin key, shows its token once and keeps only its hash; the last admin key cannot be deleted", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const shown: string[] = [];
    const yaml = keyless(configYaml({ subscriptions: SUBSCRIPTIONS }));
    const first = await startTestHerald(yaml, { dir, startWorker: false, showGeneratedToken: (t) => shown.push(t) });
    heralds.push(first);
    expect(shown).toHaveLength(1);
    const token = shown[0]!;
    const keys = await json(await first.api("/api/v1/api_keys", { token }));
    expect(keys).toMatchObject([{ role: "admin", source: "api" }]);
    const last = await first.api(`/api/v1/api_keys/${keys[0].id}`, { method: "DELETE", token });
    expect(last.status).toBe(409);
    expect((await json(last)).error.code).toBe("last_admin_key");
    await first.close();
    heralds = [];

    const second = await startTestHerald(yaml, { dir, startWorker: false, showGeneratedToken: (t) => shown.push(t) });
    heralds.push(second);
    expect(shown).toHaveLength(1); // not again: a key exists now
    expect((await second.api("/api/v1/event_types", { token })).status).toBe(200);
  });

  it("the real process prints the token on stderr once, and never in its JSON log", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const yaml = keyless(configYaml({ subscriptions: SUBSCRIPTIONS }));
    const first = await spawnHerald({ dir, yaml });
    const [, token] = /\n {2}(hrld_\S+)\n/.exec(first.output()) ?? [];
    expect(token).toBeDefined();
    expect((await first.api("/api/v1/event_types", { token })).status).toBe(200);
    const [stdout] = first.output().split("--- stderr");
    expect(stdout).not.toContain(token!);
    await first.kill("SIGTERM");
    const second = await spawnHerald({ dir, yaml });
    expect(second.output()).not.toContain("hrld_");
    expect((await second.api("/api/v1/event_types", { token })).status).toBe(200);
  });
});
