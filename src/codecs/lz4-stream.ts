/**
 * LZ4 frames decoded as their bytes arrive, for decompressStream(). The
 * frames are parsed piece by piece (lz4-frame.ts); complete blocks queue up
 * and are decoded as soon as there is one per worker, or the frame ends:
 * blocks of independent frames at once across the pool, linked ones one after
 * another after the 64 KiB of output they may refer to. Output is emitted in
 * order. Checksums are checked as decompress() checks them: the header's, each
 * block's, and the content's (xxHash32 carried from block to block). Memory
 * stays at about one block per worker, whatever the stream's length.
 */

import { CorruptDataError, OutputLimitError } from '../errors.js';
import type { Pool } from '../pool/pool.js';
import type { KernelExports } from '../wasm/kernels.js';
import { codecHint } from './sniff.js';
import { PendingBytes, inHeap } from './bytes.js';
import { decodeIndependent, decodeLinked, explainDictionary, type TaskSettings } from './lz4-blocks.js';
import {
  FLAG_BLOCK_CHECKSUM, FLAG_CONTENT_CHECKSUM, FLAG_INDEPENDENT, LZ4_MAGIC, SKIPPABLE_MAGIC, SKIPPABLE_MASK, UNCOMPRESSED_BIT,
  notAFrame, readFrameDescriptor, type FrameDescriptor,
} from './lz4-frame.js';

/** Blocks go to the workers one task each. */
const TASK = { chunksize: 1 };

type Phase = 'magic' | 'skip' | 'descriptor' | 'blocks' | 'checksum';

/** A block whose bytes have all arrived. */
interface QueuedBlock {
  payload: Uint8Array;
  uncompressed: boolean;
  checksum?: number;
  /** Offset of its payload in the whole stream, for error messages. */
  offset: number;
}

/** Thrown by `need` while a header is incomplete: wait for more input. */
class Incomplete {}

export class StreamingLz4Decoder {
  /** Bytes not parsed yet. */
  private readonly pending = new PendingBytes();
  /** Bytes the parser needs before it can take its next step (so pieces are put together about once). */
  private needed = 0;
  /** Stream offset of input[0]. */
  private offset = 0;
  private phase: Phase = 'magic';
  private skipping = 0;
  private frame?: FrameDescriptor;
  private frameBytes = 0;
  private frames = 0;
  private queue: QueuedBlock[] = [];
  /** Linked frames: the last ≤ 64 KiB of the frame's output. */
  private history: Uint8Array = new Uint8Array(0);
  /** A block's bytes are read from `this.input`, the pending bytes put together. */
  private get input(): Uint8Array {
    return this.pending.view();
  }
  private produced = 0;
  private local?: KernelExports;
  /**
   * The content hash's state, kept here between blocks and copied into the pool's memory only while a
   * kernel updates or reads it: a stream its reader abandons (cancel, abort) leaves nothing in the pool.
   */
  private hashState?: Uint8Array;

  /** Each block's task: one at a time per worker, with the caller's signal and timeout. */
  private readonly task: TaskSettings;

  constructor(
    private readonly pool: Pool,
    private readonly limit: number,
    task: { signal?: AbortSignal; timeout?: number } = {},
  ) {
    this.task = { ...TASK, signal: task.signal, timeout: task.timeout };
  }

  /** Takes more bytes; calls `emit` with the output they complete. */
  async push(bytes: Uint8Array, emit: (chunk: Uint8Array) => void): Promise<void> {
    this.pending.push(bytes);
    if (this.pending.length >= this.needed) await this.drain(emit);
  }

  /** The input has ended: decodes the rest, and fails if a frame is incomplete. */
  async finish(emit: (chunk: Uint8Array) => void): Promise<void> {
    await this.drain(emit);
    if (this.phase !== 'magic' || this.input.length > 0) {
      throw new CorruptDataError(`LZ4 frame truncated: the input ended ${this.phase === 'magic' ? 'in a magic number' : this.phase === 'skip' ? 'in a skippable frame' : `in the ${this.phase === 'checksum' ? 'content checksum' : this.phase === 'descriptor' ? 'frame descriptor' : 'blocks'}`} at offset ${this.offset + this.input.length}`);
    }
    // Skippable frames alone are a valid (empty) input, as for decompress() and the lz4 tool; no bytes are not.
    if (this.frames === 0 && this.offset === 0) throw new CorruptDataError('LZ4 input is empty: a frame has at least 7 header bytes');
  }

  /** Runs `use` on the content hash's state, copied into the pool's memory for it (and back). */
  private withHashState<T>(use: (state: number) => T): T {
    const scope = this.pool.scope();
    try {
      const state = scope.allocUninitialized(Uint8Array, this.hashState!.length);
      state.set(this.hashState!);
      const result = use(state.byteOffset);
      this.hashState!.set(state);
      return result;
    } finally {
      scope.release();
    }
  }

  private async drain(emit: (chunk: Uint8Array) => void): Promise<void> {
    this.needed = 0;
    this.local ??= await this.pool.mainThreadKernels();
    for (;;) {
      const progressed =
        this.phase === 'magic' ? this.readMagic()
        : this.phase === 'skip' ? this.skip()
        : this.phase === 'descriptor' ? this.readDescriptor()
        : this.phase === 'blocks' ? await this.readBlock(emit)
        : this.readContentChecksum();
      if (!progressed) break;
    }
    // Emit what is complete now rather than wait for a full batch.
    if (this.queue.length > 0) await this.decodeQueue(emit);
  }

  /** False, after noting that `bytes` are needed before the next step. */
  private wait(bytes: number): false {
    this.needed = bytes;
    return false;
  }

  private consume(bytes: number): void {
    this.pending.consume(bytes);
    this.offset += bytes;
  }

  private readMagic(): boolean {
    if (this.input.length < 4) return this.wait(4);
    const view = new DataView(this.input.buffer, this.input.byteOffset, this.input.length);
    const magic = view.getUint32(0, true);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (this.input.length < 8) return this.wait(8);
      this.skipping = view.getUint32(4, true);
      this.consume(8);
      this.phase = 'skip';
      return true;
    }
    if (magic !== LZ4_MAGIC) throw notAFrame(magic, this.offset, this.frames === 0 ? codecHint(this.input, 0, 'lz4') : '');
    this.consume(4);
    this.phase = 'descriptor';
    return true;
  }

  private skip(): boolean {
    const skipped = Math.min(this.skipping, this.input.length);
    this.consume(skipped);
    this.skipping -= skipped;
    if (this.skipping > 0) return this.wait(1);
    this.phase = 'magic';
    return true;
  }

  private readDescriptor(): boolean {
    let frame: FrameDescriptor;
    try {
      frame = readFrameDescriptor(
        this.input,
        0,
        (bytes, _what, at) => {
          if (this.input.length - at < bytes) throw new Incomplete();
        },
        this.offset,
      );
    } catch (error) {
      if (error instanceof Incomplete) return this.wait(this.input.length + 1);
      throw error;
    }
    const { offset, length, checksum } = frame.descriptor;
    const scope = this.pool.scope();
    try {
      if (((this.hash(inHeap(this.pool, scope, this.input.subarray(offset, offset + length))) >>> 8) & 0xff) !== checksum) {
        throw new CorruptDataError(`LZ4 frame header checksum mismatch at offset ${this.offset + offset + length}`);
      }
    } finally {
      scope.release();
    }
    this.consume(frame.end);
    this.frame = frame;
    this.frameBytes = 0;
    this.history = new Uint8Array(0);
    if (frame.flg & FLAG_CONTENT_CHECKSUM) {
      this.hashState ??= new Uint8Array(this.local!.xxhashStateBytes());
      this.withHashState((state) => this.local!.xxhash32_reset(state, 0));
    }
    if (frame.contentSize !== undefined && this.produced + frame.contentSize > this.limit) {
      throw new OutputLimitError(`LZ4 frame declares ${frame.contentSize} bytes, past \`options.maxOutputLength\` (${this.limit})`);
    }
    this.phase = 'blocks';
    return true;
  }

  /** Queues the next block once it is all there; at the end mark, finishes the frame's blocks. */
  private async readBlock(emit: (chunk: Uint8Array) => void): Promise<boolean> {
    const frame = this.frame!;
    if (this.input.length < 4) return this.wait(4);
    const word = new DataView(this.input.buffer, this.input.byteOffset, 4).getUint32(0, true);
    if (word === 0) {
      this.consume(4);
      if (this.queue.length > 0) await this.decodeQueue(emit);
      if (frame.contentSize !== undefined && this.frameBytes !== frame.contentSize) {
        throw new CorruptDataError(`LZ4 frame declares ${frame.contentSize} bytes of content but its blocks hold ${this.frameBytes}`);
      }
      if (frame.flg & FLAG_CONTENT_CHECKSUM) this.phase = 'checksum';
      else this.endFrame();
      return true;
    }
    const length = (word & ~UNCOMPRESSED_BIT) >>> 0;
    if (length > frame.blockMaxSize) throw new CorruptDataError(`LZ4 block at offset ${this.offset} claims ${length} bytes, more than the frame's block maximum ${frame.blockMaxSize}`);
    const hasChecksum = (frame.flg & FLAG_BLOCK_CHECKSUM) !== 0;
    if (this.input.length < 4 + length + (hasChecksum ? 4 : 0)) return this.wait(4 + length + (hasChecksum ? 4 : 0));
    const block: QueuedBlock = { payload: this.input.slice(4, 4 + length), uncompressed: (word & UNCOMPRESSED_BIT) !== 0, offset: this.offset + 4 };
    if (hasChecksum) block.checksum = new DataView(this.input.buffer, this.input.byteOffset + 4 + length, 4).getUint32(0, true);
    this.consume(4 + length + (hasChecksum ? 4 : 0));
    this.queue.push(block);
    if (this.queue.length >= this.pool.workers) await this.decodeQueue(emit);
    return true;
  }

  private readContentChecksum(): boolean {
    if (this.input.length < 4) return this.wait(4);
    const expected = new DataView(this.input.buffer, this.input.byteOffset, 4).getUint32(0, true);
    if (this.withHashState((state) => this.local!.xxhash32_digest(state)) >>> 0 !== expected) throw new CorruptDataError('LZ4 content checksum mismatch: the data is corrupted');
    this.consume(4);
    this.endFrame();
    return true;
  }

  private endFrame(): void {
    this.frames++;
    this.frame = undefined;
    this.phase = 'magic';
  }

  /** Decodes the queued blocks (lz4-blocks.ts) and emits their output, in order. */
  private async decodeQueue(emit: (chunk: Uint8Array) => void): Promise<void> {
    const frame = this.frame!;
    const queued = this.queue;
    this.queue = [];
    const scope = this.pool.scope();
    try {
      const blocks = queued.map((block) => ({ ...block, payload: inHeap(this.pool, scope, block.payload) }));
      for (const block of blocks) {
        if (block.checksum !== undefined && this.hash(block.payload) !== block.checksum) {
          throw new CorruptDataError(`LZ4 block checksum mismatch for the block at offset ${block.offset}`);
        }
      }
      const output = (view: Uint8Array): void => this.output(view, emit);
      const limits = { room: this.limit - this.produced, max: this.limit };
      if (frame.flg & FLAG_INDEPENDENT) await decodeIndependent(this.pool, scope, blocks, frame.blockMaxSize, output, limits, this.task);
      else this.history = await decodeLinked(this.pool, scope, blocks, frame.blockMaxSize, output, limits, this.task, this.history);
    } catch (error) {
      await this.pool.givenUpTasksStopped(); // a block's task given up on (timeout, abort) may still write into the scope
      throw explainDictionary(error, frame.dictionaryId);
    } finally {
      scope.release();
    }
  }

  /** Counts, hashes and emits one block's output (still in the pool's memory). */
  private output(bytes: Uint8Array, emit: (chunk: Uint8Array) => void): void {
    this.produced += bytes.length;
    if (this.produced > this.limit) throw new OutputLimitError(`LZ4 output passes \`options.maxOutputLength\` (${this.limit})`);
    this.frameBytes += bytes.length;
    if (this.frame!.flg & FLAG_CONTENT_CHECKSUM) this.withHashState((state) => this.local!.xxhash32_update(state, bytes.byteOffset, bytes.length));
    if (bytes.length > 0) emit(bytes.slice());
  }

  /** xxHash32 of bytes in the pool's memory, on this thread. */
  private hash(bytes: Uint8Array): number {
    return this.local!.xxhash32(bytes.byteOffset, bytes.length, 0) >>> 0;
  }
}
