/**
 * Sleeping and waking around the rings.
 *
 * Waking a sleeping thread costs 55-69 µs on the VMs we measure on (see
 * shared/REFERENCES.md), a busy-wait round trip 0.2 µs: so an idle worker
 * polls for `spinMicros` before it sleeps, and producers only notify threads
 * that announced they sleep.
 *
 * The protocol, for one sleeper and its futex word `wake`:
 *   sleeper: seq = load(wake); store(sleeping, 1); if (work visible) {store(sleeping, 0); run it}
 *            else wait(wake, seq)
 *   waker:   publish work; if (compareExchange(sleeping, 1, 0) === 1) {add(wake, 1); notify(wake)}
 * All Atomics are sequentially consistent, so either the waker sees the flag
 * or the sleeper's re-check sees the work; and a wake between the sleeper's
 * load and its wait makes the wait return at once ("not-equal").
 */

import { CONTROL, workerSleepingIndex, workerWakeIndex } from '../memory/layout.js';

/** Wakes worker `index` if it sleeps. Returns whether it did. */
export function wakeWorker(words: Int32Array, index: number): boolean {
  const sleeping = workerSleepingIndex(index);
  // A load first: the compareExchange is a locked write that bounces the worker's cache line.
  if (Atomics.load(words, sleeping) !== 1 || Atomics.compareExchange(words, sleeping, 1, 0) !== 1) return false;
  Atomics.add(words, workerWakeIndex(index), 1);
  Atomics.notify(words, workerWakeIndex(index), 1);
  return true;
}

/** Wakes up to `count` sleeping workers among the first `workers`, starting at `from` (for fairness). */
export function wakeSleepingWorkers(words: Int32Array, workers: number, count: number, from: number): void {
  for (let k = 0; k < workers && count > 0; k++) {
    if (wakeWorker(words, (from + k) % workers)) count--;
  }
}

/** Wakes every worker (shutdown). */
export function wakeAllWorkers(words: Int32Array, workers: number): void {
  for (let i = 0; i < workers; i++) {
    Atomics.add(words, workerWakeIndex(i), 1);
    Atomics.notify(words, workerWakeIndex(i));
  }
}

/** Wakes the main thread if it sleeps on completions. */
export function wakeMain(words: Int32Array): void {
  if (Atomics.load(words, CONTROL.MAIN_SLEEPING) !== 1 || Atomics.compareExchange(words, CONTROL.MAIN_SLEEPING, 1, 0) !== 1) return;
  Atomics.add(words, CONTROL.MAIN_WAKE, 1);
  Atomics.notify(words, CONTROL.MAIN_WAKE, 1);
}

type WaitAsync = (words: Int32Array, index: number, value: number, timeoutMs?: number) => { async: boolean; value: Promise<string> | string };
const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;

/**
 * Resolves when `words[index]` may have changed from `value` (or after
 * `timeoutMs`). Uses `Atomics.waitAsync`; where a browser lacks it, polls
 * with a timer, which costs latency but not correctness.
 */
export function waitForChange(words: Int32Array, index: number, value: number, timeoutMs: number): Promise<unknown> | undefined {
  if (waitAsync) {
    const result = waitAsync(words, index, value, timeoutMs);
    return result.async ? (result.value as Promise<string>) : undefined;
  }
  if (Atomics.load(words, index) !== value) return undefined;
  return new Promise((resolve) => setTimeout(resolve, 1));
}
