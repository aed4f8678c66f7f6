/// <reference lib="esnext.disposable" preserve="true" />
/**
 * `Pool`: Python's `multiprocessing.Pool` in TypeScript, over shared memory.
 *
 * The facade validates every option and argument, splits maps into chunks,
 * and hands tasks to the engine (engine.ts), which trusts it. Work goes to
 * whichever worker is idle (the shared ring) unless `schedule: 'static'`
 * splits it up front, one block per worker, as an MPI program would.
 */

import { PoolClosedError, ArgumentRangeError } from '../errors.js';
import { AllocationScope } from '../memory/allocator.js';
import { formatBytes, type HeapStatistics } from '../memory/heap.js';
import { DEFAULT_INITIAL_BYTES, DEFAULT_MAXIMUM_BYTES, HEAP_START, MAX_WORKERS, PAGE_BYTES } from '../memory/layout.js';
import type { SharedMatrix, TypedArray, TypedArrayConstructor } from '../memory/shared-array.js';
import { checkInteger, checkIterable, checkNonNegativeNumber, checkObject, checkOneOf, checkTaskOptions, reject } from '../options.js';
import { checkSharedMemoryAvailable, defaultWorkerCount } from '#platform';
import type { SpawnOptions, WorkerInit } from '../platform/types.js';
import { AsyncResult } from './async-result.js';
import { PoolEngine, type TaskHandle } from './engine.js';
import { StreamingMap, type ChunkSubmitter } from './streaming-map.js';
import type { KernelExports } from '../wasm/kernels.js';
import { inlineSource, isModuleTask, type TaskArgs, type TaskFunction, type TaskResult } from './task-function.js';

/** Largest memory a pool may have: addresses are kept in int32 words. */
const MAXIMUM_POOL_BYTES = 2 ** 31 - PAGE_BYTES;

/** Options of `new Pool(options)`: every one checked at construction (a bad one is an ArgumentTypeError/ArgumentRangeError naming it). */
export interface PoolOptions {
  /** Worker threads, 1 to 64. @default the number of cores (`os.availableParallelism()`, `navigator.hardwareConcurrency`), at most 64 */
  workers?: number;
  /** Runs once in each worker before it takes tasks (also in replacement workers): a self-contained function or `task(url, name)`. */
  initializer?: TaskFunction<never[], unknown>;
  /** Arguments of `initializer` (structured-cloned). @default [] */
  initargs?: unknown[];
  memory?: {
    /** Bytes the shared memory starts with (heap plus about 5.3 MiB of control state: rings, task slots, function table). @default control + 16 MiB */
    initialBytes?: number;
    /** Bytes it may grow to; allocations past it fail with OutOfMemoryError. @default 1 GiB, at most 2 GiB − 64 KiB */
    maximumBytes?: number;
  };
  /**
   * Microseconds an idle worker polls for work before it sleeps (8× as long
   * right after its completion woke the main thread, whose reply, often the
   * next task, takes that wake-up to come). Waking a sleeping thread costs
   * ~60-200 µs on small VMs; polling costs a core. 0: never poll.
   * @default 50
   */
  spinMicros?: number;
  /** Node only: V8 heap limits per worker; a worker past them exits and its task fails with WorkerExitError. */
  resourceLimits?: SpawnOptions['resourceLimits'];
}

const RESOURCE_LIMITS = ['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'] as const;

/** Node takes any value here and ignores what it does not understand: a typo would be a limit never set. */
function checkResourceLimits(value: unknown): SpawnOptions['resourceLimits'] {
  const limits = checkObject(value, 'options.resourceLimits');
  for (const key of Object.keys(limits)) {
    const path = `options.resourceLimits.${key}`;
    if (!(RESOURCE_LIMITS as readonly string[]).includes(key)) throw new ArgumentRangeError(path, `\`${path}\` is not a limit wyvern sets: they are ${RESOURCE_LIMITS.join(', ')}`);
    if (limits[key] !== undefined && !(checkNonNegativeNumber(limits[key], path) > 0)) reject('range', path, 'a positive number of megabytes', limits[key]);
  }
  return limits as SpawnOptions['resourceLimits'];
}

/** Options every call that runs tasks takes. */
export interface TaskOptions {
  /** Cancels the task(s): queued ones are dropped, running ones end with their worker (which is replaced). */
  signal?: AbortSignal;
  /** Milliseconds a task may run once a worker starts it; then it fails with TaskTimeoutError and its worker is replaced. @default Infinity */
  timeout?: number;
}

/** Options of the maps (`map`, `starmap`, `imap`, ...). */
export interface MapOptions extends TaskOptions {
  /**
   * Items per task. @default as Python: for `map`/`starmap`, ceil(items / (4 × workers)) with
   * `dynamic` and one contiguous block per worker with `static`; 1 for `imap`/`imapUnordered`.
   * A task costs the main thread a few microseconds (about 3 µs per item at chunksize 1 for a trivial
   * function on the 2-core VM of our benchmarks, against 0.3-0.6 with large chunks): give small items
   * chunks of hundreds.
   */
  chunksize?: number;
  /**
   * `dynamic`: chunks go to whichever worker is idle. `static`: chunk k is
   * bound to worker k mod workers up front (an MPI-style split).
   * @default 'dynamic'
   */
  schedule?: 'dynamic' | 'static';
}

/**
 * Options of `applyAsync`/`mapAsync`/`starmapAsync`: Python's callbacks. Each is called once, on the main
 * thread, before the AsyncResult is ready. What a callback throws is not caught: it surfaces as an
 * unhandled rejection, as from a `.then` handler (Node ends the process on one by default).
 */
export interface ApplyAsyncOptions<R> extends TaskOptions {
  /** Called with the result on success. */
  callback?: (result: R) => void;
  /** Called with the error on failure. */
  errorCallback?: (error: unknown) => void;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyTask = TaskFunction<any[], unknown>;
type FirstArg<F> = TaskArgs<F> extends [infer A, ...unknown[]] ? A : never;

/**
 * A pool of worker threads sharing one WebAssembly memory, after Python's `multiprocessing.Pool`:
 * `apply`/`map`/`starmap`/`imap` and their async forms, `close`/`join`/`terminate` (or `await using`),
 * shared arrays passed by reference (`alloc`, `free`, `scope`), and the kernels run as tasks.
 *
 * ```ts
 * const pool = new Pool({ workers: 4 });
 * const squares = await pool.map((x: number) => x * x, [1, 2, 3]);
 * await pool.terminate();
 * ```
 */
export class Pool implements AsyncDisposable {
  private readonly engine: PoolEngine;
  private state: 'open' | 'closed' | 'terminated' = 'open';
  /** imaps whose input is not all read yet: close() has them read the rest. */
  private readonly streamingMaps = new Set<StreamingMap>();

  constructor(options: PoolOptions = {}) {
    checkObject(options, 'options');
    checkSharedMemoryAvailable();
    const workers = options.workers === undefined ? Math.min(defaultWorkerCount(), MAX_WORKERS) : checkInteger(options.workers, 'options.workers', 1, MAX_WORKERS);
    const memory = options.memory === undefined ? {} : checkObject(options.memory, 'options.memory');
    // Whole 64 KiB pages, rounded up, as WebAssembly memory grows: the heap's limit is then what the memory holds.
    const maximumBytes =
      memory.maximumBytes === undefined
        ? DEFAULT_MAXIMUM_BYTES
        : Math.min(MAXIMUM_POOL_BYTES, Math.ceil(checkInteger(memory.maximumBytes, 'options.memory.maximumBytes', HEAP_START + PAGE_BYTES, MAXIMUM_POOL_BYTES) / PAGE_BYTES) * PAGE_BYTES);
    const initialBytes =
      memory.initialBytes === undefined
        ? Math.min(DEFAULT_INITIAL_BYTES, maximumBytes)
        : checkInteger(memory.initialBytes, 'options.memory.initialBytes', HEAP_START + PAGE_BYTES, maximumBytes);
    const spinMicros = options.spinMicros === undefined ? 50 : checkNonNegativeNumber(options.spinMicros, 'options.spinMicros');
    let initializer: WorkerInit['initializer'];
    if (options.initializer !== undefined) {
      const args = options.initargs ?? [];
      if (!Array.isArray(args)) reject('type', 'options.initargs', 'an array', args);
      // They reach each worker by structured clone: what cannot cross (a function, a Symbol) is refused here,
      // not by the first worker's start after the pool was returned.
      try {
        structuredClone(args);
      } catch (error) {
        reject('type', 'options.initargs', `values that structured clone can copy (${(error as Error).message})`, args);
      }
      if (typeof options.initializer === 'function') initializer = { kind: 'inline', source: inlineSource(options.initializer, 'options.initializer'), args };
      else if (isModuleTask(options.initializer)) initializer = { kind: 'module', url: options.initializer.url, exportName: options.initializer.exportName, args };
      else reject('type', 'options.initializer', 'a function or task(url, name)', options.initializer);
    }
    const resourceLimits = options.resourceLimits === undefined ? undefined : checkResourceLimits(options.resourceLimits);
    this.engine = new PoolEngine({ workers, initialBytes, maximumBytes, spinMicros, initializer, spawn: { resourceLimits } });
  }

  /** Number of worker threads. */
  get workers(): number {
    return this.engine.workerCount;
  }

  /** Resolves when every worker has started; rejects if the initializer failed. Tasks may be submitted before. */
  get ready(): Promise<void> {
    return this.engine.ready;
  }

  /** The shared memory every worker sees. */
  get memory(): WebAssembly.Memory {
    return this.engine.memory;
  }

  /** @internal The kernels on the calling thread, over this pool's memory (for small jobs such as header checksums). */
  mainThreadKernels(): Promise<KernelExports> {
    return this.engine.mainThreadKernels();
  }

  /** @internal Whether submissions are taken: not closed, not terminated, not failed (see defaultPool). */
  get acceptsTasks(): boolean {
    return this.state === 'open' && !this.engine.failed;
  }

  /**
   * Tasks submitted and not yet settled. One given up on (timeout, abort) or cancelled is not counted
   * from the moment it rejects, though its worker may run on a while (see givenUpTasksStopped).
   */
  get pending(): number {
    return this.engine.pendingCount;
  }

  // ---- shared memory ----

  /** A zero-filled typed array in the shared heap: tasks receive it by reference, with no copy. Free it with {@link free}. */
  alloc<C extends TypedArrayConstructor>(Kind: C, length: number): InstanceType<C> {
    return this.engine.allocator.alloc(Kind, length);
  }

  /** A zero-filled `rows` x `cols` row-major shared matrix. */
  allocMatrix<C extends TypedArrayConstructor>(Kind: C, rows: number, cols: number): SharedMatrix<InstanceType<C>> {
    return this.engine.allocator.allocMatrix(Kind, rows, cols);
  }

  /**
   * Returns an array from {@link alloc} (or a task's shared result) to the heap. Freeing it again is an
   * InvalidFreeError, also once its memory belongs to a newer array (which stays allocated); a view of
   * part of an allocation is refused.
   */
  free(value: TypedArray | SharedMatrix<TypedArray>): void {
    this.engine.allocator.free(value);
  }

  /** Allocations freed together: `using scope = pool.scope(); const x = scope.alloc(Float64Array, n);` */
  scope(): AllocationScope {
    return new AllocationScope(this.engine.allocator);
  }

  /**
   * Resolves once no task given up on (its `timeout` passed, or its `signal` aborted) can still be
   * running: the task's promise rejects at once, but its worker may run on for a while after being
   * terminated (a browser stops a busy one up to seconds later), writing into the memory the task was
   * given. Await this before freeing that memory after such a failure. At once when there is none.
   */
  givenUpTasksStopped(): Promise<void> {
    return this.engine.givenUpTasksStopped();
  }

  /** Whether `value` is a typed array in this pool's shared memory. */
  isShared(value: unknown): boolean {
    return this.engine.allocator.isShared(value);
  }

  /** The shared heap's use now: bytes used and spanned, the maximum, and a one-line summary for logs. */
  heapStatistics(): HeapStatistics & { summary: string } {
    const stats = this.engine.heap.statistics();
    return { ...stats, summary: `${formatBytes(stats.usedBytes)} used of ${formatBytes(stats.heapBytes)} (max ${formatBytes(stats.maximumBytes)})` };
  }

  // ---- single calls ----

  /** Runs `fn(...args)` in a worker. */
  apply<F extends AnyTask>(fn: F, args?: TaskArgs<F>, options?: TaskOptions): Promise<TaskResult<F>> {
    try {
      return this.submitOne(fn, args ?? [], options).promise as Promise<TaskResult<F>>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Like {@link apply}, returning an {@link AsyncResult} and calling `callback`/`errorCallback` when done. */
  applyAsync<F extends AnyTask>(fn: F, args?: TaskArgs<F>, options: ApplyAsyncOptions<TaskResult<F>> = {}): AsyncResult<TaskResult<F>> {
    return this.withCallbacks(options, () => this.apply(fn, args, options));
  }

  // ---- maps ----

  /** `fn(item)` for every item, results in order. Rejects with the first error. */
  map<F extends AnyTask>(fn: F, items: Iterable<FirstArg<F>>, options?: MapOptions): Promise<TaskResult<F>[]> {
    let argLists: unknown[][];
    try {
      argLists = wrapItems(items, 'items');
    } catch (error) {
      return Promise.reject(error);
    }
    return this.starmap(fn, argLists as Iterable<TaskArgs<F>>, options);
  }

  /** Like {@link map}, returning an {@link AsyncResult} and calling `callback`/`errorCallback` when done. */
  mapAsync<F extends AnyTask>(fn: F, items: Iterable<FirstArg<F>>, options: MapOptions & ApplyAsyncOptions<TaskResult<F>[]> = {}): AsyncResult<TaskResult<F>[]> {
    return this.withCallbacks(options, () => this.map(fn, items, options));
  }

  /** `fn(...args)` for every argument list, results in order. */
  starmap<F extends AnyTask>(fn: F, argLists: Iterable<TaskArgs<F>>, options?: MapOptions): Promise<TaskResult<F>[]> {
    try {
      return this.submitChunks(fn, argLists, options ?? {}) as Promise<TaskResult<F>[]>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Like {@link starmap}, returning an {@link AsyncResult} and calling `callback`/`errorCallback` when done. */
  starmapAsync<F extends AnyTask>(
    fn: F,
    argLists: Iterable<TaskArgs<F>>,
    options: MapOptions & ApplyAsyncOptions<TaskResult<F>[]> = {},
  ): AsyncResult<TaskResult<F>[]> {
    return this.withCallbacks(options, () => this.starmap(fn, argLists, options));
  }

  /**
   * Results in input order as they become available, as Python's `imap`: the tasks start when it is
   * called, and each result is let go once yielded. The input is read as the loop goes, at most
   * {@link STREAMING_CHUNKS_PER_WORKER} chunks per worker ahead of it, so it may be endless (a slow loop
   * holds back the reading). Leaving the loop early cancels the chunks not started. `chunksize` defaults
   * to 1, as in Python. Bad arguments throw here, not at the first `next()`.
   */
  imap<F extends AnyTask>(fn: F, items: Iterable<FirstArg<F>>, options?: MapOptions): AsyncGenerator<TaskResult<F>, void, undefined> {
    return this.streamingMap(fn, items, options ?? {}, true).iterate() as AsyncGenerator<TaskResult<F>, void, undefined>;
  }

  /** Like {@link imap}, with results in the order their chunks finish. */
  imapUnordered<F extends AnyTask>(fn: F, items: Iterable<FirstArg<F>>, options?: MapOptions): AsyncGenerator<TaskResult<F>, void, undefined> {
    return this.streamingMap(fn, items, options ?? {}, false).iterate() as AsyncGenerator<TaskResult<F>, void, undefined>;
  }

  // ---- lifecycle ----

  /** No more tasks may be submitted; those submitted still run, and imaps started read the rest of their input (join waits for it). */
  close(): void {
    if (this.state !== 'open') return;
    this.state = 'closed';
    for (const run of this.streamingMaps) run.drain();
  }

  /** Rejects every unfinished task and stops the workers now. */
  async terminate(): Promise<void> {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    for (const run of this.streamingMaps) run.cancel(new PoolClosedError('the pool was terminated'));
    await this.engine.terminate(new PoolClosedError('the pool was terminated'));
  }

  /** Waits for submitted tasks to finish and the workers to exit. Call {@link close} (or terminate) first, as in Python. */
  async join(): Promise<void> {
    if (this.state === 'open') throw new PoolClosedError('join() needs close() or terminate() first');
    if (this.state === 'terminated') return this.engine.terminate(new PoolClosedError('the pool was terminated'));
    // imaps still reading their input submit as their tasks settle: all of it first, then the last tasks.
    await Promise.all([...this.streamingMaps].map((run) => run.inputEnd));
    await this.engine.whenIdle();
    await this.engine.shutdown();
  }

  /** `await using pool = new Pool()`: close and join at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.state === 'open') this.close();
    await this.join();
  }

  // ---- internals ----

  private checkOpen(): void {
    if (this.state !== 'open') throw new PoolClosedError(`the pool is ${this.state}: it takes no new tasks`);
  }

  private submitOne(fn: AnyTask, args: unknown, options: TaskOptions | undefined): TaskHandle {
    this.checkOpen();
    if (!Array.isArray(args)) reject('type', 'args', 'an array of arguments', args);
    const { timeoutMs, signal } = options === undefined ? NO_OPTIONS : checkTaskOptions(options);
    const functionId = this.engine.functions.idOf(fn);
    signal?.throwIfAborted();
    const handle = this.engine.submit(functionId, args, timeoutMs === Infinity ? undefined : { timeoutMs });
    if (signal) linkSignal(signal, [handle], handle.promise);
    return handle;
  }

  /** Submits every chunk of a map at once; the results, in order. */
  private submitChunks(fn: AnyTask, argLists: Iterable<unknown>, options: MapOptions): Promise<unknown[]> {
    const settings = this.mapSettings(options);
    const lists = toArray(argLists, 'argLists');
    lists.forEach((args, i) => Array.isArray(args) || reject('type', `argLists[${i}]`, 'an array of arguments', args));
    const workers = this.engine.workerCount;
    const chunksize =
      options.chunksize !== undefined
        ? checkInteger(options.chunksize, 'options.chunksize', 1)
        : settings.schedule === 'static'
          ? Math.max(1, Math.ceil(lists.length / workers))
          : Math.max(1, Math.ceil(lists.length / (workers * 4)));
    const functionId = this.engine.functions.idOf(fn);
    settings.signal?.throwIfAborted();
    const handles: TaskHandle[] = [];
    for (let start = 0, k = 0; start < lists.length; start += chunksize, k++) {
      handles.push(this.submitChunk(functionId, lists as unknown[][], start, Math.min(start + chunksize, lists.length), k, settings));
    }
    // The tasks' own promises, with no promise per chunk on top (at chunksize 1 that was most of a
    // task's cost on the main thread): a chunk of one settles to its value, a larger one to its list.
    const promises = handles.map((handle) => handle.promise);
    if (settings.signal) linkSignal(settings.signal, handles, Promise.allSettled(promises));
    const settled = Promise.all(promises);
    if (chunksize === 1) return settled;
    return settled.then((values) => {
      const results: unknown[] = [];
      for (let k = 0; k < values.length; k++) {
        if (k * chunksize === lists.length - 1) results.push(values[k]);
        else for (const value of values[k] as unknown[]) results.push(value);
      }
      return results;
    });
  }

  private streamingMap(fn: AnyTask, items: Iterable<unknown>, options: MapOptions, ordered: boolean): StreamingMap {
    const settings = this.mapSettings(options);
    const chunksize = options.chunksize === undefined ? 1 : checkInteger(options.chunksize, 'options.chunksize', 1);
    const input = checkIterable(items, 'items');
    const functionId = this.engine.functions.idOf(fn);
    settings.signal?.throwIfAborted();
    const submit: ChunkSubmitter = (chunk, k) => {
      const handle = this.submitChunk(functionId, chunk, 0, chunk.length, k, settings);
      if (settings.signal) linkSignal(settings.signal, [handle], handle.promise);
      return handle;
    };
    const run = new StreamingMap(input, submit, chunksize, STREAMING_CHUNKS_PER_WORKER * this.engine.workerCount, ordered, settings.signal, (ended) => this.streamingMaps.delete(ended));
    this.streamingMaps.add(run);
    return run.start();
  }

  /** What every map checks first: the pool takes tasks, and the options a task and a schedule take. */
  private mapSettings(options: MapOptions): MapSettings {
    this.checkOpen();
    checkObject(options, 'options');
    const { timeoutMs, signal } = checkTaskOptions(options);
    const schedule = options.schedule === undefined ? 'dynamic' : checkOneOf(options.schedule, 'options.schedule', ['dynamic', 'static'] as const);
    return { timeoutMs, signal, schedule };
  }

  /**
   * `lists[start, end)` as the `k`-th task of a map: one argument list as a plain call (no array wrapping
   * on either side, no slice), more as a chunk task; under `static`, bound to worker k mod workers.
   */
  private submitChunk(functionId: number, lists: unknown[][], start: number, end: number, k: number, settings: MapSettings): TaskHandle {
    const worker = settings.schedule === 'static' ? k % this.engine.workerCount : undefined;
    return end - start === 1
      ? this.engine.submit(functionId, lists[start]!, { worker, timeoutMs: settings.timeoutMs })
      : this.engine.submit(functionId, lists.slice(start, end), { chunk: true, worker, timeoutMs: settings.timeoutMs });
  }

  /** `submit()`'s promise as an AsyncResult with the callbacks attached; the callbacks are checked before anything is submitted. */
  private withCallbacks<R>(options: ApplyAsyncOptions<R>, submit: () => Promise<R>): AsyncResult<R> {
    checkObject(options, 'options');
    if (options.callback !== undefined && typeof options.callback !== 'function') reject('type', 'options.callback', 'a function', options.callback);
    if (options.errorCallback !== undefined && typeof options.errorCallback !== 'function') {
      reject('type', 'options.errorCallback', 'a function', options.errorCallback);
    }
    const promise = submit();
    promise.then(options.callback, options.errorCallback ?? (() => {}));
    return new AsyncResult(promise);
  }
}

const NO_OPTIONS: { timeoutMs: number; signal?: AbortSignal } = Object.freeze({ timeoutMs: Infinity });

interface MapSettings {
  timeoutMs: number;
  signal?: AbortSignal;
  schedule: 'dynamic' | 'static';
}

/** How far imap reads ahead of its loop, in chunks per worker: enough to keep the workers fed between the loop's turns. */
export const STREAMING_CHUNKS_PER_WORKER = 8;


/** The tasks in flight under each signal, behind its one abort listener. */
interface SignalLink {
  tasks: Set<TaskHandle>;
  onAbort: () => void;
}
const signalLinks = new WeakMap<AbortSignal, SignalLink>();

/**
 * Cancels `handles` when `signal` aborts, until `settled`. One listener per signal, however many calls
 * share it, removed once none is in flight: a listener per call warned (MaxListenersExceededWarning) when
 * a decompress of many LZ4 blocks ran a task per block under the caller's signal.
 */
function linkSignal(signal: AbortSignal, handles: TaskHandle[], settled: Promise<unknown>): void {
  let link = signalLinks.get(signal);
  if (!link) {
    const tasks = new Set<TaskHandle>();
    const onAbort = (): void => {
      signalLinks.delete(signal);
      for (const handle of tasks) handle.cancel(signal.reason);
    };
    link = { tasks, onAbort };
    signalLinks.set(signal, link);
    signal.addEventListener('abort', onAbort, { once: true });
  }
  const { tasks, onAbort } = link;
  for (const handle of handles) tasks.add(handle);
  const unlink = (): void => {
    for (const handle of handles) tasks.delete(handle);
    if (tasks.size === 0 && signalLinks.get(signal) === link) {
      signalLinks.delete(signal);
      signal.removeEventListener('abort', onAbort);
    }
  };
  settled.then(unlink, unlink);
}

function toArray(values: Iterable<unknown>, path: string): unknown[] {
  return Array.isArray(values) ? values : Array.from(checkIterable(values, path));
}

function wrapItems(items: Iterable<unknown>, path: string): unknown[][] {
  return toArray(items, path).map((item) => [item]);
}
