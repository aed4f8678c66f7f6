/**
 * `compress(data, options)` and `decompress(data, options)`: byte codecs run
 * on a pool. LZ4 frames (readable and writable by the `lz4` tool) are cut into
 * independent blocks that the workers compress, and decompress, at once.
 * DEFLATE streams (raw, zlib, gzip) are in deflate.ts and inflate.ts.
 */

import { ArgumentRangeError, CorruptDataError, OutOfMemoryError, OutputLimitError, describe, ArgumentTypeError } from '../errors.js';
import type { AllocationScope } from '../memory/allocator.js';
import { checkInteger, checkObject, checkOneOf, checkTaskOptions, reject } from '../options.js';
import { defaultPool } from '../pool/default-pool.js';
import type { Pool, TaskOptions } from '../pool/pool.js';
import { allSettled, takeInOrder } from '../pool/settle.js';
import { kernels } from '../wasm/kernels.js';
import { deflateWrapped, deflateWrappedInTurn } from './deflate.js';
import { inflateWrapped, type DeflateWrapping } from './inflate.js';
import { StreamingInflater } from './inflate-stream.js';
import { StreamingLz4Decoder } from './lz4-stream.js';
import { IntoArraySink, NewArraySink, copyBytes, allocAreas, inHeap, newResultArray, overlapping, placeInPool, resultIn, throughWindow, type OutputSink, type ResultArray } from './bytes.js';
import { blockError, decodeIndependent, decodeLinked, explainDictionary, type TaskSettings } from './lz4-blocks.js';
import { BLOCK_SIZES, blockSizeWord, frameHeader, parseFrames, type FrameHeaderOptions, type ParsedFrame } from './lz4-frame.js';

/** Codecs: LZ4 frames, and DEFLATE streams raw, in zlib or in gzip wrapping (written and read alike). */
export type Codec = 'lz4' | DeflateWrapping;
export const CODECS = ['lz4', 'deflate', 'zlib', 'gzip'] as const;
const BLOCK_SIZE_IDS = new Map(Object.entries(BLOCK_SIZES).map(([id, size]) => [size, Number(id)]));

/** Options of `compress`. */
export interface CompressOptions extends TaskOptions {
  /** @default 'lz4' */
  codec?: Codec;
  /**
   * DEFLATE codecs: 0 (stored) to 9 (smallest), as zlib's levels. @default 6.
   * LZ4: as the lz4 tool's levels: 1-2 the fast compressor, 3-12 high compression (slower to
   * compress, smaller, as fast to decompress; 10-12 parse optimally, as the tool). @default 1
   */
  level?: number;
  /** LZ4 levels 1-2: ≥ 1, higher trades ratio for speed (the lz4 tool's `--fast=N`). @default 1 */
  acceleration?: number;
  /** LZ4: bytes per block (64 KiB, 256 KiB, 1 MiB or 4 MiB); blocks are compressed in parallel. @default 4 MiB */
  blockSize?: number;
  /** Append an xxHash32 of the content (checked by every reader). @default true */
  contentChecksum?: boolean;
  /**
   * Write the compressed stream into this array (ordinary or shared) instead of a new one; the result
   * is then `out.subarray(0, length)`. A stream that does not fit is an OutputLimitError, `out`
   * untouched (found once the stream is compressed and its size known). Saves a new array per call:
   * on machines where first use of new memory is slow, that is a large part of a fast codec's time.
   */
  out?: Uint8Array;
  /** @default defaultPool() */
  pool?: Pool;
}

/** Options of `decompress`. */
export interface DecompressOptions extends TaskOptions {
  /** @default 'lz4' */
  codec?: Codec;
  /** The most bytes decompression may produce; more is an OutputLimitError. @default 1 GiB */
  maxOutputLength?: number;
  /**
   * Decode into this array (ordinary or shared) instead of a new one; the result is then
   * `out.subarray(0, length)`. Output that does not fit is an OutputLimitError. Saves allocating
   * a new array per call when the size is known, e.g. straight into a typed array's bytes. Bytes of
   * `out` past the result may have been written too (parts decoded in place before the input proved
   * shorter than it declared), and all of `out` when the call fails.
   */
  out?: Uint8Array;
  /**
   * DEFLATE codecs: the expected output size, when the caller knows it. zlib and raw streams do not
   * record their size, so without it the output buffer is guessed and may be grown (decoding again).
   */
  sizeHint?: number;
  /** @default defaultPool() */
  pool?: Pool;
}

/** `level` for `codec` (LZ4 1-12, the DEFLATE codecs 0-9 as zlib's), `fallback` when not given. */
export function checkLevel(codec: Codec, level: unknown, fallback: number): number {
  return codec === 'lz4' ? checkInteger(level ?? fallback, 'options.level', 1, 12) : checkInteger(level ?? fallback, 'options.level', 0, 9);
}

/**
 * The block compressor for an LZ4 level (the lz4 tool's: 1-2 fast, with
 * `acceleration`; 3-9 LZ4HC's hash-chain parser, trying 2^(level − 1)
 * earlier positions per position; 10-12 its optimal parser) and its parameter.
 */
export function lz4BlockKernel(level: unknown, acceleration: unknown): { kernel: typeof kernels.lz4CompressBlock; parameter: number } {
  const lz4Level = checkLevel('lz4', level, 1);
  if (lz4Level >= 3) {
    if (acceleration !== undefined) throw new ArgumentRangeError('options.acceleration', `\`options.acceleration\` applies to the fast LZ4 levels 1-2; level ${lz4Level} is high compression`);
    if (lz4Level >= 10) return { kernel: kernels.lz4CompressBlockOpt, parameter: lz4Level };
    return { kernel: kernels.lz4CompressBlockHc, parameter: 2 ** (lz4Level - 1) };
  }
  return { kernel: kernels.lz4CompressBlock, parameter: checkInteger(acceleration ?? 1, 'options.acceleration', 1, 65537) };
}

/** LZ4's own options given with a DEFLATE codec are refused, as `acceleration` is with LZ4's high levels: not silently ignored. */
export function refuseLz4Options(options: { acceleration?: unknown; blockSize?: unknown; contentChecksum?: unknown }, codec: string): void {
  for (const name of ['acceleration', 'blockSize', 'contentChecksum'] as const) {
    if (options[name] !== undefined) throw new ArgumentRangeError(`options.${name}`, `\`options.${name}\` applies to LZ4; codec '${codec}' does not take it`);
  }
}

/** An LZ4 frame header, its checksum (HC) computed with the kernels on this thread. */
export async function lz4FrameHeader(pool: Pool, blockSizeId: number, options: FrameHeaderOptions): Promise<Uint8Array> {
  const local = await pool.mainThreadKernels();
  return frameHeader(blockSizeId, options, (descriptor) => {
    const bytes = pool.alloc(Uint8Array, descriptor.length);
    try {
      bytes.set(descriptor);
      return local.xxhash32(bytes.byteOffset, bytes.length, 0) >>> 0;
    } finally {
      pool.free(bytes);
    }
  });
}

/** Compresses `data`; the result is an ordinary (unshared) Uint8Array, or a view of `options.out`. */
export async function compress(data: Uint8Array, options: CompressOptions = {}): Promise<Uint8Array> {
  checkObject(options, 'options');
  checkBytes(data, 'data');
  // Some inputs run no task that would see the signal (an empty one, stored LZ4 blocks).
  checkTaskOptions(options).signal?.throwIfAborted();
  const codec = checkOneOf(options.codec ?? 'lz4', 'options.codec', CODECS);
  if (options.out !== undefined) checkBytes(options.out, 'options.out');
  const pool = options.pool ?? defaultPool();
  let result = newResultArray;
  if (options.out !== undefined) {
    const out = options.out;
    result = resultIn(out, (bytes) => new OutputLimitError(`the compressed output (${bytes} bytes) does not fit in \`options.out\` (${out.length} bytes)`));
    // LZ4 keeps an incompressible block as a view of the input (in the pool's memory, or on the path for
    // inputs too large for it) and copies it into the result after the blocks before it: never from bytes
    // those have overwritten. DEFLATE's output is all in the pool's memory by then.
    if (codec === 'lz4' && overlapping(pool, out, data)) data = copyBytes(data);
  }
  if (codec !== 'lz4') {
    const deflateLevel = checkLevel(codec, options.level, 6);
    refuseLz4Options(options, codec);
    const scope = pool.scope();
    const task = { signal: options.signal, timeout: options.timeout };
    try {
      try {
        return await deflateWrapped(pool, scope, inHeap(pool, scope, data), codec, deflateLevel, task, result);
      } catch (error) {
        if (!(error instanceof OutOfMemoryError)) throw error;
        // The input and its outputs do not fit in the pool's memory at once: a few parts at a time.
        await pool.givenUpTasksStopped();
        scope.release();
        return await deflateWrappedInTurn(pool, scope, data, codec, deflateLevel, task, result);
      }
    } catch (error) {
      await pool.givenUpTasksStopped(); // a task given up on may still use the scope's memory
      throw explainDeflateMemory(error, 'compress');
    } finally {
      scope.release();
    }
  }
  const block = lz4BlockKernel(options.level, options.acceleration);
  const blockSize = options.blockSize ?? 4 * 1024 * 1024;
  const blockSizeId = BLOCK_SIZE_IDS.get(blockSize);
  if (blockSizeId === undefined) throw new ArgumentRangeError('options.blockSize', `\`options.blockSize\` must be 65536, 262144, 1048576 or 4194304; got ${describe(blockSize)}`);
  const contentChecksum = options.contentChecksum ?? true;
  if (typeof contentChecksum !== 'boolean') reject('type', 'options.contentChecksum', 'a boolean', contentChecksum);
  const taskOptions = { chunksize: 1, signal: options.signal, timeout: options.timeout };

  const scope = pool.scope();
  try {
    const local = await pool.mainThreadKernels();
    const frame: Lz4FrameJob = {
      pool, scope, local, data, kernel: block, blockSize, blockSizeId, contentChecksum, taskOptions,
      // The worst case comes from the kernel itself, so the two cannot disagree.
      bound: local.lz4CompressBound(blockSize),
      blocks: Math.ceil(data.length / blockSize),
    };
    let parts: FrameParts;
    try {
      parts = await compressAllBlocks(frame);
    } catch (error) {
      if (!(error instanceof OutOfMemoryError)) throw error;
      // The input and its blocks' outputs do not fit in the pool's memory at once: a few blocks at a time.
      await pool.givenUpTasksStopped();
      scope.release();
      parts = await compressBlocksInTurn(frame);
    }
    return assembleFrame(await lz4FrameHeader(pool, blockSizeId, { contentSize: data.length, contentChecksum }), parts, result);
  } catch (error) {
    await pool.givenUpTasksStopped(); // a task given up on may still use the scope's memory
    throw error;
  } finally {
    scope.release();
  }
}

/** What compressing `data` into one LZ4 frame needs. */
interface Lz4FrameJob {
  pool: Pool;
  scope: AllocationScope;
  local: Awaited<ReturnType<Pool['mainThreadKernels']>>;
  data: Uint8Array;
  kernel: ReturnType<typeof lz4BlockKernel>;
  blockSize: number;
  blockSizeId: number;
  contentChecksum: boolean;
  taskOptions: TaskOptions & { chunksize: number };
  bound: number;
  blocks: number;
}

/** Each block's payload (a view valid until the job's scope is released), whether it is stored as is, and the content checksum. */
interface FrameParts {
  payloads: Uint8Array[];
  stored: boolean[];
  checksum: number | undefined;
}

/** An xxHash32 state in the pool's memory, updated here on the main thread, or undefined without a content checksum. */
function contentHasher(job: Lz4FrameJob): { update(bytes: Uint8Array): void; digest(): number | undefined } {
  const state = job.contentChecksum ? job.scope.allocUninitialized(Uint8Array, job.local.xxhashStateBytes()) : undefined;
  if (state) job.local.xxhash32_reset(state.byteOffset, 0);
  return {
    update: (bytes) => state && job.local.xxhash32_update(state.byteOffset, bytes.byteOffset, bytes.length),
    digest: () => (state ? job.local.xxhash32_digest(state.byteOffset) >>> 0 : undefined),
  };
}

/** Block i of the input: its byte range. */
function blockRange(job: Lz4FrameJob, i: number): [number, number] {
  const begin = i * job.blockSize;
  return [begin, Math.min(job.data.length, begin + job.blockSize)];
}

/**
 * Every block at once: the input copied into the pool's memory (unless it is there already) and
 * an output area per block. Throws OutOfMemoryError, before any task starts, when they do not fit.
 */
async function compressAllBlocks(job: Lz4FrameJob): Promise<FrameParts> {
  const { pool, scope, data } = job;
  const copying = !pool.isShared(data);
  const needed = (copying ? data.length : 0) + job.blocks * job.bound;
  if (needed > pool.heapStatistics().maximumBytes) throw new OutOfMemoryError(`${needed} bytes at once are more than the pool's memory can ever hold`);
  const input = copying ? scope.allocUninitialized(Uint8Array, data.length) : data;
  const out = scope.allocUninitialized(Uint8Array, job.blocks * job.bound);
  const hasher = contentHasher(job);
  // Block by block: copied into the pool's memory, its task started, then hashed here while the workers
  // compress, so that the copy and the content checksum overlap the compression instead of preceding it.
  const sources: Uint8Array[] = [];
  const tasks: Promise<number>[] = [];
  for (let i = 0; i < job.blocks; i++) {
    const [begin, end] = blockRange(job, i);
    const source = input.subarray(begin, end);
    if (copying) source.set(data.subarray(begin, end));
    sources.push(source);
    tasks.push(pool.apply(job.kernel.kernel, [source, out.subarray(i * job.bound, (i + 1) * job.bound), job.kernel.parameter], job.taskOptions));
    hasher.update(source);
    await null; // ends the burst: the next block's submission wakes another sleeping worker at once, not after the loop
  }
  const lengths = await allSettled(tasks);
  // Incompressible blocks are stored as they are (the size word's high bit says so).
  const stored = lengths.map((length, i) => length >= sources[i]!.length);
  return {
    payloads: lengths.map((length, i) => (stored[i] ? sources[i]! : out.subarray(i * job.bound, i * job.bound + length))),
    stored,
    checksum: hasher.digest(),
  };
}

/**
 * A few blocks at a time (two per worker, fewer if memory is short), for inputs whose whole copy and
 * outputs do not fit in the pool's memory: each block copied into one of the window's areas,
 * compressed, and its output copied out before the area takes the next block. Same frame as
 * compressAllBlocks, byte for byte.
 */
async function compressBlocksInTurn(job: Lz4FrameJob): Promise<FrameParts> {
  const { pool, scope, data } = job;
  const copying = !pool.isShared(data);
  const hasher = contentHasher(job);
  // Area k: [a block's copy (when the input is not in the pool's memory) | its output]; fewer areas if
  // memory is short, leaving room for each worker's compressor scratch.
  const areaBytes = (copying ? job.blockSize : 0) + job.bound;
  const scratch = pool.workers * (Math.max(job.local.lz4HcScratchBytes(), job.local.lz4HashBytes()) + 1024);
  const { areas, count: window } = allocAreas(pool, scope, Math.min(job.blocks, 2 * pool.workers), areaBytes, scratch);
  const payloads: Uint8Array[] = new Array(job.blocks);
  const stored: boolean[] = new Array(job.blocks);
  await throughWindow(job.blocks, window, (i, area) => {
    const [begin, end] = blockRange(job, i);
    const original = data.subarray(begin, end);
    const at = area * areaBytes;
    const source = copying ? areas.subarray(at, at + original.length) : original;
    if (copying) source.set(original);
    const output = areas.subarray(at + areaBytes - job.bound, at + areaBytes);
    const task = pool.apply(job.kernel.kernel, [source, output, job.kernel.parameter], job.taskOptions).then((length) => {
      stored[i] = length >= original.length;
      payloads[i] = stored[i] ? original : output.slice(0, length);
    });
    hasher.update(source); // while the worker compresses
    return task;
  });
  return { payloads, stored, checksum: hasher.digest() };
}

/** The frame: header, each block's size word and payload, the end mark, the content checksum. */
function assembleFrame(header: Uint8Array, { payloads, stored, checksum }: FrameParts, resultArray: ResultArray): Uint8Array {
  const total = header.length + payloads.reduce((sum, payload) => sum + 4 + payload.length, 0) + 4 + (checksum !== undefined ? 4 : 0);
  const result = resultArray(total);
  const view = new DataView(result.buffer, result.byteOffset, result.byteLength);
  result.set(header, 0);
  let at = header.length;
  payloads.forEach((payload, i) => {
    view.setUint32(at, blockSizeWord(payload.length, stored[i]!), true);
    result.set(payload, at + 4);
    at += 4 + payload.length;
  });
  view.setUint32(at, 0, true); // end mark
  if (checksum !== undefined) view.setUint32(at + 4, checksum, true);
  return result;
}

/**
 * Decompresses `data` (LZ4 frames, or a raw/zlib/gzip DEFLATE stream); the result is an ordinary
 * Uint8Array, or a view of `options.out`. Input and output larger than the pool's memory are fine: what
 * does not fit at once is decoded as decompressStream decodes, a piece at a time.
 */
export async function decompress(data: Uint8Array, options: DecompressOptions = {}): Promise<Uint8Array> {
  checkObject(options, 'options');
  checkBytes(data, 'data');
  // And at each LZ4 block, whose stored ones run no task that would see it.
  checkTaskOptions(options).signal?.throwIfAborted();
  const codec = checkOneOf(options.codec ?? 'lz4', 'options.codec', CODECS);
  let maxOutputLength = checkInteger(options.maxOutputLength ?? 2 ** 30, 'options.maxOutputLength', 0, 2 ** 31 - 1);
  // Checked for every codec (LZ4 frames say their size themselves and use no hint).
  const sizeHint = options.sizeHint === undefined ? 0 : checkInteger(options.sizeHint, 'options.sizeHint', 0);
  let sink: OutputSink = new NewArraySink();
  // The decoders are given the smaller of the two limits and name maxOutputLength when they pass it: where
  // that is out's length, the caller hears of out instead.
  let outTooSmall: (() => OutputLimitError) | undefined;
  if (options.out !== undefined) {
    checkBytes(options.out, 'options.out');
    const out = options.out;
    const limit = maxOutputLength;
    const tooSmall = () => new OutputLimitError(`the output does not fit in \`options.out\` (${out.length} bytes)`);
    sink = new IntoArraySink(out, () => (out.length < limit ? tooSmall() : new OutputLimitError(`output passes \`options.maxOutputLength\` (${limit})`)));
    if (out.length < limit) outTooSmall = tooSmall;
    maxOutputLength = Math.min(maxOutputLength, out.length);
  }
  const pool = options.pool ?? defaultPool();
  // Output is written while input is still read (blocks in order, streamed pieces): an `out` sharing
  // bytes with `data` gets a copy of the input to read from.
  if (options.out !== undefined && overlapping(pool, options.out, data)) data = copyBytes(data);
  const task = { signal: options.signal, timeout: options.timeout };
  const taskOptions = { chunksize: 1, ...task };

  const scope = pool.scope();
  try {
    if (codec !== 'lz4') {
      const progress = { input: 0, output: 0 };
      try {
        await inflateWrapped(pool, scope, inHeap(pool, scope, data), codec, maxOutputLength, task, sink, sizeHint, progress);
      } catch (error) {
        // Output handed over since the last whole member: the stream cannot be taken up again from there.
        if (!(error instanceof OutOfMemoryError) || sink.length !== progress.output) throw explainDeflateMemory(error, 'decompress');
        // The input and the whole output (of a member) do not fit in the pool's memory at once: decoded
        // as a stream instead (decompressStream's decoder), a part of the input and its output at a time,
        // from the first gzip member not yet handed over.
        await pool.givenUpTasksStopped();
        scope.release();
        const inflater = new StreamingInflater(pool, codec, maxOutputLength, undefined, task, progress.output);
        await decodeStreamed(inflater, data.subarray(progress.input), sink, options.signal);
      }
      return sink.result();
    }
    const frames = parseFrames(data);
    // Frames that all declare their size: their blocks go straight into the result (not into pieces joined at the end).
    const declared = frames.every((frame) => frame.contentSize !== undefined) ? frames.reduce((sum, frame) => sum + frame.contentSize!, 0) : undefined;
    if (declared !== undefined && declared <= maxOutputLength && plausibleContent(declared, data)) sink.reserve(declared);
    try {
      await decodeLz4Frames(pool, scope, data, frames, sink, maxOutputLength, taskOptions);
    } catch (error) {
      if (!(error instanceof OutOfMemoryError) || sink.length > 0) throw error;
      // The input's copy and a block's output do not fit in the pool's memory at once (an incompressible
      // frame of a GiB on the default pool): decoded as a stream instead (decompressStream's decoder),
      // fed a MiB at a time, about a block per worker in the pool's memory.
      await pool.givenUpTasksStopped();
      scope.release();
      await decodeStreamed(new StreamingLz4Decoder(pool, maxOutputLength, task), data, sink, options.signal);
    }
    return sink.result();
  } catch (error) {
    await pool.givenUpTasksStopped(); // a task given up on may still use the scope's memory
    throw error instanceof OutputLimitError && outTooSmall ? outTooSmall() : error;
  } finally {
    scope.release();
  }
}


/** LZ4 expands at most ~255:1 (a length byte of 255 adds 255 bytes): memory is reserved for a declared size only below that, so that a few bytes declaring a gigabyte reserve nothing before they fail. */
function plausibleContent(size: number, data: Uint8Array): boolean {
  return size <= data.length * 256;
}

/** LZ4 frames decoded from a copy of `data` in the pool's memory into `sink`. Throws OutOfMemoryError when the copy and a block's output do not fit. */
async function decodeLz4Frames(
  pool: Pool, scope: AllocationScope, data: Uint8Array, frames: ParsedFrame[], sink: OutputSink, maxOutputLength: number, taskOptions: TaskSettings,
): Promise<void> {
  const input = inHeap(pool, scope, data);
  const local = await pool.mainThreadKernels();
  const hash = (bytes: Uint8Array): number => local.xxhash32(bytes.byteOffset, bytes.length, 0) >>> 0;
  for (const frame of frames) {
    const { descriptor } = frame;
    if (((hash(input.subarray(descriptor.offset, descriptor.offset + descriptor.length)) >>> 8) & 0xff) !== descriptor.checksum) {
      throw new CorruptDataError(`LZ4 frame header checksum mismatch at offset ${descriptor.offset + descriptor.length}`);
    }
    for (const block of frame.blocks) {
      if (block.checksum !== undefined && hash(input.subarray(block.offset, block.offset + block.length)) !== block.checksum) {
        throw new CorruptDataError(`LZ4 block checksum mismatch for the block at offset ${block.offset}`);
      }
    }
    if (frame.contentSize !== undefined && sink.length + frame.contentSize > maxOutputLength) {
      throw new OutputLimitError(`LZ4 frame declares ${frame.contentSize} bytes, past \`options.maxOutputLength\` (${maxOutputLength})`);
    }
    const frameStart = sink.length;
    const state = frame.contentChecksum !== undefined ? scope.allocUninitialized(Uint8Array, local.xxhashStateBytes()) : undefined;
    if (state) local.xxhash32_reset(state.byteOffset, 0);
    // Each block's output in order, the content hashed as it comes (on this thread, while the workers decode the next blocks).
    const emit = (view: Uint8Array): void => {
      taskOptions.signal?.throwIfAborted();
      if (frame.contentSize !== undefined && sink.length - frameStart + view.length > frame.contentSize) {
        throw new CorruptDataError(`LZ4 frame declares ${frame.contentSize} bytes of content but its blocks hold more`);
      }
      if (sink.length + view.length > maxOutputLength) throw new OutputLimitError(`LZ4 output passes \`options.maxOutputLength\` (${maxOutputLength})`);
      if (state) local.xxhash32_update(state.byteOffset, view.byteOffset, view.length);
      sink.write(view);
    };
    try {
      let done = 0;
      if (frame.independent && frame.contentSize !== undefined && plausibleContent(frame.contentSize, data)) {
        done = await decodeKnownSize(pool, scope, input, frame, sink, emit, taskOptions);
      }
      if (done < frame.blocks.length) {
        // The general path, for the blocks the one above did not take: in waves (independent) or in order (linked).
        const limits = { room: maxOutputLength - sink.length, max: maxOutputLength };
        const blocks = frame.blocks.slice(done).map((block) => ({ payload: input.subarray(block.offset, block.offset + block.length), uncompressed: block.uncompressed, offset: block.offset }));
        if (frame.independent) await decodeIndependent(pool, scope, blocks, frame.blockMaxSize, emit, limits, taskOptions);
        else await decodeLinked(pool, scope, blocks, frame.blockMaxSize, emit, limits, taskOptions);
      }
    } catch (error) {
      throw explainDictionary(error, frame.dictionaryId);
    }
    const frameBytes = sink.length - frameStart;
    if (frame.contentSize !== undefined && frameBytes !== frame.contentSize) {
      throw new CorruptDataError(`LZ4 frame declares ${frame.contentSize} bytes of content but its blocks hold ${frameBytes}`);
    }
    if (state) {
      const digest = local.xxhash32_digest(state.byteOffset) >>> 0;
      scope.free(state); // many small frames would pile up states otherwise
      if (digest !== frame.contentChecksum) throw new CorruptDataError('LZ4 content checksum mismatch: the data is corrupted');
    }
  }
}

/** What decompressStream decodes with: StreamingInflater, StreamingLz4Decoder. */
interface StreamDecoder {
  push(bytes: Uint8Array, emit: (chunk: Uint8Array) => void): Promise<void>;
  finish(emit: (chunk: Uint8Array) => void): Promise<void>;
}

/**
 * `data` decoded by a stream decoder fed a MiB at a time, for input and output that the pool's memory
 * cannot hold at once: memory for a part (DEFLATE) or about a block per worker (LZ4).
 */
async function decodeStreamed(decoder: StreamDecoder, data: Uint8Array, sink: OutputSink, signal: AbortSignal | undefined): Promise<void> {
  const emit = (chunk: Uint8Array): void => sink.write(chunk);
  for (let at = 0; at < data.length; at += STREAMED_PIECE) {
    // Stored LZ4 blocks run no task that could see the signal: checked here, a piece at a time.
    signal?.throwIfAborted();
    await decoder.push(data.subarray(at, at + STREAMED_PIECE), emit);
  }
  await decoder.finish(emit);
}

/**
 * The blocks of an independent frame of known size, decoded all at once into one block of the pool's
 * memory (a task each; the caller's own array when it is in that memory) and emitted in order as their
 * tasks finish: the caller's copy and hash of a block overlap the decoding of the next ones. Returns
 * how many blocks it emitted: all of them, or fewer when the frame proves unusual (a short block
 * before the last) or the output does not fit in the pool's memory (then none), for the general path
 * to go on from there.
 */
async function decodeKnownSize(
  pool: Pool, scope: AllocationScope, input: Uint8Array, frame: ParsedFrame, sink: OutputSink, emit: (view: Uint8Array) => void, taskOptions: TaskSettings,
): Promise<number> {
  const size = frame.contentSize!;
  const expected = (i: number): number => Math.max(0, Math.min(frame.blockMaxSize, size - i * frame.blockMaxSize));
  const source = (i: number): Uint8Array => input.subarray(frame.blocks[i]!.offset, frame.blocks[i]!.offset + frame.blocks[i]!.length);
  // Fewer blocks than the size needs, or a stored one of another length: the general path's.
  if (expected(frame.blocks.length) > 0 || frame.blocks.some((block, i) => block.uncompressed && block.length !== expected(i))) return 0;
  // Straight into the caller's array when it is in the pool's memory (load() into shared arrays), else
  // into a block of the pool's memory whose pieces the sink copies out.
  const inPlace = placeInPool(pool, sink, size, input);
  let whole: Uint8Array;
  try {
    whole = inPlace ?? scope.allocUninitialized(Uint8Array, size);
  } catch (error) {
    if (error instanceof OutOfMemoryError) return 0; // more than the pool's memory holds: in waves instead
    throw error;
  }
  const output = (i: number): Uint8Array => whole.subarray(i * frame.blockMaxSize, i * frame.blockMaxSize + expected(i));
  const lengths = frame.blocks.map((block, i) => (block.uncompressed ? undefined : pool.apply(kernels.lz4DecompressBlock, [source(i), output(i), 0, 0], taskOptions)));
  const emitted = await takeInOrder(lengths, (length, i) => {
    if (length === undefined) {
      emit(source(i)); // stored as it is
      return true;
    }
    if (length === -2 || (length >= 0 && length !== expected(i))) return false; // longer or shorter than its place
    if (length < 0) throw blockError(length, frame.blocks[i]!.offset, false, 0);
    emit(output(i));
    return true;
  });
  // Every task has ended well (else whole stays reserved until the scope is freed, once tasks given up
  // on have stopped: see decompress): room for the general path, or the next frame.
  if (!inPlace) scope.free(whole);
  return emitted;
}

/** Compressed bytes handed at a time to the streaming decoder when decompress() falls back to it. */
const STREAMED_PIECE = 1 << 20;

/** An OutOfMemoryError of the DEFLATE codecs, saying what they needed at once. */
function explainDeflateMemory(error: unknown, call: 'compress' | 'decompress'): unknown {
  if (!(error instanceof OutOfMemoryError)) return error;
  const what = call === 'compress' ? 'a few parts of its input and their outputs' : 'a part of its input and that part\'s output';
  return new OutOfMemoryError(`${call}() with a DEFLATE codec needs ${what} in the pool's memory at once, and they do not fit: ${error.message}`);
}

function checkBytes(data: unknown, path: string): asserts data is Uint8Array {
  if (!(data instanceof Uint8Array)) throw new ArgumentTypeError(path, `\`${path}\` must be a Uint8Array; got ${describe(data)}`);
}
