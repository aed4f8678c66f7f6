/**
 * The handle `applyAsync` and `mapAsync` return, after Python's
 * `multiprocessing.pool.AsyncResult`: poll with `ready()`, wait with
 * `wait()`, take the value (or the error) with `get()`.
 */

import { WyvernError } from '../errors.js';
import { reject } from '../options.js';
import { MAX_TIMER_MS } from './engine.js';

/** A call's pending result, after Python's `AsyncResult`: `ready()`, `successful()`, `wait(timeout)`, `get(timeout)`. */
export class AsyncResult<T> {
  private state: 'pending' | 'fulfilled' | 'rejected' = 'pending';
  private readonly settled: Promise<T>;

  constructor(promise: Promise<T>) {
    this.settled = promise.then(
      (value) => {
        this.state = 'fulfilled';
        return value;
      },
      (error: unknown) => {
        this.state = 'rejected';
        throw error;
      },
    );
    this.settled.catch(() => {}); // the error is delivered by get()
  }

  /** Whether the call has finished (successfully or not). */
  ready(): boolean {
    return this.state !== 'pending';
  }

  /** Whether the call finished without error. Throws if it has not finished, as Python does. */
  successful(): boolean {
    if (this.state === 'pending') throw new WyvernError('ERR_NOT_READY', 'the result is not ready: call successful() after ready() is true');
    return this.state === 'fulfilled';
  }

  /** Resolves when finished, or after `timeoutMs` (whichever first); never rejects. */
  async wait(timeoutMs = Infinity): Promise<void> {
    checkTimeout(timeoutMs); // a bad timeout is the caller's error, not a wait that ends at once
    await this.race(timeoutMs).catch(() => {});
  }

  /** The result; rejects with the task's error, or with a timeout error after `timeoutMs`. */
  get(timeoutMs = Infinity): Promise<T> {
    return this.race(timeoutMs);
  }

  private race(timeoutMs: number): Promise<T> {
    try {
      checkTimeout(timeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
    if (timeoutMs === Infinity || this.state !== 'pending') return this.settled;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      const started = Date.now();
      // setTimeout takes at most 2^31 − 1 ms (a longer delay fires at once): longer waits are re-armed.
      const arm = (delay: number): void => {
        timer = setTimeout(() => {
          const left = timeoutMs - (Date.now() - started);
          if (left > 0) arm(left);
          else reject(new WyvernError('ERR_RESULT_TIMEOUT', `the result was not ready within ${timeoutMs} ms`));
        }, Math.min(delay, MAX_TIMER_MS));
      };
      arm(timeoutMs);
    });
    return Promise.race([this.settled, timeout]).finally(() => clearTimeout(timer));
  }
}

function checkTimeout(timeoutMs: unknown): void {
  if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) {
    reject(typeof timeoutMs === 'number' ? 'range' : 'type', 'timeoutMs', 'a non-negative number of milliseconds, or Infinity', timeoutMs);
  }
}
