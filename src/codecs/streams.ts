/**
 * Streaming compression as web `TransformStream`s (Node ≥ 18 and browsers;
 * Node streams convert with `Readable.fromWeb` / `stream.Duplex.fromWeb`).
 *
 * Compression emits as it goes: input is cut into chunks (LZ4 blocks, or
 * gzip members of at least 1 MiB) that several workers compress at once,
 * written in order. LZ4 streams carry no content size and, since xxHash32 is
 * computed per call here, no content checksum (block checksums instead);
 * gzip members carry their own CRC-32. Decompression streams gather their
 * input and decode it when it ends: the decoders are not resumable yet, so
 * they give back pressure and memory use of a whole-buffer call.
 */

import { ArgumentRangeError } from '../errors.js';
import { checkInteger, checkObject, checkOneOf } from '../options.js';
import { defaultPool } from '../pool/default-pool.js';
import type { Pool } from '../pool/pool.js';
import { kernels } from '../wasm/kernels.js';
import { compress, decompress, type Codec } from './compress.js';
import { BLOCK_SIZES, FLAG_BLOCK_CHECKSUM, FLAG_INDEPENDENT, LZ4_MAGIC, blockSizeWord } from './lz4-frame.js';

export interface CompressStreamOptions {
  /** @default 'lz4' */
  codec?: Codec;
  /** As in compress(). */
  level?: number;
  /** Input bytes per chunk compressed at once: an LZ4 block size (64 KiB … 4 MiB), or a gzip member size. @default 1 MiB */
  chunkSize?: number;
  /** @default defaultPool() */
  pool?: Pool;
}

/** A TransformStream that compresses the bytes written to it. */
export function compressStream(options: CompressStreamOptions = {}): TransformStream<Uint8Array, Uint8Array> {
  checkObject(options, 'options');
  const codec = checkOneOf(options.codec ?? 'lz4', 'options.codec', ['lz4', 'deflate', 'zlib', 'gzip'] as const);
  if (codec === 'zlib' || codec === 'deflate') {
    throw new ArgumentRangeError('options.codec', "`options.codec` must be 'lz4' or 'gzip' for streaming compression (a zlib or raw DEFLATE stream cannot be cut into parallel parts); got " + JSON.stringify(codec));
  }
  const pool = options.pool ?? defaultPool();
  const chunkSize = options.chunkSize ?? 1 << 20;
  const blockSizeId = codec === 'lz4' ? Number(Object.entries(BLOCK_SIZES).find(([, size]) => size === chunkSize)?.[0]) : 0;
  if (codec === 'lz4' && !blockSizeId) throw new ArgumentRangeError('options.chunkSize', `\`options.chunkSize\` must be 65536, 262144, 1048576 or 4194304 for LZ4; got ${chunkSize}`);
  if (codec === 'gzip') checkInteger(chunkSize, 'options.chunkSize', 1024);
  const level = options.level;
  let pending = new Uint8Array(0);
  // Chunks being compressed, oldest first; at most a few per worker in flight.
  const inFlight: Promise<Uint8Array>[] = [];
  const limit = pool.workers * 2;
  let started = false;

  const compressChunk = (chunk: Uint8Array): Promise<Uint8Array> =>
    codec === 'gzip' ? compress(chunk, { pool, codec: 'gzip', level }) : lz4Block(pool, chunk, level ?? 1);

  return new TransformStream<Uint8Array, Uint8Array>({
    async transform(bytes, controller) {
      if (codec === 'lz4' && !started) {
        controller.enqueue(await lz4StreamHeader(pool, blockSizeId));
        started = true;
      }
      const joined = new Uint8Array(pending.length + bytes.length);
      joined.set(pending);
      joined.set(bytes, pending.length);
      let at = 0;
      for (; joined.length - at >= chunkSize; at += chunkSize) {
        inFlight.push(compressChunk(joined.slice(at, at + chunkSize)));
        if (inFlight.length >= limit) controller.enqueue(await inFlight.shift()!);
      }
      pending = joined.slice(at);
    },
    async flush(controller) {
      if (codec === 'lz4' && !started) controller.enqueue(await lz4StreamHeader(pool, blockSizeId));
      if (pending.length > 0 || (codec === 'gzip' && inFlight.length === 0 && !started)) inFlight.push(compressChunk(pending));
      started = true;
      while (inFlight.length > 0) controller.enqueue(await inFlight.shift()!);
      if (codec === 'lz4') controller.enqueue(new Uint8Array(4)); // end mark
    },
  });
}

/** A TransformStream that decompresses what is written to it (see the module comment for when bytes come out). */
export function decompressStream(options: { codec?: Codec; maxOutputLength?: number; pool?: Pool } = {}): TransformStream<Uint8Array, Uint8Array> {
  checkObject(options, 'options');
  const codec = checkOneOf(options.codec ?? 'lz4', 'options.codec', ['lz4', 'deflate', 'zlib', 'gzip'] as const);
  const pool = options.pool ?? defaultPool();
  const chunks: Uint8Array[] = [];
  let buffered = 0;
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(bytes) {
      chunks.push(bytes.slice());
      buffered += bytes.length;
    },
    async flush(controller) {
      const whole = new Uint8Array(buffered);
      let at = 0;
      for (const chunk of chunks) {
        whole.set(chunk, at);
        at += chunk.length;
      }
      controller.enqueue(await decompress(whole, { pool, codec, maxOutputLength: options.maxOutputLength }));
    },
  });
}

/** The frame header of an LZ4 stream: independent blocks with block checksums, no content size or checksum. */
async function lz4StreamHeader(pool: Pool, blockSizeId: number): Promise<Uint8Array> {
  const header = new Uint8Array(7);
  new DataView(header.buffer).setUint32(0, LZ4_MAGIC, true);
  header[4] = 0x40 | FLAG_INDEPENDENT | FLAG_BLOCK_CHECKSUM;
  header[5] = blockSizeId << 4;
  const local = await pool.mainThreadKernels();
  const descriptor = pool.alloc(Uint8Array, 2);
  try {
    descriptor.set(header.subarray(4, 6));
    header[6] = (local.xxhash32(descriptor.byteOffset, 2, 0) >>> 8) & 0xff;
  } finally {
    pool.free(descriptor);
  }
  return header;
}

/** One LZ4 block with its size word and block checksum, compressed in a worker. */
async function lz4Block(pool: Pool, chunk: Uint8Array, acceleration: number): Promise<Uint8Array> {
  const scope = pool.scope();
  try {
    const source = scope.allocUninitialized(Uint8Array, chunk.length);
    source.set(chunk);
    const out = scope.allocUninitialized(Uint8Array, chunk.length + Math.floor(chunk.length / 255) + 16);
    const length = await pool.apply(kernels.lz4CompressBlock, [source, out, acceleration]);
    const stored = length >= chunk.length;
    const payload = stored ? source : out.subarray(0, length);
    const checksum = await pool.apply(kernels.xxhash32, [payload, 0]);
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
