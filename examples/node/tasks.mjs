// Tasks for the Node examples (loaded by URL in the pool's workers).

/** Busy-waits `ms` milliseconds: a stand-in for a compute-bound work item. */
export function busy(ms) {
  const end = performance.now() + ms;
  while (performance.now() < end);
  return ms;
}

/** Reads the first and last element: touches the argument without a full pass. */
export function sumEnds(array) {
  return array[0] + array[array.length - 1];
}
