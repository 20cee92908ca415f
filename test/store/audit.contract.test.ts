// The audit store's contract: entries appended, read newest first with each filter and an exact total, and
// purged by age.
import { expect, it } from "bun:test";
import type { AuditEntry } from "../../src/store/index.ts";
import { forEachBackend } from "./backends.ts";

const entry = (at: number, action: string, extra: Partial<AuditEntry> = {}): Omit<AuditEntry, "id"> => ({
  at,
  actor: "ops",
  actorId: "ops",
  action,
  target: "sub_1",
  changes: { fields: ["url"], after: { url: "http://127.0.0.1:9/x" } },
  ...extra,
});

forEachBackend("audit log", (store) => {
  it("lists entries newest first (ties by id), filtered and paged, with the exact total", async () => {
    await store().audit.record(entry(1_000, "subscription.created"));
    await store().audit.record(entry(2_000, "subscription.changed"));
    await store().audit.record(entry(2_000, "api_key.created", { actor: "root", actorId: "key_1", target: "key_2", changes: { name: "ci" } }));
    await store().audit.record(entry(3_000, "config.reloaded", { actor: "SIGHUP", actorId: null, target: null, changes: {} }));

    const all = await store().audit.list({}, 0, 10);
    expect(all.total).toBe(4);
    expect(all.items.map((e) => e.action)).toEqual(["config.reloaded", "api_key.created", "subscription.changed", "subscription.created"]);
    expect(all.items[1]).toEqual({ id: all.items[1]!.id, ...entry(2_000, "api_key.created", { actor: "root", actorId: "key_1", target: "key_2", changes: { name: "ci" } }) });
    expect(all.items[0]).toMatchObject({ actorId: null, target: null, changes: {} });

    const page = await store().audit.list({}, 1, 2);
    expect([page.total, page.items.map((e) => e.action)]).toEqual([4, ["api_key.created", "subscription.changed"]]);
    expect((await store().audit.list({ actor: "ops" }, 0, 10)).items.map((e) => e.action)).toEqual(["subscription.changed", "subscription.created"]);
    expect((await store().audit.list({ action: "api_key.created" }, 0, 10)).total).toBe(1);
    expect((await store().audit.list({ target: "sub_1" }, 0, 10)).total).toBe(2);
    expect((await store().audit.list({ since: 2_000, until: 3_000 }, 0, 10)).items.map((e) => e.action)).toEqual(["api_key.created", "subscription.changed"]);
  });

  it("purges the entries made before a cutoff, a batch at a time", async () => {
    for (let i = 0; i < 5; i++) await store().audit.record(entry(1_000 + i, "subscription.changed"));
    expect(await store().audit.purgeBefore(1_004, 3)).toBe(3);
    expect(await store().audit.purgeBefore(1_004, 3)).toBe(1);
    expect((await store().audit.list({}, 0, 10)).items.map((e) => e.at)).toEqual([1_004]);
  });
});
