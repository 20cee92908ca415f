// The event log's search (domain/search.ts) on each store: by an event's id, a delivery's id, and the words of
// the object, through its index; the random filters of event-log.contract.test.ts check it against the rule.
import { expect, it } from "bun:test";
import { forEachBackend, newEvent } from "./backends.ts";

const T0 = Date.parse("2026-03-01T00:00:00Z");

forEachBackend("event log search", (store) => {
  const publish = async (id: string, object: unknown, at: number, subscriptions = ["a", "b"]) => (await store().events.publish([newEvent(id, subscriptions, { object })], at))[0]!.event;
  const found = async (q: string) => (await store().events.list({ search: q }, 0, 50)).items.map((e) => e.id);

  it("finds an event by its id, and by the id of any of its deliveries", async () => {
    const first = await publish("evt_one", { id: "smp_1" }, T0);
    await publish("evt_two", { id: "smp_2" }, T0 + 1);
    expect(await found("evt_one")).toEqual(["evt_one"]);
    expect(await found(` ${first.deliveries[1]!.id} `)).toEqual(["evt_one"]);
    expect(await found("evt_none")).toEqual([]);
  });

  it("finds the object's $uri and words in order, case folded, not its keys, booleans or a word split apart", async () => {
    await publish("e1", { $uri: "/api/v1/samples/smp_1", filename: "reads.FASTQ.gz", paired: true }, T0);
    await publish("e2", { $uri: "/api/v1/samples/smp_10", filename: "other.bam", tags: ["Reads", 42] }, T0 + 1);
    expect(await found("/api/v1/samples/smp_1")).toEqual(["e1"]);
    expect(await found("reads.fastq")).toEqual(["e1"]);
    expect(await found("reads")).toEqual(["e2", "e1"]);
    expect(await found("42")).toEqual(["e2"]);
    expect(await found("fastq reads")).toEqual([]);
    expect(await found("filename")).toEqual([]);
    expect(await found("true")).toEqual([]);
    expect(await found("///")).toEqual([]);
  });

  it("counts what it finds, combines with the other fields, and forgets purged events", async () => {
    for (let i = 0; i < 5; i++) await publish(`e${i}`, { note: i % 2 === 0 ? "even tube" : "odd tube" }, T0 + i * 1_000, i < 3 ? ["a"] : ["b"]);
    expect(await store().events.count({ search: "tube" })).toBe(5);
    expect(await store().events.count({ search: "even tube" })).toBe(3);
    expect((await store().events.list({ search: "tube", subscription: "b" }, 0, 50)).items.map((e) => e.id)).toEqual(["e4", "e3"]);
    expect(await store().events.count({ search: "tube", visibleSubscriptions: ["a"], since: T0 + 1_000 })).toBe(2);
    await store().events.purgeBefore(T0 + 2_000, 100);
    expect(await found("tube")).toEqual(["e4", "e3", "e2"]);
  });

  it("a bulk resend by search resends the events found", async () => {
    await publish("e1", { note: "resend me" }, T0);
    await publish("e2", { note: "leave me" }, T0 + 1);
    expect(await store().events.resend({ search: "resend me" }, undefined, T0 + 10)).toEqual(["e1"]);
  });
});
