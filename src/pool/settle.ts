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
