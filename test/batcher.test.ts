// Group commit: concurrent calls share one write, and one bad item does not fail its neighbours.
import { describe, expect, it } from "bun:test";
import { batched } from "../src/store/sqlite/batcher.ts";

describe("batched writes", () => {
  it("calls made in the same turn of the event loop share one write", async () => {
    const writes: number[][] = [];
    const double = batched((items: number[]) => (writes.push(items), items.map((n) => n * 2)));
    expect(await Promise.all([double(1), double(2), double(3)])).toEqual([2, 4, 6]);
    expect(writes).toEqual([[1, 2, 3]]);
  });

  it("when a write fails, retries the items one by one so only the bad one is rejected", async () => {
    const write = batched((items: number[]) => {
      if (items.includes(13)) throw new Error("constraint failed");
      return items;
    });
    const results = await Promise.allSettled([write(1), write(13), write(2)]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
  });

  it("waits for `ready` before writing, and calls arriving meanwhile join that write", async () => {
    const writes: number[][] = [];
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const write = batched(
      (items: number[]) => (writes.push(items), items),
      () => gate,
    );
    const first = write(1);
    await Bun.sleep(1);
    const second = write(2); // the first write is still waiting for the disk
    expect(writes).toEqual([]);
    open();
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(writes).toEqual([[1, 2]]);
  });
});
