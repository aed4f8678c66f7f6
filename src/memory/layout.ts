/**
 * The layout of a pool's shared WebAssembly.Memory.
 *
 * ```
 *  byte 0        ┌──────────────────────────────────────────────┐
 *                │ STATIC DATA (64 KiB): the wasm module's data  │  kernels have none; checked at load
 *  CONTROL_PTR   ├──────────────────────────────────────────────┤
 *                │ CONTROL WORDS (4 KiB of Int32): heap lock,    │  see CONTROL below
 *                │ heap bounds, wake-up futexes, shutdown flag   │
 *  SUBMIT_RING   ├──────────────────────────────────────────────┤
 *                │ shared submit ring: any idle worker takes     │  RING_BYTES
 *  DONE_RING     ├──────────────────────────────────────────────┤
 *                │ completion ring: workers → main thread        │  RING_BYTES
 *  WORKER_RINGS  ├──────────────────────────────────────────────┤
 *                │ MAX_WORKERS private rings (static schedule)   │  MAX_WORKERS × RING_BYTES
 *  SLOTS_PTR     ├──────────────────────────────────────────────┤
 *                │ SLOT_COUNT task slots of SLOT_BYTES each:     │  see SLOT below
 *                │ state, owner, function, arguments/result      │
 *  FUNCTIONS_PTR ├──────────────────────────────────────────────┤
 *                │ FUNCTION_COUNT entries: kind, source ptr/len  │
 *  HEAP_START    ├──────────────────────────────────────────────┤
 *                │ HEAP: blocks of [16-byte header | data],      │  grows with memory.grow
 *                │ see heap.ts                                   │
 *  memory end    └──────────────────────────────────────────────┘
 * ```
 *
 * Every ring holds slot indices; at most SLOT_COUNT tasks exist at once, and
 * rings have twice as many cells (RING_CAPACITY). `assembly/layout.ts` repeats
 * HEAP_START for the kernels' pointer checks; a test keeps the two equal.
 */

export const PAGE_BYTES = 65536;
export const STATIC_DATA_BYTES = PAGE_BYTES;

/** Task slots in flight at once; more tasks wait in a JS-side backlog. Power of two. */
export const SLOT_COUNT = 4096;
export const SLOT_BYTES = 256;
/** Upper bound on `options.workers`: each worker has a private ring in the layout. */
export const MAX_WORKERS = 64;
/** Distinct functions (inline sources and module exports) a pool can register. */
export const FUNCTION_COUNT = 4096;
export const FUNCTION_ENTRY_BYTES = 16;

/**
 * A ring is a 128-byte header (enqueue and dequeue positions on separate
 * 64-byte lines) and RING_CAPACITY cells of [sequence, value]. Twice the slot
 * count, because a consumer preempted between claiming a cell and releasing
 * it keeps that cell busy for a whole lap: with 2× the cells, a push finds it
 * occupied only if that one consumer stalls for thousands of tasks, and then
 * the pusher retries rather than drop anything (see ring.ts).
 */
export const RING_CAPACITY = 2 * SLOT_COUNT;
export const RING_HEADER_BYTES = 128;
export const RING_BYTES = RING_HEADER_BYTES + RING_CAPACITY * 8;

export const CONTROL_PTR = STATIC_DATA_BYTES;
export const CONTROL_BYTES = 4096;
export const SUBMIT_RING_PTR = CONTROL_PTR + CONTROL_BYTES;
export const DONE_RING_PTR = SUBMIT_RING_PTR + RING_BYTES;
export const WORKER_RINGS_PTR = DONE_RING_PTR + RING_BYTES;
export const SLOTS_PTR = WORKER_RINGS_PTR + MAX_WORKERS * RING_BYTES;
export const FUNCTIONS_PTR = SLOTS_PTR + SLOT_COUNT * SLOT_BYTES;
const CONTROL_END = FUNCTIONS_PTR + FUNCTION_COUNT * FUNCTION_ENTRY_BYTES;
/** First byte of the heap: the control region rounded up to a page. */
export const HEAP_START = Math.ceil(CONTROL_END / PAGE_BYTES) * PAGE_BYTES;

/** Byte address of worker `index`'s private ring. */
export const workerRingPtr = (index: number): number => WORKER_RINGS_PTR + index * RING_BYTES;

/**
 * Int32 word indices (not bytes) into the memory for the control words.
 * Each group sits on its own 64-byte line so that threads polling one do not
 * invalidate the others' cache lines.
 */
export const CONTROL = {
  /** Allocator spin lock: 0 when free, else the holder's thread tag. */
  HEAP_LOCK: CONTROL_PTR / 4,
  /** Byte address one past the last heap block. */
  HEAP_END: CONTROL_PTR / 4 + 1,
  /** Byte address of the block where the next first-fit search starts. */
  HEAP_ROVER: CONTROL_PTR / 4 + 2,
  /** Bytes currently allocated (headers included), for statistics. */
  HEAP_USED: CONTROL_PTR / 4 + 3,
  /** Set to 1 when the pool shuts down: idle workers leave their loop. */
  SHUTDOWN: CONTROL_PTR / 4 + 16,
  /** Futex the main thread sleeps on while waiting for completions. */
  MAIN_WAKE: CONTROL_PTR / 4 + 32,
  /** 1 while the main thread sleeps on MAIN_WAKE (workers notify only then). */
  MAIN_SLEEPING: CONTROL_PTR / 4 + 33,
  /**
   * 1 while the main thread's sleep is a short poll (it wakes by itself within MAIN_POLL_MS):
   * a worker that finishes a task while more are queued then leaves the completion for the poll.
   */
  MAIN_POLLING: CONTROL_PTR / 4 + 34,
  /** Per-worker futexes, one 64-byte line each: [wake counter, sleeping flag, kernel scratch block]. */
  WORKER_WAKE_BASE: CONTROL_PTR / 4 + 48,
} as const;
export const WORKER_WAKE_STRIDE = 16; // words: one cache line per worker
export const workerWakeIndex = (worker: number): number => CONTROL.WORKER_WAKE_BASE + worker * WORKER_WAKE_STRIDE;
export const workerSleepingIndex = (worker: number): number => workerWakeIndex(worker) + 1;
/**
 * The heap block a worker keeps as kernel scratch (0: none), so that the main thread can free it when the
 * worker exits or is terminated (a timeout, an abort): each replaced worker left its scratch behind.
 */
export const workerScratchIndex = (worker: number): number => workerWakeIndex(worker) + 2;

/**
 * A task slot, SLOT_BYTES long. Word offsets (Int32) from the slot's first word:
 *
 * ```
 *  word 0  STATE        SlotState, changed with compareExchange only
 *  word 1  OWNER        thread tag of the worker running it
 *  word 2  FUNCTION     function id (kernels are negative: -1 - kernel index)
 *  word 3  FLAGS        SlotFlags: chunked call, error result, spilled payload
 *  word 4  LENGTH       payload byte length (arguments, then the result)
 *  word 5  SPILL_PTR    heap block holding a payload too large for the slot, or 0
 *  word 6  ITEM_COUNT   items in a chunked call
 *  word 8  STARTED_AT   (float64) Date.now() when a worker started the task
 *  byte 64 PAYLOAD      up to PAYLOAD_BYTES of encoded arguments / result
 * ```
 */
export const SLOT = {
  STATE: 0,
  OWNER: 1,
  FUNCTION: 2,
  FLAGS: 3,
  LENGTH: 4,
  SPILL_PTR: 5,
  ITEM_COUNT: 6,
  /** Float64 index within the slot (byte 32). */
  STARTED_AT_F64: 4,
  PAYLOAD_OFFSET: 64,
} as const;
export const PAYLOAD_BYTES = SLOT_BYTES - SLOT.PAYLOAD_OFFSET;
export const slotPtr = (slot: number): number => SLOTS_PTR + slot * SLOT_BYTES;

/** Life of a slot. Only compareExchange moves it between the states that two threads race on. */
export const SlotState = {
  FREE: 0,
  /** Main thread wrote the arguments and pushed it on a ring. */
  QUEUED: 1,
  /** A worker took it (QUEUED → RUNNING). */
  RUNNING: 2,
  /** The worker wrote the result (RUNNING → DONE) and pushed it on the completion ring. */
  DONE: 3,
  /** Main thread cancelled it before any worker took it (QUEUED → CANCELLED); the worker hands it back untouched. */
  CANCELLED: 4,
  /** Main thread gave up on it while running (RUNNING → ABANDONED); the worker is being terminated. */
  ABANDONED: 5,
} as const;
export type SlotState = (typeof SlotState)[keyof typeof SlotState];

export const SlotFlags = {
  /** The payload is an array of argument lists; the result an array of results. */
  CHUNK: 1,
  /** The result payload is an encoded error. */
  ERROR: 2,
} as const;
export type SlotFlags = (typeof SlotFlags)[keyof typeof SlotFlags];

/** Function table entry, FUNCTION_ENTRY_BYTES long: word 0 kind, 1 source ptr, 2 source byte length. */
export const FunctionKind = {
  EMPTY: 0,
  INLINE: 1,
  MODULE: 2,
} as const;
export type FunctionKind = (typeof FunctionKind)[keyof typeof FunctionKind];
export const functionEntryIndex = (id: number): number => (FUNCTIONS_PTR + id * FUNCTION_ENTRY_BYTES) / 4;

/** The number of 64 KiB pages the memory starts with when no size is given: control region plus 16 MiB of heap. */
export const DEFAULT_INITIAL_BYTES = HEAP_START + 16 * 1024 * 1024;
/** Default ceiling for memory growth. */
export const DEFAULT_MAXIMUM_BYTES = 1024 * 1024 * 1024;
/** wasm32's hard ceiling: 65536 pages. */
export const MAXIMUM_MEMORY_BYTES = 65536 * PAGE_BYTES;
