/**
 * The worker's run loop, shared by the Node and browser entries.
 *
 * Take a slot index from this worker's private ring or the shared ring,
 * claim the slot (QUEUED → RUNNING), decode the arguments, run the task,
 * claim the finish (RUNNING → DONE), write the result, push the slot on the
 * completion ring and wake the main thread if it sleeps. The finish is
 * claimed before the result is written so that a slot the main thread has
 * abandoned (timeout, abort) is never written again: the main thread reuses
 * it once this worker is terminated. A worker whose finish fails so has been
 * given up on, and leaves the loop at once: its thread may run on for a while
 * after terminate() (a browser stops a busy worker by force seconds later),
 * and a task it took then would be cut off when it is stopped.
 *
 * Tasks that return promises are awaited, one task at a time per worker.
 */

import { WyvernError, describe } from '../errors.js';
import { SharedAllocator } from '../memory/allocator.js';
import { SharedHeap } from '../memory/heap.js';
import {
  CONTROL,
  DONE_RING_PTR,
  PAYLOAD_BYTES,
  SLOT,
  SUBMIT_RING_PTR,
  SlotFlags,
  SlotState,
  slotPtr,
  workerRingPtr,
  workerSleepingIndex,
  workerScratchIndex,
  workerWakeIndex,
} from '../memory/layout.js';
import { MemoryViews } from '../memory/views.js';
import type { WorkerInit, WorkerMessage } from '../platform/types.js';
import { FunctionResolver, compileInline, explainMissingVariable, importModule } from '../pool/task-function.js';
import { SlotRing } from '../queue/ring.js';
import { reportCompletion, wakeMain } from '../queue/wake.js';
import { bindKernels } from '../wasm/kernels.js';
import { WireReader, WireWriter } from '../wire/codec.js';
import type { WorkerContext } from './context.js';

type AnyFunction = (...args: unknown[]) => unknown;

/**
 * How many times spinMicros a worker polls after a completion that woke the main thread (default
 * 400 µs): on the 2-core VMs we measure, the main thread's reply to a wake-up takes ~190 µs, so a
 * sequence of calls (await one task, submit the next) otherwise finds the worker asleep each time and
 * pays a second wake-up (~100-200 µs).
 */
const AFTER_WAKE_SPIN = 8;

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';

export async function runWorker(init: WorkerInit, post: (message: WorkerMessage) => void): Promise<void> {
  let setup: ReturnType<typeof startUp>;
  try {
    setup = startUp(init);
  } catch (error) {
    const e = error as Error;
    post({ type: 'init-error', stage: 'startup', error: { name: e.name, message: `worker ${init.workerIndex} could not start: ${e.message}`, stack: e.stack } });
    return;
  }
  try {
    if (init.initializer) {
      const initializer =
        init.initializer.kind === 'inline'
          ? compileInline(init.initializer.source)
          : ((await importModule(init.initializer.url))[init.initializer.exportName] as AnyFunction);
      await initializer(...init.initializer.args);
    }
  } catch (error) {
    const e = error as Error;
    post({
      type: 'init-error',
      stage: 'initializer',
      error: { name: 'InitializerError', message: `the pool's initializer failed in worker ${init.workerIndex}: ${e?.message ?? e}`, stack: e?.stack },
    });
    return;
  }
  post({ type: 'ready' });
  await serve(init, setup);
}

/** Everything a worker builds once: views, heap, kernels, rings; and the global `wyvern` context. */
function startUp(init: WorkerInit) {
  const views = new MemoryViews(init.memory);
  const heap = new SharedHeap(views, init.threadTag, init.maximumBytes);
  const allocator = new SharedAllocator(views, heap);
  // The kernels' scratch block is published where the main thread frees it if this thread dies. Cleared
  // before the block is freed: a thread killed in between leaks it rather than have it freed twice (by then
  // it may be someone else's).
  const scratchIndex = workerScratchIndex(init.workerIndex);
  const kernelFunctions = bindKernels(
    init.module,
    views,
    (bytes) => {
      const ptr = heap.allocate(bytes);
      Atomics.store(views.i32, scratchIndex, ptr);
      return ptr;
    },
    (ptr) => {
      Atomics.store(views.i32, scratchIndex, 0);
      heap.free(ptr);
    },
  );
  const functions = new FunctionResolver(views, kernelFunctions);
  const context: WorkerContext = {
    workerIndex: init.workerIndex,
    memory: init.memory,
    alloc: (Kind, length) => allocator.alloc(Kind, length),
    allocMatrix: (Kind, rows, cols) => allocator.allocMatrix(Kind, rows, cols),
    free: (value) => allocator.free(value),
  };
  (globalThis as unknown as { wyvern: WorkerContext }).wyvern = context;
  return { views, heap, functions };
}

/** The run loop proper: until shutdown. */
async function serve(init: WorkerInit, { views, heap, functions }: ReturnType<typeof startUp>): Promise<void> {
  const reader = new WireReader(views);
  const writer = new WireWriter(views);
  const privateRing = new SlotRing(views.i32, workerRingPtr(init.workerIndex));
  const sharedRing = new SlotRing(views.i32, SUBMIT_RING_PTR);
  const doneRing = new SlotRing(views.i32, DONE_RING_PTR);
  const words = views.i32;
  const wakeIndex = workerWakeIndex(init.workerIndex);
  const sleepingIndex = workerSleepingIndex(init.workerIndex);

  const moreQueued = (): boolean => !privateRing.isEmpty() || !sharedRing.isEmpty();
  // Set when this worker's last completion woke the main thread: its reply (often the next task of a
  // sequence of calls) takes that wake-up to come, so the worker polls longer before it sleeps.
  let wokeMain = false;

  /**
   * Next slot to run, or -1 at shutdown. Polls for spinMicros (AFTER_WAKE_SPIN × as long when it just
   * woke the main thread), then sleeps on this worker's futex.
   */
  const take = (): number => {
    let slot = privateRing.pop();
    if (slot >= 0) return slot;
    slot = sharedRing.pop();
    if (slot >= 0) return slot;
    const spinUntil = performance.now() + (wokeMain ? AFTER_WAKE_SPIN : 1) * init.spinMicros / 1000;
    wokeMain = false;
    for (;;) {
      for (let i = 0; i < 64; i++) {
        slot = privateRing.pop();
        if (slot < 0) slot = sharedRing.pop();
        if (slot >= 0) return slot;
      }
      if (Atomics.load(words, CONTROL.SHUTDOWN)) return -1;
      if (performance.now() > spinUntil) break;
    }
    for (;;) {
      const seq = Atomics.load(words, wakeIndex);
      Atomics.store(words, sleepingIndex, 1);
      slot = privateRing.pop();
      if (slot < 0) slot = sharedRing.pop();
      if (slot >= 0 || Atomics.load(words, CONTROL.SHUTDOWN)) {
        Atomics.store(words, sleepingIndex, 0);
        return slot;
      }
      Atomics.wait(words, wakeIndex, seq);
      Atomics.store(words, sleepingIndex, 0);
    }
  };

  /**
   * Encodes `error` as the task's failure; without its cause when that cannot be sent (a class instance),
   * and as a plain report when even its name or message cannot be read (getters that throw).
   */
  const writeFailure = (error: Error): void => {
    let why: string;
    try {
      writer.reset().write(error);
      return;
    } catch (encoding) {
      why = safely(() => String((encoding as Error).message), 'unknown');
    }
    try {
      writer.reset().write(bareError(error, safely(() => String(error.message), '(its message could not be read)'), safely(() => error.stack, undefined), `(not sent: ${why})`));
    } catch {
      writer.reset().write(new WyvernError('ERR_TASK_THREW', `task threw an Error that cannot be sent: ${why}`));
    }
  };

  /** Writes the task's result; false (nothing written) when the main thread gave up on it and on this worker. */
  const finish = (slot: number, base: number, failed: boolean): boolean => {
    // Claim the finish first: if the main thread abandoned the slot, leave it untouched.
    if (Atomics.compareExchange(words, base + SLOT.STATE, SlotState.RUNNING, SlotState.DONE) !== SlotState.RUNNING) return false;
    let bytes = writer.encoded;
    let flags = words[base + SLOT.FLAGS]! & ~SlotFlags.ERROR;
    let spill = 0;
    if (bytes.length > PAYLOAD_BYTES) {
      try {
        spill = heap.allocate(bytes.length);
      } catch (error) {
        // No room for the result: its failure goes in the slot itself, so it must fit there (a stack
        // does not: written past the slot, it overwrote the next slot's words). Shorter until it fits.
        failed = true;
        const failure = error as Error;
        for (const keep of [160, 60, 0]) {
          writer.reset().write(bareError(failure, failure.message.slice(0, keep), undefined));
          if (writer.encoded.length <= PAYLOAD_BYTES) break;
        }
        bytes = writer.encoded;
      }
    }
    if (failed) flags |= SlotFlags.ERROR;
    const target = spill || slotPtr(slot) + SLOT.PAYLOAD_OFFSET;
    views.ensure(target + bytes.length);
    views.u8.set(bytes, target);
    words[base + SLOT.FLAGS] = flags;
    words[base + SLOT.LENGTH] = bytes.length;
    words[base + SLOT.SPILL_PTR] = spill;
    doneRing.pushOrWait(slot);
    wokeMain = reportCompletion(words, moreQueued);
    return true;
  };

  for (;;) {
    const slot = take();
    if (slot < 0) return;
    const base = slotPtr(slot) >> 2;
    // Owner and start time before the claim: the main thread reads them once it sees RUNNING (a timeout
    // that read the start time between the two saw the slot's previous task's and fired at once).
    words[base + SLOT.OWNER] = init.threadTag;
    views.f64[(slotPtr(slot) >> 3) + SLOT.STARTED_AT_F64] = Date.now();
    if (Atomics.compareExchange(words, base + SLOT.STATE, SlotState.QUEUED, SlotState.RUNNING) !== SlotState.QUEUED) {
      // Cancelled while queued: hand it back untouched.
      doneRing.pushOrWait(slot);
      wakeMain(words);
      continue;
    }
    const functionId = words[base + SLOT.FUNCTION]!;
    let failed = false;
    try {
      const spill = words[base + SLOT.SPILL_PTR]!;
      const args = reader.at(spill || slotPtr(slot) + SLOT.PAYLOAD_OFFSET, words[base + SLOT.LENGTH]!).read() as unknown[];
      if (spill) heap.free(spill);
      let fn = functions.resolve(functionId);
      if (isThenable(fn)) fn = await fn;
      let result: unknown;
      if (words[base + SLOT.FLAGS]! & SlotFlags.CHUNK) {
        const results = new Array<unknown>(args.length);
        for (let i = 0; i < args.length; i++) {
          let value = fn(...(args[i] as unknown[]));
          if (isThenable(value)) value = await value;
          results[i] = value;
        }
        result = results;
      } else {
        result = fn(...args);
        if (isThenable(result)) result = await result;
      }
      writer.reset().write(result);
    } catch (error) {
      failed = true;
      writeFailure(failureOf(error, functions.isInline(functionId)));
    }
    if (!finish(slot, base, failed)) return; // given up on: being terminated
  }
}

/** `read()`, or `fallback` when it throws: for values a task threw, whose getters may throw too. */
function safely<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

/** What a task's failure is sent as: an Error as it is (explained, for an inline function's missing variable); anything else thrown, described. */
function failureOf(thrown: unknown, inline: boolean): Error {
  const explained = safely(() => (inline ? explainMissingVariable(thrown) : thrown), thrown);
  if (explained instanceof Error) return explained;
  return new WyvernError('ERR_TASK_THREW', `task threw a non-Error value: ${describeThrown(thrown)}`);
}

/** A thrown non-Error as text: a string as it is, an object as JSON where it has any, never itself throwing. */
function describeThrown(value: unknown): string {
  const text = safely(() => {
    if (typeof value === 'object' && value !== null) {
      const json = JSON.stringify(value);
      if (json !== undefined && json !== '{}') return json;
    }
    return String(value);
  }, undefined) ?? safely(() => describe(value), 'a value that cannot be shown');
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** An Error of `error`'s name, code and argument with the given message, stack and cause: what the wire can always carry. */
function bareError(error: Error, message: string, stack: string | undefined, cause?: string): Error {
  const bare = new Error(message);
  bare.name = safely(() => String(error.name), 'Error');
  bare.stack = stack;
  const { code, argument } = safely(() => ({ code: (error as { code?: unknown }).code, argument: (error as { argument?: unknown }).argument }), { code: undefined, argument: undefined });
  if (typeof code === 'string') Object.assign(bare, { code });
  if (typeof argument === 'string') Object.assign(bare, { argument });
  if (cause !== undefined) bare.cause = cause;
  return bare;
}
