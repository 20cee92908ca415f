// Group commit: calls that arrive in the same turn of the event loop share one write, so concurrent
// publishers pay for one transaction (and one fsync at checkpoint) instead of one each.
export function batched<Input, Output>(write: (items: Input[]) => Output[]): (item: Input) => Promise<Output> {
  let pending: { item: Input; resolve: (o: Output) => void; reject: (e: unknown) => void }[] = [];
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
  const flush = () => {
    const batch = pending;
    pending = [];
    run(batch);
  };
  return (item) =>
    new Promise((resolve, reject) => {
      if (pending.length === 0) setImmediate(flush);
      pending.push({ item, resolve, reject });
    });
}
