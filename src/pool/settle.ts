/**
 * Waiting for a group of tasks that write into memory the caller frees when
 * the group fails.
 *
 * `Promise.all` (and so `pool.starmap`) rejects at the first failure while
 * the other tasks still run: a caller that then releases its scratch memory
 * would let those tasks write into blocks the heap has already handed to
 * someone else. `allSettled` waits for every task first.
 */

/** As Promise.all (tuples keep their types): the values in order once every promise has settled, or the first failure (in input order) once they all have. */
export async function allSettled<T extends readonly unknown[] | []>(promises: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const outcomes = (await Promise.allSettled(promises)) as PromiseSettledResult<unknown>[];
  const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failure) throw failure.reason;
  return outcomes.map((outcome) => (outcome as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}

/**
 * Hands the values of `tasks` (an undefined entry stands for work done without a task) to `take` in
 * order, each as soon as it and those before it have settled, until `take` returns false: output
 * copied out while later tasks still run. Returns how many were taken, once every task has settled;
 * throws, once every task has settled, what `take` or an awaited task threw, or else the first
 * rejection among the rest. So a caller that frees the tasks' memory when this returns never frees
 * memory that a task given up on (timeout, abort) may still write into: it gets the rejection instead.
 */
export async function takeInOrder<T>(tasks: readonly (Promise<T> | undefined)[], take: (value: T | undefined, index: number) => boolean): Promise<number> {
  for (const task of tasks) task?.catch(() => {}); // each is awaited below, or settled at the end
  let taken = 0;
  let failure: { reason: unknown } | undefined;
  try {
    for (; taken < tasks.length; taken++) if (!take(await tasks[taken], taken)) break;
  } catch (reason) {
    failure = { reason };
  }
  const outcomes = await Promise.allSettled(tasks);
  if (failure) throw failure.reason;
  const rejected = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (rejected) throw rejected.reason;
  return taken;
}

/**
 * `run` over `items` in order, several at once while the `cost`s of those running sum to at most
 * `budget` (always at least one): many small pieces of work overlap, large ones go one after another,
 * so that their memory is never all taken at once. Resolves to the results in order; after a failure
 * starts nothing more and throws the first failure once those running have settled (as allSettled).
 */
export async function mapWithinBudget<T, R>(items: readonly T[], budget: number, cost: (item: T) => number, run: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  const running = new Set<Promise<void>>();
  let spent = 0;
  let failure: { reason: unknown } | undefined;
  for (let i = 0; i < items.length && !failure; i++) {
    const price = cost(items[i]!);
    while (running.size > 0 && spent + price > budget && !failure) await Promise.race(running);
    if (failure) break;
    spent += price;
    const job: Promise<void> = run(items[i]!, i).then(
      (value) => void (results[i] = value),
      (reason: unknown) => void (failure ??= { reason }),
    ).finally(() => {
      spent -= price;
      running.delete(job);
    });
    running.add(job);
  }
  await Promise.all(running);
  if (failure) throw failure.reason;
  return results;
}
