// The subscription and API key stores' contract: rows kept (deleted, removed) so ids are never reused, and the
// file's subscriptions synced in.
import { expect, it } from "bun:test";
import { HEALTHY, type SubscriptionSpec } from "../../src/store/index.ts";
import { forEachBackend } from "./backends.ts";

const spec = (id: string, url = `http://127.0.0.1:9/${id}`): SubscriptionSpec => ({ id, url, events: ["*"] });
const row = (id: string, now: number) => ({ id, source: "api" as const, spec: spec(id), createdAt: now, updatedAt: now, removedAt: null, deletedAt: null, health: HEALTHY });

forEachBackend("subscriptions", (store) => {
  it("inserts, updates and marks deleted a subscription made through the API; its row stays", async () => {
    await store().subscriptions.insert(row("s1", 1_000));
    await store().subscriptions.update("s1", spec("s1", "http://127.0.0.1:9/new"), 2_000);
    await store().subscriptions.remove("s1", 3_000);
    expect(await store().subscriptions.list()).toEqual([{ ...row("s1", 1_000), spec: spec("s1", "http://127.0.0.1:9/new"), updatedAt: 3_000, deletedAt: 3_000 }]);
    await expect(store().subscriptions.insert(row("s1", 4_000))).rejects.toThrow(); // an id is never handed out twice
  });

  it("syncs the file's subscriptions: new ones added, changed ones updated, gone ones marked removed, back ones restored", async () => {
    await store().subscriptions.syncConfig([spec("a"), spec("b")], 1_000);
    await store().subscriptions.syncConfig([spec("a", "http://127.0.0.1:9/changed")], 2_000);
    const byId = async () => Object.fromEntries((await store().subscriptions.list()).map((r) => [r.id, r]));
    let rows = await byId();
    expect(rows.a).toMatchObject({ source: "config", spec: spec("a", "http://127.0.0.1:9/changed"), createdAt: 1_000, updatedAt: 2_000, removedAt: null });
    expect(rows.b).toMatchObject({ removedAt: 2_000 });
    await store().subscriptions.syncConfig([spec("a", "http://127.0.0.1:9/changed"), spec("b")], 3_000);
    rows = await byId();
    expect([rows.a!.updatedAt, rows.b!.removedAt]).toEqual([2_000, null]); // unchanged ones are not touched
  });

  it("keeps Herald's record of a subscription's health; an update of its spec leaves it, a changed file entry clears it", async () => {
    await store().subscriptions.insert({ ...row("s1", 1_000), health: { failingSince: 5, disabled: { reason: "gone", at: 6 } } });
    expect((await store().subscriptions.list())[0]!.health).toEqual(HEALTHY); // a new one starts healthy
    const failing = { failingSince: 1_500, disabled: null };
    await store().subscriptions.setHealth("s1", failing);
    expect((await store().subscriptions.list())[0]!.health).toEqual(failing);
    const disabled = { failingSince: 1_500, disabled: { reason: "failing" as const, at: 9_000 } };
    await store().subscriptions.setHealth("s1", disabled);
    await store().subscriptions.update("s1", spec("s1", "http://127.0.0.1:9/new"), 9_500);
    expect((await store().subscriptions.list())[0]!.health).toEqual(disabled);

    await store().subscriptions.syncConfig([spec("a"), spec("b")], 1_000);
    await store().subscriptions.setHealth("a", disabled);
    await store().subscriptions.setHealth("b", disabled);
    await store().subscriptions.syncConfig([spec("a"), spec("b", "http://127.0.0.1:9/edited")], 2_000);
    const health = Object.fromEntries((await store().subscriptions.list()).map((r) => [r.id, r.health]));
    expect(health).toEqual({ s1: disabled, a: disabled, b: HEALTHY });
  });
});

forEachBackend("subscriptions: rewriting specs", (store) => {
  it("replaces the specs given in one write and leaves their times and the other rows alone", async () => {
    await store().subscriptions.insert(row("s1", 1_000));
    await store().subscriptions.insert(row("s2", 1_000));
    await store().subscriptions.remove("s2", 2_000);
    await store().subscriptions.insert(row("s3", 1_000));
    await store().subscriptions.rewriteSpecs([
      { id: "s1", spec: spec("s1", "http://127.0.0.1:9/sealed-1") },
      { id: "s2", spec: spec("s2", "http://127.0.0.1:9/sealed-2") },
    ]);
    const rows = Object.fromEntries((await store().subscriptions.list()).map((r) => [r.id, r]));
    expect(rows.s1).toEqual({ ...row("s1", 1_000), spec: spec("s1", "http://127.0.0.1:9/sealed-1") });
    expect(rows.s2).toEqual({ ...row("s2", 1_000), spec: spec("s2", "http://127.0.0.1:9/sealed-2"), updatedAt: 2_000, deletedAt: 2_000 });
    expect(rows.s3).toEqual(row("s3", 1_000));
  });
});

forEachBackend("API keys", (store) => {
  const key = (id: string, tokenSha256: string) => ({ id, name: id, role: "user" as const, tokenSha256, subscriptions: ["a"], expiresAt: 9_000, createdAt: 1_000 });

  it("stores a key by its token's hash, lists it, and removes it once", async () => {
    await store().apiKeys.insert(key("key_1", "aa".repeat(32)));
    expect(await store().apiKeys.list()).toEqual([key("key_1", "aa".repeat(32))]);
    await expect(store().apiKeys.insert(key("key_2", "aa".repeat(32)))).rejects.toThrow(); // one key per token
    expect(await store().apiKeys.remove("key_1")).toBe(true);
    expect(await store().apiKeys.remove("key_1")).toBe(false);
    expect(await store().apiKeys.list()).toEqual([]);
  });
});
