/**
 * Streaming compression as web `TransformStream`s (Node ≥ 18 and browsers;
 * Node streams convert with `Readable.fromWeb` / `stream.Duplex.fromWeb`).
 *
 * Compression emits as it goes: input is cut into chunks (LZ4 blocks, or
 * gzip members, of `chunkSize`) that several workers compress at once,
 * written in order. LZ4 streams carry no content size and, since xxHash32 is
 * computed per call here, no content checksum (block checksums instead);
 * gzip members carry their own CRC-32. Decompression of DEFLATE streams
 * goes in parts as input arrives (inflate-stream.ts), of LZ4 frames block by
 * block (lz4-stream.ts): output comes out before the input ends, and memory
 * stays bounded.
 */

import { ArgumentRangeError } from '../errors.js';
import { checkInteger, checkObject, checkOneOf, reject } from '../options.js';
import { defaultPool } from '../pool/default-pool.js';
import type { Pool } from '../pool/pool.js';
import { ChunkAccumulator, chunkBytes, inHeap } from './bytes.js';
import { CODECS, checkLevel, compress, lz4BlockKernel, lz4FrameHeader, refuseLz4Options, type Codec } from './compress.js';
import { BLOCK_SIZES, blockSizeWord } from './lz4-frame.js';
import { StreamingInflater } from './inflate-stream.js';
import { StreamingLz4Decoder } from './lz4-stream.js';

/** Options of `compressStream`. */
export interface CompressStreamOptions {
  /** @default 'lz4' */
  codec?: Codec;
  /** As in compress(). */
  level?: number;
  /** As in compress() (LZ4 levels 1-2). */
  acceleration?: number;
  /** Input bytes per chunk compressed at once: an LZ4 block size (64 KiB … 4 MiB), or a gzip member size. @default 1 MiB */
  chunkSize?: number;
  /** @default defaultPool() */
  pool?: Pool;
}

const LZ4_CHUNK_SIZES = '65536, 262144, 1048576 or 4194304 for LZ4 (its block sizes)';

/**
 * Options compress() takes that a stream cannot honour are refused, not ignored: its LZ4 frames carry block
 * checksums and no content checksum (see above), its block size is `chunkSize`, and it runs no single task
 * a signal or timeout would end (cancel the stream instead).
 */
function refuseCompressOnlyOptions(options: Record<string, unknown>): void {
  const instead: Record<string, string> = {
    blockSize: 'the block size of a stream is options.chunkSize',
    contentChecksum: 'a stream carries block checksums, not a content checksum',
    signal: "end a stream with its writer's abort() or the readable's cancel()",
    timeout: "end a stream with its writer's abort() or the readable's cancel()",
  };
  for (const [name, reason] of Object.entries(instead)) {
    if (options[name] !== undefined) throw new ArgumentRangeError(`options.${name}`, `\`options.${name}\` is not an option of compressStream: ${reason}`);
  }
}

/** A TransformStream that compresses the bytes written to it. */
export function compressStream(options: CompressStreamOptions = {}): TransformStream<Uint8Array, Uint8Array> {
  checkObject(options, 'options');
  const codec = checkOneOf(options.codec ?? 'lz4', 'options.codec', CODECS);
  if (codec === 'zlib' || codec === 'deflate') {
    throw new ArgumentRangeError('options.codec', "`options.codec` must be 'lz4' or 'gzip' for streaming compression (a zlib or raw DEFLATE stream cannot be cut into parallel parts); got " + JSON.stringify(codec));
  }
  refuseCompressOnlyOptions(options as Record<string, unknown>);
  const chunkSize = options.chunkSize ?? 1 << 20;
  if (typeof chunkSize !== 'number') reject('type', 'options.chunkSize', codec === 'lz4' ? LZ4_CHUNK_SIZES : 'an integer', chunkSize);
  // Up to a GiB: the whole of a larger chunk would be held before its compression starts.
  if (codec === 'gzip') checkInteger(chunkSize, 'options.chunkSize', 1024, 1 << 30);
  const blockSizeId = codec === 'lz4' ? Number(Object.entries(BLOCK_SIZES).find(([, size]) => size === chunkSize)?.[0]) : 0;
  if (codec === 'lz4' && !blockSizeId) reject('range', 'options.chunkSize', LZ4_CHUNK_SIZES, chunkSize);
  if (codec === 'gzip') refuseLz4Options(options, codec);
  const pool = options.pool ?? defaultPool();
  const level = options.level;
  // Checked here, as LZ4's is below: not first inside the stream, once the first chunk is compressed.
  if (codec === 'gzip') checkLevel(codec, level, 6);
  const block = codec === 'lz4' ? lz4BlockKernel(level, options.acceleration) : undefined;
  const accumulator = new ChunkAccumulator(chunkSize);
  // Chunks being compressed, oldest first; at most a few per worker in flight.
  const inFlight: Promise<Uint8Array>[] = [];
  const limit = pool.workers * 2;
  let chunksSent = 0;
  let headerSent = false;

  const compressChunk = (chunk: Uint8Array): Promise<Uint8Array> => {
    chunksSent++;
    const compressed = codec === 'gzip' ? compress(chunk, { pool, codec: 'gzip', level }) : lz4Block(pool, chunk, block!);
    // Handled here as well as where it is awaited: once one chunk fails the stream errors, and the chunks
    // behind it are never awaited; their failures (the pool closed, say) must not be unhandled rejections.
    compressed.catch(() => {});
    return compressed;
  };
  const sendHeader = async (controller: TransformStreamDefaultController<Uint8Array>): Promise<void> => {
    if (codec !== 'lz4' || headerSent) return;
    headerSent = true;
    controller.enqueue(await lz4FrameHeader(pool, blockSizeId, { contentChecksum: false, blockChecksum: true }));
  };

  return new TransformStream<Uint8Array, Uint8Array>({
    async transform(bytes, controller) {
      await sendHeader(controller);
      for (const chunk of accumulator.push(chunkBytes(bytes, 'compressStream'))) {
        inFlight.push(compressChunk(chunk));
        if (inFlight.length >= limit) controller.enqueue(await inFlight.shift()!);
      }
    },
    async flush(controller) {
      await sendHeader(controller);
      const rest = accumulator.rest();
      // An empty gzip input still needs one (empty) member; an empty LZ4 frame has no blocks.
      if (rest.length > 0 || (codec === 'gzip' && chunksSent === 0)) inFlight.push(compressChunk(rest));
      while (inFlight.length > 0) controller.enqueue(await inFlight.shift()!);
      if (codec === 'lz4') controller.enqueue(new Uint8Array(4)); // end mark
    },
  });
}

/** Options of `decompressStream`. */
export interface DecompressStreamOptions {
  /** @default 'lz4' */
  codec?: Codec;
  /** The most bytes the whole stream may produce; more is an OutputLimitError. @default 1 GiB */
  maxOutputLength?: number;
  /** @default defaultPool() */
  pool?: Pool;
}

/**
 * A TransformStream that decompresses what is written to it. DEFLATE streams
 * (raw, zlib, gzip) are decoded in parts as they arrive (src/codecs/inflate-stream.ts):
 * output comes out about every MiB of input, and memory stays bounded whatever
 * the length. LZ4 frames are decoded block by block as blocks complete, one
 * per worker at once (src/codecs/lz4-stream.ts).
 */
export function decompressStream(options: DecompressStreamOptions = {}): TransformStream<Uint8Array, Uint8Array> {
  checkObject(options, 'options');
  const codec = checkOneOf(options.codec ?? 'lz4', 'options.codec', CODECS);
  const maxOutputLength = checkInteger(options.maxOutputLength ?? 2 ** 30, 'options.maxOutputLength', 0, Number.MAX_SAFE_INTEGER);
  const pool = options.pool ?? defaultPool();
  if (codec !== 'lz4') {
    const inflater = new StreamingInflater(pool, codec, maxOutputLength);
    return new TransformStream<Uint8Array, Uint8Array>({
      transform: (bytes, controller) => inflater.push(chunkBytes(bytes, 'decompressStream'), (chunk) => controller.enqueue(chunk)),
      flush: (controller) => inflater.finish((chunk) => controller.enqueue(chunk)),
    });
  }
  const decoder = new StreamingLz4Decoder(pool, maxOutputLength);
  return new TransformStream<Uint8Array, Uint8Array>({
    transform: (bytes, controller) => decoder.push(chunkBytes(bytes, 'decompressStream'), (chunk) => controller.enqueue(chunk)),
    flush: (controller) => decoder.finish((chunk) => controller.enqueue(chunk)),
  });
}

/** One LZ4 block with its size word and block checksum, compressed in a worker. */
async function lz4Block(pool: Pool, chunk: Uint8Array, compressor: ReturnType<typeof lz4BlockKernel>): Promise<Uint8Array> {
  const scope = pool.scope();
  try {
    const local = await pool.mainThreadKernels();
    const source = inHeap(pool, scope, chunk);
    const out = scope.allocUninitialized(Uint8Array, local.lz4CompressBound(chunk.length));
    const length = await pool.apply(compressor.kernel, [source, out, compressor.parameter]);
    const stored = length >= chunk.length;
    const payload = stored ? source : out.subarray(0, length);
    // Hashed here, as compress() does: a second task per block would cost a round trip to a worker.
    const checksum = local.xxhash32(payload.byteOffset, payload.length, 0) >>> 0;
    const block = new Uint8Array(4 + payload.length + 4);
    const view = new DataView(block.buffer);
    view.setUint32(0, blockSizeWord(payload.length, stored), true);
    block.set(payload, 4);
    view.setUint32(4 + payload.length, checksum, true);
    return block;
  } finally {
    scope.release();
  }
}
