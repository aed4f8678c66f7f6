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
 *
 * The main thread sleeping on completions may instead poll: while tasks are
 * queued (workers stay busy) it sleeps at most MAIN_POLL_MS and workers do
 * not notify it for completions (reportCompletion), so a stream of short
 * tasks costs a wake-up per poll, not one per task.
 */

import { CONTROL, workerSleepingIndex, workerWakeIndex } from '../memory/layout.js';

/** The longest the main thread's polling sleep lasts: the most a completion waits to be collected while it polls. */
export const MAIN_POLL_MS = 5;

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

/** Wakes the first sleeping worker among the first `workers`, starting at `from`. Returns its index, or -1 if none slept. */
export function wakeOneSleepingWorker(words: Int32Array, workers: number, from: number): number {
  for (let k = 0; k < workers; k++) {
    const index = (from + k) % workers;
    if (wakeWorker(words, index)) return index;
  }
  return -1;
}

/** Wakes every worker (shutdown). */
export function wakeAllWorkers(words: Int32Array, workers: number): void {
  for (let i = 0; i < workers; i++) {
    Atomics.add(words, workerWakeIndex(i), 1);
    Atomics.notify(words, workerWakeIndex(i));
  }
}

/**
 * After a completion: wakes the main thread if it sleeps on completions,
 * unless its sleep is a short poll and `moreQueued()` (the worker goes on with
 * queued work, so nothing waits on the main thread now; the poll collects the
 * completion within MAIN_POLL_MS). Waking costs both threads far more than
 * the task slot's bookkeeping: on a 2-core VM each wake took ~0.1-0.3 ms of
 * the notifying worker, and with short tasks one wake per completion cost the
 * seed workload ~10% on two workers.
 */
export function reportCompletion(words: Int32Array, moreQueued: () => boolean): boolean {
  // The usual case first, and cheapest: the main thread is awake.
  if (Atomics.load(words, CONTROL.MAIN_SLEEPING) !== 1) return false;
  if (Atomics.load(words, CONTROL.MAIN_POLLING) === 1 && moreQueued()) return false;
  return wakeMain(words);
}

/** Wakes the main thread if it sleeps on completions. Returns whether it did. */
export function wakeMain(words: Int32Array): boolean {
  if (Atomics.load(words, CONTROL.MAIN_SLEEPING) !== 1 || Atomics.compareExchange(words, CONTROL.MAIN_SLEEPING, 1, 0) !== 1) return false;
  Atomics.add(words, CONTROL.MAIN_WAKE, 1);
  Atomics.notify(words, CONTROL.MAIN_WAKE, 1);
  return true;
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
