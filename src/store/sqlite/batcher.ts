// Group commit: calls that arrive in the same turn of the event loop share one write, so concurrent
// publishers pay for one transaction instead of one each. With `ready`, a write also waits for it (the disk
// finishing its previous sync), and everything arriving meanwhile joins that write: the busier the server,
// the larger each commit, the fewer commits and syncs per event.
export function batched<Input, Output>(write: (items: Input[]) => Output[], ready: () => Promise<void> = () => Promise.resolve()): (item: Input) => Promise<Output> {
  let pending: { item: Input; resolve: (o: Output) => void; reject: (e: unknown) => void }[] = [];
  let flushQueued = false;
  const run = (batch: typeof pending) => {
    try {
      const outputs = write(batch.map((p) => p.item));
      batch.forEach((p, i) => p.resolve(outputs[i]!));
    } catch (error) {
      // One bad item must not fail its neighbours: write them one by one, so only the bad one is rejected.
      if (batch.length === 1) batch[0]!.reject(error);
      else for (const p of batch) run([p]);
    }
  };
  const flush = async () => {
    await ready().catch(() => {}); // a failed sync fails its own callers; this write goes ahead
    const batch = pending;
    pending = [];
    flushQueued = false;
    run(batch);
  };
  return (item) =>
    new Promise((resolve, reject) => {
      if (!flushQueued) {
        flushQueued = true;
        setImmediate(() => void flush());
      }
      pending.push({ item, resolve, reject });
    });
}
