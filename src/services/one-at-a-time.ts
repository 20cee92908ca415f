// Changes that read, check and then write run one at a time, so that two requests at the same moment cannot
// both pass a check only one of them may (a free id, a free name, the last admin key).
export function oneAtATime(): <T>(change: () => Promise<T>) => Promise<T> {
  let last: Promise<unknown> = Promise.resolve();
  return (change) => {
    const done = last.then(change, change);
    last = done.catch(() => {});
    return done;
  };
}
