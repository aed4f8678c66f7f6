/**
 * `imap` and `imapUnordered`: a map whose items are read as it goes. Python's
 * `Pool.imap` queues its tasks when called and hands each result out once;
 * so does this, with two differences a JavaScript caller needs: the input is
 * read a window ahead of the loop, not whole (an endless generator works, and
 * a slow loop holds back the reading instead of piling up results), and each
 * chunk's results are let go as soon as the loop has them.
 */

import { PoolClosedError } from '../errors.js';
import type { TaskHandle } from './engine.js';

/**
 * Submits one chunk of argument lists as the `k`-th chunk of the run: a chunk of one as a plain call
 * (its task settles to the value), a larger one as a chunk task (to the list of values).
 */
export type ChunkSubmitter = (chunk: unknown[][], k: number) => TaskHandle;

/** A chunk's task and whether it is a plain call of one item. */
interface SubmittedChunk {
  promise: Promise<unknown>;
  single: boolean;
}

/** A first-in first-out queue over an array, compacted as it empties (a run may last millions of chunks). */
class Queue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T {
    const item = this.items[this.head]!;
    this.items[this.head++] = undefined; // the caller's now: nothing here keeps it alive
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

export class StreamingMap {
  private readonly iterator: Iterator<unknown>;
  /** Chunks submitted and not yet taken by the loop, in submission order (imap). */
  private readonly submittedChunks = new Queue<SubmittedChunk>();
  /** Outcomes of chunks in the order they settled (imapUnordered). */
  private readonly settledChunks = new Queue<{ outcome: PromiseSettledResult<unknown>; single: boolean }>();
  /** Tasks not yet settled: what cancel() reaches. A settled task leaves it, and with it its results. */
  private readonly running = new Set<TaskHandle>();
  private wake: (() => void) | undefined;
  private submitted = 0;
  private taken = 0;
  private settled = 0;
  /** After close(): the window counts tasks not yet settled instead of chunks the loop has not taken. */
  private draining = false;
  private exhausted = false;
  private markInputEnd!: () => void;
  /** Resolves once no more input will be read (all of it submitted, or the run given up): join() waits for it. */
  readonly inputEnd = new Promise<void>((resolve) => (this.markInputEnd = resolve));
  /** What reading the input threw: given to the loop after the chunks read before it. */
  private inputError: { error: unknown } | undefined;
  private stopped = false;

  constructor(
    items: Iterable<unknown>,
    private readonly submit: ChunkSubmitter,
    private readonly chunksize: number,
    /** Chunks submitted ahead of the loop at most. */
    private readonly lookahead: number,
    private readonly ordered: boolean,
    private readonly signal: AbortSignal | undefined,
    /** Called once no more input will be read (all of it submitted, or the run given up). */
    private readonly onInputEnd: (run: StreamingMap) => void,
  ) {
    this.iterator = items[Symbol.iterator]();
  }

  /** Submits the first window: the tasks start when imap is called, as Python's imap queues them then. */
  start(): this {
    this.fill();
    return this;
  }

  /**
   * The pool is closing: the rest of the input is read and submitted whether or not a loop takes the
   * results, as Python's imap had queued it all; paced by the tasks that settle (one window in flight),
   * never in one synchronous sweep, so an endless input does not stop the event loop.
   */
  drain(): void {
    this.draining = true;
    this.fill();
  }

  /** Cancels what has not started and reads no more input (the input's `return()` is called); a loop still running ends with `reason`. */
  cancel(reason: unknown): void {
    if (!this.exhausted) {
      this.inputError ??= { error: reason };
      this.exhausted = true;
      try {
        this.iterator.return?.(); // a generator's finally runs, as when a for-of loop is left
      } catch {
        // What the input's own clean-up throws is not the loop's concern.
      }
    }
    this.stopped = true;
    for (const handle of this.running) handle.cancel(reason, { running: false });
    this.endInput();
  }

  /**
   * The results, in input order (imap) or as chunks finish (imapUnordered). Leaving the loop, or calling
   * `return()`/`throw()` before it starts (when a generator's own `finally` would not run), cancels the rest.
   */
  iterate(): AsyncGenerator<unknown, void, undefined> {
    const generator = this.results();
    const leave = (): void => this.cancel(new PoolClosedError(`${this.ordered ? 'imap' : 'imapUnordered'} was left before its end`));
    const { return: returnFrom, throw: throwInto } = generator;
    return Object.assign(generator, {
      return: (value: void) => {
        leave();
        return returnFrom.call(generator, value);
      },
      throw: (error: unknown) => {
        leave();
        return throwInto.call(generator, error);
      },
    });
  }

  private async *results(): AsyncGenerator<unknown, void, undefined> {
    try {
      for (;;) {
        if (this.taken === this.submitted) {
          if (this.inputError) throw this.inputError.error;
          return;
        }
        let value: unknown;
        let single: boolean;
        if (this.ordered) {
          const next = this.submittedChunks.shift();
          this.taken++;
          this.fill();
          value = await next.promise;
          single = next.single;
        } else {
          while (this.settledChunks.length === 0) await new Promise<void>((resolve) => (this.wake = resolve));
          const next = this.settledChunks.shift();
          this.taken++;
          this.fill();
          if (next.outcome.status === 'rejected') throw next.outcome.reason;
          value = next.outcome.value;
          single = next.single;
        }
        if (single) yield value;
        else yield* value as unknown[];
      }
    } finally {
      this.cancel(new PoolClosedError(`${this.ordered ? 'imap' : 'imapUnordered'} was left before its end`));
    }
  }

  /** Submits chunks until `lookahead` of them are ahead of the loop, or the input ends. */
  private fill(): void {
    while (!this.exhausted && !this.stopped && this.submitted - (this.draining ? this.settled : this.taken) < this.lookahead) {
      if (this.signal?.aborted) {
        // The chunks submitted reject with the reason through their tasks; the loop ends with it after them.
        this.inputError = { error: this.signal.reason };
        this.exhausted = true;
        break;
      }
      const chunk: unknown[][] = [];
      try {
        while (chunk.length < this.chunksize) {
          const next = this.iterator.next();
          if (next.done) {
            this.exhausted = true;
            break;
          }
          chunk.push([next.value]);
        }
      } catch (error) {
        this.exhausted = true;
        this.inputError = { error };
      }
      if (chunk.length > 0) this.submitChunk(chunk);
    }
    if (this.exhausted) this.endInput();
  }

  private endInput(): void {
    this.onInputEnd(this);
    this.markInputEnd();
  }

  /** A task of the run settled: while draining, the window has room for another. */
  private onSettled(handle: TaskHandle): void {
    this.running.delete(handle);
    this.settled++;
    if (this.draining) this.fill();
  }

  private submitChunk(chunk: unknown[][]): void {
    const handle = this.submit(chunk, this.submitted++);
    const single = chunk.length === 1;
    this.running.add(handle);
    // One reaction per task: leaving `running` (and, unordered, queueing the outcome and waking the loop).
    // It handles a rejection too, so one the loop never reaches is not an unhandled rejection.
    if (this.ordered) {
      this.submittedChunks.push({ promise: handle.promise, single });
      const settled = (): void => this.onSettled(handle);
      handle.promise.then(settled, settled);
    } else {
      const settled = (outcome: PromiseSettledResult<unknown>): void => {
        this.settledChunks.push({ outcome, single });
        this.onSettled(handle);
        this.wake?.();
      };
      handle.promise.then(
        (value) => settled({ status: 'fulfilled', value }),
        (reason: unknown) => settled({ status: 'rejected', reason }),
      );
    }
  }
}
