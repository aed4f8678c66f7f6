/** Byte-buffer helpers shared by the codecs. */

import { ArgumentTypeError, OutOfMemoryError, describe } from '../errors.js';
import type { AllocationScope } from '../memory/allocator.js';
import type { Pool } from '../pool/pool.js';
import { allSettled } from '../pool/settle.js';

/** The concatenation of `parts`, written into `into` when given (it must be long enough), else into a new array. */
export function concatBytes(parts: readonly Uint8Array[], into?: Uint8Array): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = into ?? new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return into ? out.subarray(0, total) : out;
}

/**
 * Where a compressor writes its result once it knows the size: a new array (the default), or the
 * start of an array of the caller's (compress's `out`), which then must be long enough.
 */
export type ResultArray = (bytes: number) => Uint8Array;

export const newResultArray: ResultArray = (bytes) => new Uint8Array(bytes);

/** The start of `out`, or `tooSmall(bytes)` thrown when the result does not fit. */
export function resultIn(out: Uint8Array, tooSmall: (bytes: number) => Error): ResultArray {
  return (bytes) => {
    if (bytes > out.length) throw tooSmall(bytes);
    return out.subarray(0, bytes);
  };
}

/** A copy of `bytes` as a plain Uint8Array: `slice` on a Node Buffer (a Uint8Array too) returns a view, not a copy. */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/**
 * A chunk written to a stream, as bytes: a Uint8Array (a Buffer too), the bytes of another ArrayBuffer view,
 * or of an ArrayBuffer, as CompressionStream takes them; anything else is an ArgumentTypeError.
 */
export function chunkBytes(chunk: unknown, stream: string): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && chunk instanceof SharedArrayBuffer)) return new Uint8Array(chunk);
  throw new ArgumentTypeError('chunk', `chunks written to ${stream} must be bytes (a Uint8Array, another ArrayBuffer view, or an ArrayBuffer); got ${describe(chunk)}`);
}

/**
 * Collects written pieces and hands them back as chunks of exactly `size`
 * bytes: each byte is copied twice, once when written (the writer may reuse
 * its buffer) and once into its chunk, however small the pieces (appending to
 * one growing buffer would copy it again for every piece).
 */
export class ChunkAccumulator {
  private parts: Uint8Array[] = [];
  private buffered = 0;

  constructor(private readonly size: number) {}

  /** Adds `bytes` (copied) and returns the full chunks now available. */
  push(bytes: Uint8Array): Uint8Array[] {
    this.parts.push(copyBytes(bytes));
    this.buffered += bytes.length;
    const chunks: Uint8Array[] = [];
    while (this.buffered >= this.size) chunks.push(this.take(this.size));
    return chunks;
  }

  /** Whatever is left (possibly empty). */
  rest(): Uint8Array {
    return this.take(this.buffered);
  }

  private take(length: number): Uint8Array {
    const chunk = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      const part = this.parts[0]!;
      const used = Math.min(part.length, length - filled);
      chunk.set(part.subarray(0, used), filled);
      filled += used;
      if (used === part.length) this.parts.shift();
      else this.parts[0] = part.subarray(used);
    }
    this.buffered -= length;
    return chunk;
  }
}

/**
 * Where a decoder's output goes, piece by piece, from views of the pool's
 * memory that are reused afterwards: into new arrays of the caller's own, or
 * into an array the caller gave (decompress's `out`), which saves allocating
 * (and, on first touch, faulting in) fresh memory for every result.
 */
export interface OutputSink {
  /** Bytes written so far. */
  readonly length: number;
  /**
   * Before the first write: the output will be `bytes` long (a size the input declares, checked for
   * plausibility by the caller). A hint: the sink may allocate for it at once.
   */
  reserve(bytes: number): void;
  /**
   * Where the next `bytes` bytes go, when the sink writes into an array it was given with room for
   * them (else undefined): a decoder may write them there itself (see placeInPool); such a view,
   * passed to write, is only counted, not copied.
   */
  place?(bytes: number): Uint8Array | undefined;
  write(view: Uint8Array): void;
  /** Everything written, as one array. */
  result(): Uint8Array;
}

/**
 * Copies each piece out; one piece is returned as it is, several are joined, unless the total was
 * announced (reserve): then they go straight into one array of that size, each byte copied (and its
 * new memory touched) once, not twice. Past that size it goes back to pieces. The array is made at
 * the first write, once the input has yielded output: a corrupted header's size costs nothing.
 */
export class NewArraySink implements OutputSink {
  private parts: Uint8Array[] = [];
  private announced = 0;
  private reserved: Uint8Array | undefined;
  length = 0;

  reserve(bytes: number): void {
    if (this.length === 0) this.announced = bytes;
  }

  write(view: Uint8Array): void {
    if (this.length === 0 && !this.reserved && view.length > 0 && view.length <= this.announced) this.reserved = new Uint8Array(this.announced);
    if (this.reserved) {
      if (this.length + view.length <= this.reserved.length) {
        this.reserved.set(view, this.length);
        this.length += view.length;
        return;
      }
      this.parts.push(this.reserved.subarray(0, this.length));
      this.reserved = undefined;
    }
    this.parts.push(view.slice());
    this.length += view.length;
  }

  result(): Uint8Array {
    if (this.reserved) return this.length === this.reserved.length ? this.reserved : this.reserved.slice(0, this.length);
    return this.parts.length === 1 ? this.parts[0]! : concatBytes(this.parts);
  }
}

/** Whether two views share bytes: views of one buffer, or both of the pool's memory (whose buffer object changes as it grows). */
export function overlapping(pool: Pool, a: ArrayBufferView, b: ArrayBufferView): boolean {
  const oneMemory = a.buffer === b.buffer || (pool.isShared(a) && pool.isShared(b));
  return oneMemory && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/**
 * Where a decoder reading `input` (in the pool's memory) may write the sink's next `bytes` bytes itself:
 * the caller's array when it is in the pool's memory too and clear of the input, else undefined.
 */
export function placeInPool(pool: Pool, sink: OutputSink, bytes: number, input: Uint8Array): Uint8Array | undefined {
  const view = sink.place?.(bytes);
  return view && pool.isShared(view) && !overlapping(pool, view, input) ? view : undefined;
}

/** Copies each piece into `out`; writing past its end fails with `overflow()`. */
export class IntoArraySink implements OutputSink {
  length = 0;

  constructor(
    private readonly out: Uint8Array,
    private readonly overflow: () => Error,
  ) {}

  reserve(): void {} // the caller's array is there already

  place(bytes: number): Uint8Array | undefined {
    return this.length + bytes <= this.out.length ? this.out.subarray(this.length, this.length + bytes) : undefined;
  }

  write(view: Uint8Array): void {
    if (this.length + view.length > this.out.length) throw this.overflow();
    // A view of place() is where it would be copied to already.
    if (view.buffer !== this.out.buffer || view.byteOffset !== this.out.byteOffset + this.length) this.out.set(view, this.length);
    this.length += view.length;
  }

  result(): Uint8Array {
    return this.out.subarray(0, this.length);
  }
}

/**
 * Bytes written in pieces and read from the front, for the streaming
 * decoders: pieces are put together only when the reader looks (`view`), so
 * a decoder that waits for a whole block copies each byte about once, not
 * once per piece written. Pieces are copied when written: the writer may
 * reuse its buffers.
 */
export class PendingBytes {
  private joined: Uint8Array = new Uint8Array(0);
  private pieces: Uint8Array[] = [];
  private piecesLength = 0;

  get length(): number {
    return this.joined.length + this.piecesLength;
  }

  push(bytes: Uint8Array): void {
    this.pieces.push(copyBytes(bytes));
    this.piecesLength += bytes.length;
  }

  /** Everything pending, as one array (valid until the next push or consume). */
  view(): Uint8Array {
    if (this.pieces.length > 0) {
      this.joined = concatBytes([this.joined, ...this.pieces]);
      this.pieces = [];
      this.piecesLength = 0;
    }
    return this.joined;
  }

  /** Drops the first `bytes` (at most what is pending). */
  consume(bytes: number): void {
    this.joined = this.view().subarray(bytes);
  }
}

/** `data` itself if it already lives in the pool's memory, else a copy there (freed with the scope). */
export function inHeap(pool: Pool, scope: AllocationScope, data: Uint8Array): Uint8Array {
  if (pool.isShared(data)) return data;
  const copy = scope.allocUninitialized(Uint8Array, data.length);
  copy.set(data);
  return copy;
}

/**
 * `count` areas of `bytesEach` bytes, in one block of the pool's memory (freed with the scope); when
 * they do not fit with `headroom` bytes left free beside them (the workers' kernel scratch, taken on
 * first use), half as many, down to one (OutOfMemoryError if not even one fits). Returns the block and
 * how many areas it holds.
 */
export function allocAreas(pool: Pool, scope: AllocationScope, count: number, bytesEach: number, headroom = 0): { areas: Uint8Array; count: number } {
  for (let n = Math.max(1, count); ; n >>= 1) {
    let spare: Uint8Array | undefined;
    try {
      // Held while the areas are placed, so that the heap has that much left once it is freed.
      if (headroom > 0) spare = pool.alloc(Uint8Array, headroom);
      return { areas: scope.allocUninitialized(Uint8Array, n * bytesEach), count: n };
    } catch (error) {
      if (!(error instanceof OutOfMemoryError) || n === 1) throw error;
    } finally {
      if (spare) pool.free(spare);
    }
  }
}

/**
 * Runs `count` jobs through `window` areas of memory: job i is started by `start(i, area)` (which
 * returns its task) once job i − window, which used the same area, has ended. Resolves once all have;
 * on a failure, once every started job has ended (they write into the areas the caller then frees),
 * with the first failure.
 */
export async function throughWindow(count: number, window: number, start: (i: number, area: number) => Promise<void>): Promise<void> {
  const tasks: Promise<void>[] = [];
  try {
    for (let i = 0; i < count; i++) {
      if (i >= window) await tasks[i - window];
      const task = start(i, i % window);
      task.catch(() => {}); // awaited in turn: a later one failing while an earlier one is awaited is not unhandled
      tasks.push(task);
      await null; // ends the burst: the next submission wakes another sleeping worker at once
    }
    await allSettled(tasks);
  } catch (error) {
    await Promise.allSettled(tasks);
    throw error;
  }
}
