/**
 * DEFLATE streams (raw, zlib, gzip) decoded as their bytes arrive, for
 * decompressStream(). Compressed input is gathered until about a part's worth
 * is there, then decoded in a worker by inflate_stream (assembly/kernels/
 * inflate.ts), which stops cleanly where the input runs out: at the start of
 * the block it could not finish. The output up to there is emitted; the
 * block's bytes stay buffered and are decoded again, whole, with the next
 * part, the last 32 KiB of output going along as the window back-references
 * reach into. So memory stays at about a part of input and its output,
 * whatever the stream's length, and at most one block per part is decoded twice.
 */

import { CorruptDataError, OutOfMemoryError, OutputLimitError } from '../errors.js';
import type { Pool } from '../pool/pool.js';
import { kernels } from '../wasm/kernels.js';
import { PendingBytes, concatBytes, inHeap } from './bytes.js';
import { checkZlibHeader, corruption, gzipHeaderLength, type DeflateWrapping } from './inflate.js';

/** DEFLATE's window: the furthest a back-reference reaches. */
const WINDOW = 32 * 1024;
/** Compressed bytes gathered before a part is decoded (while more input is coming). */
const PART_INPUT = 1 << 20;
/** Output room of a part before it is grown; most parts need less than input × ratio anyway. */
const PART_OUTPUT = 4 << 20;
/** The least output room a part is cut down to when the pool's memory has no room for more in one piece. */
const LEAST_PART_OUTPUT = 64 << 10;

type Phase = 'header' | 'body' | 'trailer' | 'after-member' | 'done';

export class StreamingInflater {
  /** Compressed bytes not decoded yet. */
  private readonly pending = new PendingBytes();
  /** gzip: zero bytes followed the last member (padding), so nothing else may. */
  private padded = false;
  private phase: Phase = 'header';
  /** Bits of input[0] that the previous part already used (0-7). */
  private startBit = 0;
  /** The last ≤ 32 KiB of this member's output. */
  private history: Uint8Array = new Uint8Array(0);
  /** Adler-32 (zlib) or CRC-32 (gzip) of this member's output so far. */
  private checksum = 0;
  private memberBytes = 0;
  private produced = 0;
  private members = 0;
  /** Input to gather before the next part: grows while no whole block fits in it. */
  private wanted: number;
  private outputRoom: number;
  /** The last part made no progress (a block longer than its room): the room was grown for it and may not shrink. */
  private growing = false;
  /** While growing: the room that was too small for the block. */
  private tooSmall = 0;
  private readonly what: string;
  private readonly check: 0 | 1 | 2;

  /**
   * `part` sizes the parts (tests make them tiny to cross every boundary); `task`: the decoding tasks'
   * signal and timeout; `earlierOutput`: bytes the caller's stream produced before this decoder took it
   * over (at a gzip member), counted against `limit` like its own.
   */
  constructor(
    private readonly pool: Pool,
    private readonly wrapping: DeflateWrapping,
    private readonly limit: number,
    private readonly part = { input: PART_INPUT, output: PART_OUTPUT },
    private readonly task: { signal?: AbortSignal; timeout?: number } = {},
    earlierOutput = 0,
  ) {
    this.produced = earlierOutput;
    this.what = wrapping === 'deflate' ? 'DEFLATE' : wrapping;
    this.check = wrapping === 'zlib' ? 1 : wrapping === 'gzip' ? 2 : 0;
    this.wanted = part.input;
    this.outputRoom = part.output;
  }

  /** Takes more compressed bytes; calls `emit` with the output they complete. */
  async push(bytes: Uint8Array, emit: (chunk: Uint8Array) => void): Promise<void> {
    if (this.phase === 'done') return; // what follows a finished raw or zlib stream is not ours: not kept either
    this.pending.push(bytes);
    // Put together only when a part is due or the header/trailer may be complete: each byte is then copied
    // about once, not once per piece written.
    if (this.phase !== 'body' || this.pending.length >= this.wanted) await this.drain(false, emit);
  }

  /** The input has ended: decodes the rest, and fails if the stream is incomplete. */
  async finish(emit: (chunk: Uint8Array) => void): Promise<void> {
    await this.drain(true, emit);
    if (this.phase === 'after-member' || this.phase === 'done') return;
    throw new CorruptDataError(`${this.what} data is truncated: the input ended ${this.phase === 'header' ? 'in the header' : this.phase === 'trailer' ? 'in the trailer' : 'inside the stream'}`);
  }

  private async drain(final: boolean, emit: (chunk: Uint8Array) => void): Promise<void> {
    for (;;) {
      if (this.phase === 'header' && !(await this.readHeader(final))) return;
      if (this.phase === 'body' && !(await this.decodePart(final, emit))) return;
      if (this.phase === 'trailer' && !this.readTrailer()) return;
      if (this.phase === 'after-member' && !this.nextMember()) return;
      if (this.phase === 'done') {
        this.pending.consume(this.pending.length);
        return;
      }
    }
  }

  /** Parses a zlib or gzip header once it is all there; false while waiting for more input. */
  private async readHeader(final: boolean): Promise<boolean> {
    const input = this.pending.view();
    let length = 0;
    if (this.wrapping === 'zlib') {
      if (input.length < 2) return false;
      checkZlibHeader(input);
      length = 2;
    } else if (this.wrapping === 'gzip') {
      length = gzipHeaderLength(input, 0, !final, this.members === 0);
      if (length < 0) return false;
      if (input[3]! & 0x02) {
        const scope = this.pool.scope();
        const crc = (await this.pool.apply(kernels.crc32, [inHeap(this.pool, scope, input.subarray(0, length - 2))]).finally(() => scope.release())) & 0xffff;
        if (crc !== (input[length - 2]! | (input[length - 1]! << 8))) throw new CorruptDataError('gzip header CRC mismatch');
      }
    }
    this.pending.consume(length);
    this.phase = 'body';
    this.checksum = this.check === 1 ? 1 : 0;
    this.history = new Uint8Array(0);
    this.memberBytes = 0;
    return true;
  }

  /** Decodes one part; false while waiting for more input. */
  private async decodePart(final: boolean, emit: (chunk: Uint8Array) => void): Promise<boolean> {
    if (!final && this.pending.length < this.wanted) return false;
    const input = this.pending.view();
    const room = Math.min(this.outputRoom, this.limit - this.produced);
    const scope = this.pool.scope();
    let result: [number, number, number, number];
    let output: Uint8Array;
    try {
      const source = inHeap(this.pool, scope, input);
      const window = scope.allocUninitialized(Uint8Array, this.history.length + room);
      window.set(this.history);
      result = await this.pool.apply(kernels.inflateStream, [source, window, this.history.length, this.startBit, this.check, this.checksum], this.task);
      output = window.slice(this.history.length, this.history.length + result[2]);
    } catch (error) {
      await this.pool.givenUpTasksStopped(); // a task given up on may still write into `window`
      if (error instanceof OutOfMemoryError && room > LEAST_PART_OUTPUT && !this.growing) {
        // The pool's memory is short, or free only in smaller pieces: the same part with half the room.
        this.outputRoom = Math.max(LEAST_PART_OUTPUT, room >> 1);
        return true;
      }
      if (error instanceof OutOfMemoryError && this.growing && room - this.tooSmall >= 2 * LEAST_PART_OUTPUT) {
        // Grown past what the pool's memory has in one piece: the block needs more than tooSmall and
        // perhaps much less than this; try halfway between (a block of a few MiB on a 16 MiB pool whose
        // free memory is in pieces failed here, with the room grown 4× to 8 MiB).
        this.outputRoom = this.tooSmall + ((room - this.tooSmall) >> 1);
        return true;
      }
      // Or a block needs more room than the pool's memory holds in one piece: nothing smaller can do.
      throw error;
    } finally {
      scope.release();
    }
    const [code, bits, produced, checksum] = result;
    if (code < -2) throw corruption(this.what, code);
    const progressed = produced > 0 || bits > this.startBit;
    this.growing = false;
    if (produced > 0) {
      this.produced += produced;
      this.memberBytes += produced;
      this.checksum = checksum;
      // A copy: the caller owns the emitted chunk.
      this.history = output.length >= WINDOW ? output.slice(output.length - WINDOW) : concatBytes([this.history, output]).slice(-WINDOW);
      emit(output);
    }
    this.pending.consume(bits >> 3);
    this.startBit = bits & 7;
    if (code >= 0) {
      this.phase = 'trailer';
      this.wanted = this.part.input;
      return true;
    }
    if (code === -1) {
      if (final) throw new CorruptDataError(`${this.what} data is truncated: the input ends inside the stream`);
      // Not one whole block in this part: wait for twice as much input.
      this.wanted = progressed ? this.part.input : Math.max(1, this.pending.length * 2);
      return false;
    }
    // The output room filled inside a block: go on after what was final, with more room if none was.
    if (!progressed) {
      if (room >= this.limit - this.produced) throw new OutputLimitError(`${this.what} output passes \`options.maxOutputLength\` (${this.limit})`);
      this.growing = true;
      this.tooSmall = room;
      this.outputRoom = room * 4;
    }
    return true;
  }

  /** Checks the zlib or gzip trailer once it is there; false while waiting for it. */
  private readTrailer(): boolean {
    const input = this.pending.view();
    if (this.wrapping === 'deflate') {
      this.phase = 'done'; // what follows a raw stream is not ours, as in decompress()
      return true;
    }
    const size = this.wrapping === 'zlib' ? 4 : 8;
    if (input.length < size) return false;
    const view = new DataView(input.buffer, input.byteOffset, size);
    if (this.wrapping === 'zlib') {
      if (view.getUint32(0, false) !== this.checksum) throw new CorruptDataError('zlib Adler-32 mismatch: the data is corrupted');
      this.phase = 'done';
    } else {
      if (view.getUint32(0, true) !== this.checksum) throw new CorruptDataError('gzip CRC-32 mismatch: the data is corrupted');
      if (this.memberBytes % 2 ** 32 !== view.getUint32(4, true)) throw new CorruptDataError('gzip size mismatch: the data is corrupted');
      this.members++;
      this.phase = 'after-member';
    }
    this.pending.consume(size);
    return true;
  }

  /** gzip: another member follows, or zero padding until the end (as gzip(1) accepts). */
  private nextMember(): boolean {
    const input = this.pending.view();
    const padding = input.findIndex((byte) => byte !== 0);
    if (padding < 0) {
      this.padded ||= input.length > 0;
      this.pending.consume(input.length);
      return false;
    }
    if (padding > 0 || this.padded) throw new CorruptDataError('gzip data has zero bytes followed by more data after a member');
    this.phase = 'header';
    return true;
  }
}
