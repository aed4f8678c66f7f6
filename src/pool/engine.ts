/**
 * The pool's engine on the main thread: it owns the shared memory, the task
 * slots and the workers, and trusts its callers (the Pool facade validates).
 *
 * State, in one place:
 * - `freeSlots`: slot indices no task uses. A slot is in use from `submit`
 *   until `reclaim`, which happens when its completion is popped, or when
 *   the worker that abandoned it has exited.
 * - `records[slot]`: how to settle the task in that slot. A record can be
 *   settled early (timeout, abort, worker exit) while its slot is still in use.
 * - `backlog`: submissions waiting for a free slot. Their arguments are
 *   encoded when they get one (as Python's Pool pickles when its handler
 *   thread sends a task, not at submission).
 * - `inFlight`: submitted tasks whose slot is not reclaimed yet, backlog included.
 *
 * The hot path: `submit` writes the slot and pushes its index on a ring;
 * `pumpLoop` drains the completion ring, settling promises, and sleeps on
 * `Atomics.waitAsync` when it is empty. Workers are spoken to through
 * `postMessage` only to start them.
 */

import { HeapLockedError, InitializerError, TaskTimeoutError, WorkerExitError, WyvernError } from '../errors.js';
import { SharedAllocator } from '../memory/allocator.js';
import { SharedHeap } from '../memory/heap.js';
import {
  CONTROL,
  DONE_RING_PTR,
  PAGE_BYTES,
  PAYLOAD_BYTES,
  SLOT,
  SLOT_COUNT,
  SUBMIT_RING_PTR,
  SlotFlags,
  SlotState,
  slotPtr,
  workerRingPtr,
  workerScratchIndex,
} from '../memory/layout.js';
import { MemoryViews } from '../memory/views.js';
import { spawnWorker } from '#platform';
import { kernelModule } from '../wasm/kernel-module.js';
import type { SpawnOptions, WorkerHandle, WorkerInit } from '../platform/types.js';
import { SlotRing } from '../queue/ring.js';
import { MAIN_POLL_MS, wakeAllWorkers, wakeOneSleepingWorker, wakeSleepingWorkers, wakeWorker, waitForChange } from '../queue/wake.js';
import { WireReader, WireWriter } from '../wire/codec.js';
import { FunctionRegistry } from './task-function.js';
import { instantiateKernels, type KernelExports } from '../wasm/kernels.js';
import { KernelErrorReporter } from '../wasm/kernel-errors.js';

/** How often a task's timeout looks again whether a queued task has started, at the least. */
const QUEUED_RECHECK_MS = 5;

/** The longest delay setTimeout takes (a longer one fires after 1 ms). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Microseconds the pump polls for completions before it sleeps (see spinForCompletion). */
const MAIN_SPIN_MICROS = 20;
/** Polls in a row that found nothing before the pump sleeps until a worker wakes it. */
const QUIET_POLLS_BEFORE_SLEEP = 2;

/** The main thread's tag as a lock holder; workers get 2, 3, ... */
const MAIN_THREAD_TAG = 1;

export interface EngineOptions {
  workers: number;
  initialBytes: number;
  maximumBytes: number;
  spinMicros: number;
  initializer?: WorkerInit['initializer'];
  spawn: SpawnOptions;
}

export interface SubmitOptions {
  /** Run `fn` once per argument list in `args` (a chunk of a map). */
  chunk?: boolean;
  /** Worker index whose private ring gets the task (static schedule); otherwise any idle worker. */
  worker?: number;
  /** Milliseconds the task may run once started; Infinity for no limit. */
  timeoutMs?: number;
}

/** A submitted task: its outcome and a way to cancel it. */
export interface TaskHandle {
  readonly promise: Promise<unknown>;
  /** Rejects the task with `reason`: dropped if queued, its worker terminated if running. */
  cancel(reason: unknown, options?: { running?: boolean }): void;
}

/** One submitted task: its promise, and what the engine knows of it. It is the task's handle too. */
class TaskRecord implements TaskHandle {
  readonly promise: Promise<unknown>;
  resolve!: (value: unknown) => void;
  reject!: (error: unknown) => void;
  settled = false;
  /** The slot while it has one; -1 while in the backlog. */
  slot = -1;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;

  constructor(
    private readonly engine: PoolEngine,
    readonly functionId: number,
    /** The arguments until they are encoded into a slot. */
    public args: unknown[] | undefined,
    readonly flags: number,
    /** Worker whose private ring takes the task, or -1 for the shared ring. */
    readonly worker: number,
    readonly timeoutMs: number,
  ) {
    this.promise = new Promise<unknown>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  cancel(reason: unknown, options?: { running?: boolean }): void {
    this.engine.cancel(this, reason, options?.running ?? true);
  }
}

interface WorkerEntry {
  index: number;
  tag: number;
  handle: WorkerHandle;
  ready: boolean;
  /**
   * Terminated for a task given up on (timeout, abort): its exit is expected even when its "ready"
   * never arrived (a fresh worker takes a task as soon as it has posted it, and Chromium drops the
   * messages of a worker terminated before they were read), so it is replaced, not taken for a failed start.
   */
  givenUp: boolean;
  exited: Promise<void>;
}


export class PoolEngine {
  readonly memory: WebAssembly.Memory;
  readonly views: MemoryViews;
  readonly heap: SharedHeap;
  readonly allocator: SharedAllocator;
  readonly functions: FunctionRegistry;
  /** Resolves once every worker started (and ran the initializer); rejects if one could not. */
  readonly ready: Promise<void>;

  private readonly writer: WireWriter;
  private readonly reader: WireReader;
  private readonly sharedRing: SlotRing;
  private readonly doneRing: SlotRing;
  private readonly privateRings: SlotRing[];
  private readonly freeSlots: number[] = [];
  private readonly records: (TaskRecord | undefined)[] = new Array(SLOT_COUNT);
  private readonly backlog: (TaskRecord | undefined)[] = [];
  private backlogHead = 0;
  /** Polls in a row that found no completion (see pumpLoop). */
  private quietPolls = 0;
  private inFlight = 0;
  /** Slots of tasks given up on (settled already) whose worker has not exited yet: in flight, not pending. */
  private abandonedSlots = 0;
  /** Queued tasks cancelled (rejected already) whose slots no worker has handed back yet. */
  private cancelledSlots = 0;
  /** Resolved when abandonedSlots comes back to 0 (givenUpTasksStopped). */
  private givenUpWaiters: (() => void)[] = [];
  private pumping = false;
  private nextTag = MAIN_THREAD_TAG + 1;
  private wakeCursor = 0;
  private localKernels: Promise<KernelExports> | undefined;
  private wakeScheduled = false;
  /** Tasks pushed on the shared ring since the last wake-up pass. */
  private wakeShared = 0;
  /** Workers whose private ring got tasks since the last wake-up pass. */
  private readonly wakeTargets = new Set<number>();
  /** The worker a burst's first (shared-ring) task woke, or -1 (see wakeForFirstTask). */
  private wokenForShared = -1;
  private readonly workers: WorkerEntry[] = [];
  private idleWaiters: (() => void)[] = [];
  private stopping = false;
  /** Set when the pool cannot serve (initializer failed, or terminated): every task is rejected with it. */
  private failure: Error | undefined;
  private markReady!: () => void;
  private markFailed!: (error: Error) => void;

  constructor(private readonly options: EngineOptions) {
    this.memory = new WebAssembly.Memory({
      initial: Math.ceil(options.initialBytes / PAGE_BYTES),
      maximum: Math.ceil(options.maximumBytes / PAGE_BYTES),
      shared: true,
    });
    this.views = new MemoryViews(this.memory);
    this.heap = new SharedHeap(this.views, MAIN_THREAD_TAG, options.maximumBytes);
    SharedHeap.initialize(this.views);
    this.allocator = new SharedAllocator(this.views, this.heap);
    this.functions = new FunctionRegistry(this.views, this.heap);
    this.writer = new WireWriter(this.views);
    this.reader = new WireReader(this.views);
    const words = this.views.i32;
    this.sharedRing = new SlotRing(words, SUBMIT_RING_PTR);
    this.doneRing = new SlotRing(words, DONE_RING_PTR);
    this.privateRings = Array.from({ length: options.workers }, (_, i) => new SlotRing(words, workerRingPtr(i)));
    for (const ring of [this.sharedRing, this.doneRing, ...this.privateRings]) ring.reset();
    for (let slot = SLOT_COUNT - 1; slot >= 0; slot--) this.freeSlots.push(slot);

    this.ready = new Promise<void>((resolve, reject) => {
      this.markReady = resolve;
      this.markFailed = reject;
    });
    this.ready.catch(() => {}); // observed through the tasks it fails
    kernelModule().then(
      (module) => {
        if (this.stopping) return;
        for (let i = 0; i < options.workers && !this.failure; i++) this.startWorker(i, module);
      },
      (error: Error) => this.fail(new WyvernError('ERR_KERNEL_LOAD', `cannot load the kernels: ${error.message}`, { cause: error })),
    );
  }

  /** Whether the pool failed for good (its kernels did not load, a worker could not start, terminate()). */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  get workerCount(): number {
    return this.options.workers;
  }

  /**
   * The kernels instantiated on this thread over the pool's memory, for small
   * jobs not worth a task (checksums of frame headers). Created on first use.
   */
  mainThreadKernels(): Promise<KernelExports> {
    this.localKernels ??= kernelModule().then((module) => instantiateKernels(module, this.memory, new KernelErrorReporter()));
    return this.localKernels;
  }

  /** Tasks submitted and not finished (queued, running, or waiting for a slot). */
  get pendingCount(): number {
    return this.inFlight - this.abandonedSlots - this.cancelledSlots;
  }

  /** Queues `fn(...args)` (or, with `chunk`, `fn` over each argument list) and returns its handle. */
  submit(functionId: number, args: unknown[], options?: SubmitOptions): TaskHandle {
    const record = new TaskRecord(this, functionId, args, options?.chunk ? SlotFlags.CHUNK : 0, options?.worker ?? -1, options?.timeoutMs ?? Infinity);
    if (this.failure) {
      record.reject(this.failure);
      return record;
    }
    if (this.inFlight++ === 0) this.setKeepAlive(true);
    if (Number.isFinite(record.timeoutMs)) this.armTimeout(record, record.timeoutMs);
    const slot = this.freeSlots.pop();
    if (slot === undefined) this.backlog.push(record);
    else this.dispatch(slot, record);
    this.pump();
    return record;
  }


  /** Resolves when no task is in flight. */
  whenIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Lets idle workers leave their loops and waits for them to exit. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    this.setKeepAlive(true); // until they are gone: the caller awaits their exit
    Atomics.store(this.views.i32, CONTROL.SHUTDOWN, 1);
    wakeAllWorkers(this.views.i32, this.options.workers);
    await Promise.all(this.workers.map((w) => w.exited));
  }

  /** Rejects every task with `error` and stops every worker at once. */
  terminate(error: Error): Promise<void> {
    this.fail(error);
    return Promise.all(this.workers.map((w) => w.exited)).then(() => {});
  }

  private spawn(index: number, tag: number, module: WebAssembly.Module): WorkerHandle {
    const init: WorkerInit = {
      memory: this.memory,
      module,
      workerIndex: index,
      threadTag: tag,
      maximumBytes: this.options.maximumBytes,
      spinMicros: this.options.spinMicros,
      initializer: this.options.initializer,
    };
    return spawnWorker(init, this.options.spawn);
  }

  private startWorker(index: number, module: WebAssembly.Module): void {
    const tag = this.nextTag++;
    let handle: WorkerHandle;
    try {
      handle = this.spawn(index, tag, module);
    } catch (error) {
      // Thrown where the platform refuses a thread (a page that is not cross-origin isolated, a worker
      // script from another origin, no threads left): no worker will serve this pool's tasks.
      this.fail(new WyvernError('ERR_WORKER_START', `cannot start worker ${index}: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
      return;
    }
    let markExited!: () => void;
    const entry: WorkerEntry = { index, tag, handle, ready: false, givenUp: false, exited: new Promise((resolve) => (markExited = resolve)) };
    this.workers[index] = entry;
    // Starting up keeps the process alive (someone may await `ready`); after that only work in flight does.
    handle.setKeepAlive(true);
    handle.onMessage((message) => {
      if (message.type === 'ready') {
        entry.ready = true;
        if (!this.stopping) handle.setKeepAlive(this.inFlight > 0);
        if (this.workers.every((w) => w?.ready)) this.markReady();
      } else if (message.type === 'init-error') {
        const error =
          message.stage === 'initializer'
            ? new InitializerError(message.error.message)
            : new WyvernError('ERR_WORKER_START', message.error.message);
        if (message.error.stack) error.stack = message.error.stack;
        this.fail(error);
      }
    });
    handle.onExit((exitCode, error) => {
      this.onWorkerExit(entry, exitCode, error);
      markExited();
    });
  }

  private onWorkerExit(worker: WorkerEntry, exitCode: number, error?: Error): void {
    const words = this.views.i32;
    SharedHeap.releaseIfHeldBy(words, worker.tag);
    const scratch = Atomics.exchange(words, workerScratchIndex(worker.index), 0);
    if (scratch !== 0) {
      try {
        this.heap.free(scratch);
      } catch {
        // Not a block now (the thread died inside the heap's own code): left as it is.
      }
    }
    if (this.failure) return; // every task was rejected already
    const reason = error ? `: ${error.message}` : '';
    for (let slot = 0; slot < SLOT_COUNT; slot++) {
      const base = slotPtr(slot) >> 2;
      if (words[base + SLOT.OWNER] !== worker.tag) continue;
      const state = Atomics.load(words, base + SLOT.STATE);
      if (state === SlotState.RUNNING && Atomics.compareExchange(words, base + SLOT.STATE, SlotState.RUNNING, SlotState.ABANDONED) === SlotState.RUNNING) {
        this.settle(
          this.records[slot],
          new WorkerExitError(`worker ${worker.index} exited (code ${exitCode}) while running this task${reason}`, { cause: error }),
        );
        this.reclaim(slot);
      } else if (state === SlotState.ABANDONED) {
        this.abandonedSlots--;
        this.reclaim(slot); // its task was already rejected (timeout, abort): the slot is safe to reuse now
      }
    }
    if (this.abandonedSlots === 0) for (const resolve of this.givenUpWaiters.splice(0)) resolve();
    if (this.stopping || this.failure) return;
    // The slots reclaimed above may be what tasks in the backlog wait for (a completion would dispatch
    // them; with every other slot held by long tasks, none may come for a long time).
    this.flushBacklog();
    if (!worker.ready && !worker.givenUp) {
      this.fail(new WorkerExitError(`worker ${worker.index} exited (code ${exitCode}) before it was ready${reason}`, { cause: error }));
      return;
    }
    // The replacement gets the same index only now, once the old thread is gone: code that keeps
    // per-worker state by `workerIndex` never sees two live threads with one index.
    void kernelModule().then((module) => {
      if (!this.stopping && !this.failure) this.startWorker(worker.index, module);
    });
  }

  /** Encodes the task's arguments into `slot` and pushes it on its ring. */
  private dispatch(slot: number, record: TaskRecord): void {
    const words = this.views.i32;
    const base = slotPtr(slot) >> 2;
    let target = slotPtr(slot) + SLOT.PAYLOAD_OFFSET;
    let spill = 0;
    let bytes: Uint8Array;
    try {
      bytes = this.writer.reset().write(record.args).encoded;
      if (bytes.length > PAYLOAD_BYTES) spill = target = this.heap.allocate(bytes.length);
    } catch (error) {
      // Unsendable arguments, or no heap for them: this task fails, the slot goes back.
      this.freeSlots.push(slot);
      this.settle(record, error);
      this.finishRecord(record);
      return;
    }
    record.args = undefined;
    this.views.ensure(target + bytes.length);
    const memory = this.views.u8;
    if (bytes.length <= 32) {
      // A byte loop beats set() for the few bytes of a typical argument list.
      for (let i = 0; i < bytes.length; i++) memory[target + i] = bytes[i]!;
    } else {
      memory.set(bytes, target);
    }
    record.slot = slot;
    this.records[slot] = record;
    words[base + SLOT.FUNCTION] = record.functionId;
    words[base + SLOT.FLAGS] = record.flags;
    words[base + SLOT.LENGTH] = bytes.length;
    words[base + SLOT.SPILL_PTR] = spill;
    words[base + SLOT.OWNER] = 0;
    Atomics.store(words, base + SLOT.STATE, SlotState.QUEUED);
    if (record.worker >= 0) {
      this.privateRings[record.worker]!.pushOrWait(slot);
      this.wakeTargets.add(record.worker);
    } else {
      this.sharedRing.pushOrWait(slot);
      this.wakeShared++;
    }
    if (!this.wakeScheduled) {
      this.wakeScheduled = true;
      this.wakeForFirstTask(record.worker);
      queueMicrotask(this.wakeForNewWork);
    }
  }

  /**
   * The first task of a burst wakes one worker at once, so that it runs while
   * this thread dispatches the rest (33 conv2d calls take 0.2-0.3 ms): the
   * thread dispatching holds one core, a second is free for that worker. The
   * others wait for the burst's end (wakeForNewWork), where they would only
   * compete with this thread for the cores.
   */
  private wakeForFirstTask(worker: number): void {
    const words = this.views.i32;
    if (worker >= 0) {
      if (wakeWorker(words, worker)) this.wakeTargets.delete(worker);
      return;
    }
    this.wokenForShared = wakeOneSleepingWorker(words, this.options.workers, this.wakeCursor++);
  }

  /**
   * Wakes sleeping workers for the work dispatched since the last call. Runs
   * once per burst of submissions (a microtask), not once per task: reading
   * every worker's sleeping flag per task cost ~10% of dispatch time, and a
   * worker woken mid-burst only competes with the submitting thread for a core.
   */
  private readonly wakeForNewWork = (): void => {
    this.wakeScheduled = false;
    const words = this.views.i32;
    // The worker woken for the burst's first shared task counts for one of them, unless it also got
    // private tasks: it takes those first, and the shared task needs another worker after all.
    const wokenEarly = this.wokenForShared >= 0 && !this.wakeTargets.has(this.wokenForShared) ? 1 : 0;
    this.wokenForShared = -1;
    for (const worker of this.wakeTargets) wakeWorker(words, worker);
    this.wakeTargets.clear();
    if (this.wakeShared > wokenEarly) wakeSleepingWorkers(words, this.options.workers, this.wakeShared - wokenEarly, this.wakeCursor++);
    this.wakeShared = 0;
  };

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    void this.pumpLoop().catch((error: unknown) => {
      // Nothing in the loop should throw; if something does, the pump must not stay marked as running
      // (no completion would ever be collected again): start it afresh a little later (not at once: a
      // failure that repeats must not become a loop of microtasks), and let the error be seen.
      this.pumping = false;
      console.error('wyvern: the pool\'s completion loop failed and is restarted:', error);
      setTimeout(() => {
        if (this.inFlight > 0) this.pump();
      }, 10);
    });
  }

  /** Settles completions until nothing is in flight, sleeping on MAIN_WAKE while the completion ring is empty. */
  private async pumpLoop(): Promise<void> {
    // Started by a burst's first submission: let the rest of the burst be dispatched before polling
    // (the poll's spin would otherwise hold up every submission after the first).
    await null;
    const words = this.views.i32;
    let lastYield = performance.now();
    while (this.inFlight > 0) {
      if (this.drainCompletions()) {
        // A long stream of completions must not starve timers and I/O.
        if (performance.now() - lastYield > 5) {
          await new Promise((resolve) => setTimeout(resolve, 0));
          lastYield = performance.now();
        } else {
          // Let the settled promises' continuations run first: they often submit the next task.
          await null;
        }
        continue;
      }
      if (this.spinForCompletion()) continue;
      // Poll (a short sleep workers need not end) while tasks wait in the rings: workers stay busy
      // without us; not with a backlog (slots must come back promptly for it), nor after polls
      // found nothing (long tasks: a wake per completion is cheap next to them).
      const poll = this.quietPolls < QUIET_POLLS_BEFORE_SLEEP && this.backlogHead === this.backlog.length && this.hasQueuedTasks();
      const seq = Atomics.load(words, CONTROL.MAIN_WAKE);
      Atomics.store(words, CONTROL.MAIN_POLLING, poll ? 1 : 0);
      Atomics.store(words, CONTROL.MAIN_SLEEPING, 1);
      let timedOut = false;
      if (this.doneRing.isEmpty()) {
        // Not polling, the timeout only guards against a wake-up lost to a crashed worker.
        const waiting = waitForChange(words, CONTROL.MAIN_WAKE, seq, poll ? MAIN_POLL_MS : 1000);
        if (waiting) timedOut = (await waiting) === 'timed-out';
      }
      Atomics.store(words, CONTROL.MAIN_SLEEPING, 0);
      Atomics.store(words, CONTROL.MAIN_POLLING, 0);
      this.quietPolls = poll && timedOut && this.doneRing.isEmpty() ? this.quietPolls + 1 : 0;
      lastYield = performance.now();
    }
    this.pumping = false;
  }

  /**
   * Polls the completion ring for a few microseconds before the pump sleeps:
   * a wake-up through Atomics.waitAsync costs tens of microseconds, while
   * workers that are busy with short tasks complete one every microsecond or
   * so. The event loop is held for at most MAIN_SPIN_MICROS.
   */
  private spinForCompletion(): boolean {
    const until = performance.now() + MAIN_SPIN_MICROS / 1000;
    do {
      for (let i = 0; i < 32; i++) if (!this.doneRing.isEmpty()) return true;
    } while (performance.now() < until);
    return false;
  }

  /** Whether a task waits in a ring for a worker to take it. */
  private hasQueuedTasks(): boolean {
    return !this.sharedRing.isEmpty() || this.privateRings.some((ring) => !ring.isEmpty());
  }

  private drainCompletions(): boolean {
    let progressed = false;
    for (let slot = this.doneRing.pop(); slot >= 0; slot = this.doneRing.pop()) {
      progressed = true;
      this.complete(slot);
    }
    if (progressed) this.flushBacklog();
    return progressed;
  }

  private complete(slot: number): void {
    const words = this.views.i32;
    const base = slotPtr(slot) >> 2;
    const state = Atomics.load(words, base + SLOT.STATE);
    const spill = words[base + SLOT.SPILL_PTR]!;
    if (state === SlotState.DONE) {
      const record = this.records[slot];
      let value: unknown;
      let failed = (words[base + SLOT.FLAGS]! & SlotFlags.ERROR) !== 0;
      try {
        value = this.reader.at(spill || slotPtr(slot) + SLOT.PAYLOAD_OFFSET, words[base + SLOT.LENGTH]!).read();
        if (failed && !(value instanceof Error)) value = new WyvernError('ERR_TASK_THREW', `task failed with a non-Error value: ${String(value)}`);
      } catch (error) {
        value = error;
        failed = true;
      }
      if (record && !record.settled) {
        record.settled = true;
        if (failed) record.reject(value);
        else record.resolve(value);
      }
    } else if (state === SlotState.CANCELLED) {
      this.cancelledSlots--;
    }
    // DONE: `spill` holds the result; CANCELLED: the arguments, which no worker read.
    try {
      if (spill) this.freeSpill(spill);
    } catch {
      // Not a heap block: the slot's words were overwritten (a payload written past its slot, as a
      // worker's too-long error once was). That block is lost; the slot and the pump are not.
    } finally {
      this.reclaim(slot);
    }
  }

  /** Frees a payload block; while a dead worker holds the heap's lock, again once its exit released it. */
  private freeSpill(ptr: number): void {
    try {
      this.heap.free(ptr);
    } catch (error) {
      if (!(error instanceof HeapLockedError)) throw error;
      setTimeout(() => this.freeSpill(ptr), 50);
    }
  }

  private flushBacklog(): void {
    while (this.backlogHead < this.backlog.length && this.freeSlots.length > 0) {
      const record = this.backlog[this.backlogHead]!;
      this.backlog[this.backlogHead++] = undefined;
      if (record.settled) continue; // cancelled while waiting; already counted out
      this.dispatch(this.freeSlots.pop()!, record);
    }
    if (this.backlogHead === this.backlog.length) {
      this.backlog.length = 0;
      this.backlogHead = 0;
    }
  }

  private reclaim(slot: number): void {
    const record = this.records[slot];
    if (record) this.finishRecord(record);
    this.records[slot] = undefined;
    Atomics.store(this.views.i32, (slotPtr(slot) >> 2) + SLOT.STATE, SlotState.FREE);
    this.freeSlots.push(slot);
  }

  /** Bookkeeping when a task leaves the pool (its slot reclaimed, or dropped from the backlog). */
  private finishRecord(record: TaskRecord): void {
    if (record.timer !== undefined) clearTimeout(record.timer);
    if (--this.inFlight === 0) {
      this.setKeepAlive(false);
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private settle(record: TaskRecord | undefined, error: unknown): void {
    if (!record || record.settled) return;
    record.settled = true;
    // A settled task's timer would only find it settled, but it would keep the process alive until then.
    if (record.timer !== undefined) clearTimeout(record.timer);
    record.timer = undefined;
    record.reject(error);
  }

  /** See {@link TaskHandle.cancel}. */
  cancel(record: TaskRecord, reason: unknown, running: boolean): void {
    if (record.settled) return;
    if (record.slot < 0) {
      // Still in the backlog: flushBacklog skips settled entries.
      this.settle(record, reason);
      this.finishRecord(record);
      return;
    }
    const words = this.views.i32;
    const stateIndex = (slotPtr(record.slot) >> 2) + SLOT.STATE;
    if (Atomics.compareExchange(words, stateIndex, SlotState.QUEUED, SlotState.CANCELLED) === SlotState.QUEUED) {
      this.cancelledSlots++;
      this.settle(record, reason); // the worker that pops it hands it back; then it is reclaimed
    } else if (running) {
      this.abandon(record.slot, reason);
    }
  }

  /**
   * Resolves once every worker that was running a task given up on (timeout, abort) has exited: until
   * then it may still write into the memory that task was given (a browser stops a busy worker seconds
   * after terminate()). At once when there is none.
   */
  givenUpTasksStopped(): Promise<void> {
    if (this.abandonedSlots === 0) return Promise.resolve();
    return new Promise((resolve) => this.givenUpWaiters.push(resolve));
  }

  /** Gives up on a running task: rejects it and terminates its worker (the exit handler reclaims the slot). */
  private abandon(slot: number, reason: unknown): boolean {
    const words = this.views.i32;
    const base = slotPtr(slot) >> 2;
    if (Atomics.compareExchange(words, base + SLOT.STATE, SlotState.RUNNING, SlotState.ABANDONED) !== SlotState.RUNNING) return false;
    this.abandonedSlots++;
    this.settle(this.records[slot], reason);
    const owner = words[base + SLOT.OWNER];
    const worker = this.workers.find((w) => w.tag === owner);
    if (worker) {
      worker.givenUp = true;
      worker.handle.terminate();
    }
    return true;
  }

  private armTimeout(record: TaskRecord, delayMs: number): void {
    // Timers take at most 2^31 − 1 ms (longer ones fire at once): a longer limit is re-armed as it runs.
    record.timer = setTimeout(() => {
      record.timer = undefined;
      if (record.settled) return;
      // Not started: the limit counts from the start; look again later (not sooner than QUEUED_RECHECK_MS:
      // a limit of 0 or 1 ms on thousands of queued tasks would otherwise be a stream of timers).
      if (record.slot < 0) return this.armTimeout(record, Math.max(record.timeoutMs, QUEUED_RECHECK_MS));
      const words = this.views.i32;
      const state = Atomics.load(words, (slotPtr(record.slot) >> 2) + SLOT.STATE);
      if (state === SlotState.QUEUED) return this.armTimeout(record, Math.max(record.timeoutMs, QUEUED_RECHECK_MS));
      if (state !== SlotState.RUNNING) return;
      const elapsed = Date.now() - this.views.f64[(slotPtr(record.slot) >> 3) + SLOT.STARTED_AT_F64]!;
      if (elapsed + 1 < record.timeoutMs) return this.armTimeout(record, record.timeoutMs - elapsed);
      this.abandon(
        record.slot,
        new TaskTimeoutError(`task ran longer than its timeout of ${record.timeoutMs} ms; its worker was terminated and replaced`),
      );
    }, Math.min(delayMs, MAX_TIMER_MS));
  }

  /** The pool cannot serve any more: reject everything with `error` and stop the workers. */
  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.stopping = true;
    this.markFailed(error);
    for (let slot = 0; slot < SLOT_COUNT; slot++) {
      const record = this.records[slot];
      if (record?.timer !== undefined) clearTimeout(record.timer);
      this.settle(record, error);
    }
    for (let i = this.backlogHead; i < this.backlog.length; i++) this.settle(this.backlog[i], error);
    this.backlog.length = 0;
    this.backlogHead = 0;
    // Alive until the workers are gone: terminate() resolves on their exit.
    this.setKeepAlive(true);
    // The pool reuses nothing after this: no need to wait until each thread is really gone.
    for (const worker of this.workers) worker?.handle.terminate(true);
    this.inFlight = 0;
    this.abandonedSlots = 0;
    this.cancelledSlots = 0;
    for (const resolve of this.givenUpWaiters.splice(0)) resolve();
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private setKeepAlive(keepAlive: boolean): void {
    for (const worker of this.workers) worker?.handle.setKeepAlive(keepAlive);
  }
}

