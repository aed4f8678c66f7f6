/**
 * `dump(value, target?, options)` and `load(source, options)`: joblib's
 * persistence for typed arrays, matrices and the plain objects and arrays
 * that hold them. The file format (docs/formats.md):
 *
 * ```
 *  "WYVN" | version u16 LE | codec u8 (0 raw, 1 lz4, 2 zlib, 3 gzip) | reserved u8 | header length u32 LE
 *  | header: UTF-8 JSON { value, arrays: [{ kind, length, stored, checksum }] } | header xxh32 u32 LE
 *  | array sections, in order: `stored` bytes each (raw, or one LZ4 frame)
 * ```
 *
 * In `value`, each typed array is `{ "$array": i }` and each matrix
 * `{ "$matrix": i, "rows": r, "cols": c }`; non-finite numbers are
 * `{ "$number": "NaN" | "Infinity" | "-Infinity" }`. Raw sections carry an
 * xxHash32 in `checksum`; compressed sections carry their codec's own
 * checksum (LZ4 content xxHash32, zlib Adler-32, gzip CRC-32). Sections are compressed across the pool (each LZ4 frame in
 * parallel blocks). A newer version, another magic, or a failed checksum is
 * a clear error.
 */

import { openFileSink, openFileSource } from '#platform';
import type { ByteSource } from '../platform/types.js';
import { blobSource, bytesSource, fileHandleSink, isFileHandle, type WritableFileHandle } from './byte-source.js';

export type { WritableFileHandle } from './byte-source.js';
import { compress, decompress } from '../codecs/compress.js';
import { ArgumentTypeError, CorruptDataError, OutputLimitError, SerializationError, WyvernError, describe } from '../errors.js';
import { SharedMatrix, TYPED_ARRAY_KINDS, typedArrayCode, type TypedArray } from '../memory/shared-array.js';
import { checkObject, checkOneOf } from '../options.js';
import { defaultPool } from '../pool/default-pool.js';
import { allSettled } from '../pool/settle.js';
import type { Pool } from '../pool/pool.js';
import { kernels } from '../wasm/kernels.js';

const MAGIC = [0x57, 0x59, 0x56, 0x4e]; // "WYVN"
/** The format version this code writes; it reads this one and older. */
export const DUMP_FORMAT_VERSION = 1;
const CODEC_IDS = { raw: 0, lz4: 1, zlib: 2, gzip: 3 } as const;
type DumpCodec = keyof typeof CODEC_IDS;
const PREFIX_BYTES = 12;
/** dump() writes array sections to files in pieces of this many bytes. */
const WRITE_PIECE = 8 << 20;
/** Bytes outside the pool's memory are hashed (and raw sections loaded into ordinary arrays) in pieces of this many bytes. */
const HASH_PIECE = 8 << 20;

export interface DumpOptions {
  /** How array sections are stored: LZ4 (fast), zlib or gzip (smaller), or raw (`false`). @default 'lz4' */
  compress?: 'lz4' | 'zlib' | 'gzip' | false;
  /** Compression level: zlib/gzip 0-9 (default 3, as joblib's), LZ4 1-12 as in compress() (default 1, the fast one). */
  level?: number;
  /** @default defaultPool() */
  pool?: Pool;
}

export interface LoadOptions {
  /** Put arrays into the pool's shared memory (ready for tasks, free them with pool.free) instead of ordinary arrays. @default false */
  shared?: boolean;
  /** @default defaultPool() */
  pool?: Pool;
  /** Refuse sections that would decompress past this many bytes. @default 1 GiB */
  maxOutputLength?: number;
}

interface ArrayEntry {
  kind: string;
  length: number;
  stored: number;
  checksum?: number;
}

/**
 * Where dump() writes: a file path or file: URL (Node), or a file handle with
 * `createWritable()`, such as a file of the browser's origin private file
 * system (`(await navigator.storage.getDirectory()).getFileHandle(name, { create: true })`).
 */
export type DumpTarget = string | URL | WritableFileHandle;

/**
 * Serializes `value` (typed arrays, SharedMatrix, plain objects and arrays,
 * numbers, strings, booleans, null). Without `target`, resolves to the bytes.
 * With one (a file path or file: URL in Node, a file handle in browsers),
 * writes the file section after section — each array's bytes straight from
 * the array, or compressed across the pool — with no buffer of the whole
 * file, and resolves to the number of bytes written.
 */
export async function dump(value: unknown, target?: undefined, options?: DumpOptions): Promise<Uint8Array>;
export async function dump(value: unknown, target: DumpTarget, options?: DumpOptions): Promise<number>;
export async function dump(value: unknown, target?: DumpTarget, options?: DumpOptions): Promise<Uint8Array | number>;
export async function dump(value: unknown, target?: DumpTarget, options: DumpOptions = {}): Promise<Uint8Array | number> {
  checkObject(options, 'options');
  const codec: DumpCodec =
    options.compress === undefined ? 'lz4' : options.compress === false ? 'raw' : checkOneOf(options.compress, 'options.compress', ['lz4', 'zlib', 'gzip'] as const);
  const level = options.level ?? (codec === 'lz4' ? 1 : 3);
  const pool = options.pool ?? defaultPool();
  if (target !== undefined && !isFileHandle(target) && typeof target !== 'string' && !(target instanceof URL)) {
    throw new ArgumentTypeError('target', `\`target\` must be a file path, a URL or a file handle (createWritable); got ${describe(target)}`);
  }
  const arrays: TypedArray[] = [];
  const tree = flatten(value, arrays, 'value', new Set());
  const sections = await Promise.all(
    arrays.map(async (array) => {
      const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
      if (codec === 'raw') return { bytes, checksum: await checksumOf(pool, bytes) };
      return { bytes: await compress(bytes, { pool, codec, level }), checksum: undefined };
    }),
  );
  const entries: ArrayEntry[] = arrays.map((array, i) => ({
    kind: array.constructor.name,
    length: array.length,
    stored: sections[i]!.bytes.length,
    ...(sections[i]!.checksum !== undefined ? { checksum: sections[i]!.checksum } : {}),
  }));
  const header = new TextEncoder().encode(JSON.stringify({ value: tree, arrays: entries }));
  const head = new Uint8Array(PREFIX_BYTES + header.length + 4);
  const view = new DataView(head.buffer);
  head.set(MAGIC, 0);
  view.setUint16(4, DUMP_FORMAT_VERSION, true);
  head[6] = CODEC_IDS[codec];
  view.setUint32(8, header.length, true);
  head.set(header, PREFIX_BYTES);
  view.setUint32(PREFIX_BYTES + header.length, await checksumOf(pool, header), true);
  const total = head.length + sections.reduce((sum, s) => sum + s.bytes.length, 0);
  if (target === undefined) {
    const out = new Uint8Array(total);
    out.set(head);
    let at = head.length;
    for (const section of sections) {
      out.set(section.bytes, at);
      at += section.bytes.length;
    }
    return out;
  }
  const sink = isFileHandle(target) ? await fileHandleSink(target) : await openFileSink(target);
  try {
    await sink.write(head);
    // Pieces of at most WRITE_PIECE: a sink that must copy (a file handle's stream) copies that much at a time.
    for (const { bytes } of sections) for (let at = 0; at < bytes.length; at += WRITE_PIECE) await sink.write(bytes.subarray(at, at + WRITE_PIECE));
  } finally {
    await sink.close();
  }
  return total;
}

/**
 * Reads what {@link dump} wrote, from bytes, a Blob, a file handle (getFile), or a file path/URL (Node;
 * URLs are fetched in browsers). Files are read by position: each array's bytes go straight from the
 * file into the array (raw), or its compressed section is read and decoded into it, so no buffer of the
 * whole file is made.
 */
export async function load(source: string | URL | Uint8Array | ArrayBuffer | Blob | WritableFileHandle, options: LoadOptions = {}): Promise<unknown> {
  checkObject(options, 'options');
  const pool = options.pool ?? defaultPool();
  const reader =
    source instanceof Uint8Array
      ? bytesSource(source)
      : source instanceof ArrayBuffer
        ? bytesSource(new Uint8Array(source))
        : typeof Blob !== 'undefined' && source instanceof Blob
          ? blobSource(source)
          : isFileHandle(source)
            ? blobSource(await source.getFile())
            : typeof source === 'string' || source instanceof URL
              ? await openFileSource(source)
              : (() => {
                  throw new ArgumentTypeError('source', `\`source\` must be bytes, a Blob, a file handle, or a file path or URL; got ${describe(source)}`);
                })();
  try {
    return await loadFrom(reader, pool, options);
  } finally {
    await reader.close();
  }
}

async function loadFrom(reader: ByteSource, pool: Pool, options: LoadOptions): Promise<unknown> {
  const read = async (position: number, length: number): Promise<Uint8Array> => {
    const bytes = new Uint8Array(length);
    await reader.read(position, bytes);
    return bytes;
  };
  const prefix = reader.size >= PREFIX_BYTES + 4 ? await read(0, PREFIX_BYTES) : undefined;
  if (!prefix || MAGIC.some((b, i) => prefix[i] !== b)) throw new CorruptDataError('not a wyvern dump: the file does not start with "WYVN"');
  const view = new DataView(prefix.buffer);
  const version = view.getUint16(4, true);
  if (version > DUMP_FORMAT_VERSION) {
    throw new WyvernError('ERR_DUMP_VERSION', `this dump is format version ${version}; this wyvern reads versions up to ${DUMP_FORMAT_VERSION}: upgrade wyvern to load it`);
  }
  const codec = (Object.keys(CODEC_IDS) as DumpCodec[]).find((name) => CODEC_IDS[name] === prefix[6]);
  if (!codec) throw new CorruptDataError(`wyvern dump names an unknown codec ${prefix[6]}`);
  const headerLength = view.getUint32(8, true);
  if (headerLength > reader.size - PREFIX_BYTES - 4) throw new CorruptDataError('wyvern dump is truncated: its header runs past the end');
  const headerAndChecksum = await read(PREFIX_BYTES, headerLength + 4);
  const headerBytes = headerAndChecksum.subarray(0, headerLength);
  if ((await checksumOf(pool, headerBytes)) !== new DataView(headerAndChecksum.buffer).getUint32(headerLength, true)) {
    throw new CorruptDataError('wyvern dump header checksum mismatch: the file is corrupted');
  }
  let header: { value: unknown; arrays: ArrayEntry[] };
  try {
    header = JSON.parse(new TextDecoder().decode(headerBytes)) as typeof header;
  } catch {
    throw new CorruptDataError('wyvern dump header is not valid JSON');
  }
  const limit = options.maxOutputLength ?? 2 ** 30;
  let at = PREFIX_BYTES + headerLength + 4;
  const sections = header.arrays.map((entry, i) => {
    const Kind = TYPED_ARRAY_KINDS.find((k) => k.name === entry.kind);
    if (!Kind || !Number.isInteger(entry.length) || entry.length < 0 || !Number.isInteger(entry.stored) || entry.stored < 0) throw new CorruptDataError(`wyvern dump array ${i} has an invalid description`);
    if (entry.stored > reader.size - at) throw new CorruptDataError(`wyvern dump is truncated: array ${i} runs past the end of the file`);
    const byteLength = entry.length * Kind.BYTES_PER_ELEMENT;
    if (byteLength > limit) throw new OutputLimitError(`wyvern dump array ${i} holds ${byteLength} bytes, past \`options.maxOutputLength\` (${limit})`);
    if (codec === 'raw' && entry.stored !== byteLength) throw new CorruptDataError(`wyvern dump array ${i} holds ${entry.stored} bytes, its description says ${byteLength}`);
    const section = { entry, Kind, offset: at, byteLength };
    at += entry.stored;
    return section;
  });
  const arrays: TypedArray[] = [];
  // Settled, not raced: shared arrays are freed on failure only once no read or decode still writes into them.
  const loading = allSettled(
    sections.map(async ({ entry, Kind, offset, byteLength }, i) => {
      const array = options.shared ? pool.alloc(Kind, entry.length) : new Kind(entry.length);
      arrays[i] = array;
      const target = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
      if (codec === 'raw') {
        if ((await readRawSection(reader, pool, offset, target)) !== entry.checksum) throw new CorruptDataError(`wyvern dump array ${i} checksum mismatch: the file is corrupted`);
        return;
      }
      // The compressed section, read into the pool's memory (where the decoders read) and decoded straight into the array's bytes.
      const scope = pool.scope();
      try {
        const stored = scope.allocUninitialized(Uint8Array, entry.stored);
        await reader.read(offset, stored);
        // The limit is the array's size (decompress's own default, 1 GiB, refused larger arrays as corrupted).
        const raw = await decompress(stored, { pool, codec, out: target, sizeHint: byteLength, maxOutputLength: byteLength }).catch((error: unknown) => {
          if (error instanceof OutputLimitError) throw new CorruptDataError(`wyvern dump array ${i} holds more than the ${byteLength} bytes its description says`);
          throw error;
        });
        if (raw.length !== byteLength) throw new CorruptDataError(`wyvern dump array ${i} holds ${raw.length} bytes, its description says ${byteLength}`);
      } finally {
        scope.release();
      }
    }),
  );
  try {
    await loading;
  } catch (error) {
    if (options.shared) for (const array of arrays) if (array) pool.free(array);
    throw error;
  }
  return unflatten(header.value, arrays);
}

/** Replaces arrays by references into `arrays`, refusing what the format cannot hold. */
function flatten(value: unknown, arrays: TypedArray[], path: string, seen: Set<object>): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : { $number: String(value) };
  if (typeof value !== 'object') throw new SerializationError(`dump cannot store ${describe(value)} at \`${path}\`: only arrays, matrices, numbers, strings, booleans, null, and plain objects and arrays of them`);
  if (seen.has(value)) throw new SerializationError(`dump cannot store a cyclic value at \`${path}\``);
  if (value instanceof SharedMatrix) return { $matrix: arrays.push(value.data) - 1, rows: value.rows, cols: value.cols };
  if (typedArrayCode(value) >= 0) return { $array: arrays.push(value as TypedArray) - 1 };
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item, i) => flatten(item, arrays, `${path}[${i}]`, seen));
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) throw new SerializationError(`dump cannot store ${describe(value)} at \`${path}\`: use plain objects`);
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (key.startsWith('$')) throw new SerializationError(`dump cannot store the key \`${key}\` at \`${path}\`: keys starting with "$" are reserved by the format`);
      out[key] = flatten(item, arrays, `${path}.${key}`, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

function unflatten(value: unknown, arrays: TypedArray[]): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => unflatten(item, arrays));
  const record = value as Record<string, unknown>;
  if ('$array' in record) return pick(arrays, record.$array);
  if ('$matrix' in record) return new SharedMatrix(pick(arrays, record.$matrix), Number(record.rows), Number(record.cols));
  if ('$number' in record) return Number(record.$number);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(record)) out[key] = unflatten(item, arrays);
  return out;
}

function pick(arrays: TypedArray[], index: unknown): TypedArray {
  const array = typeof index === 'number' ? arrays[index] : undefined;
  if (!array) throw new CorruptDataError(`wyvern dump refers to array ${String(index)}, which it does not hold`);
  return array;
}

/**
 * Reads a raw section into `target` and returns its xxHash32. An array in the
 * pool's memory is read straight into and hashed by a worker. An ordinary
 * array is filled piece by piece through the pool's memory, hashed on the way:
 * one pass over the new array, not a read into it and then a second pass to
 * hash it. (On VMs where the first touch of memory is slow, memory filled by
 * the OS's read is slow again on its first read from user space: 167 MB
 * loaded in 1.0-1.1 s by read-then-hash, 0.7 s by pieces.)
 */
async function readRawSection(reader: ByteSource, pool: Pool, offset: number, target: Uint8Array): Promise<number> {
  if (pool.isShared(target)) {
    await reader.read(offset, target);
    return checksumOf(pool, target);
  }
  return hashInPieces(pool, target.length, async (piece, at) => {
    await reader.read(offset + at, piece);
    target.set(piece, at);
  });
}

/** xxHash32 of bytes: in a worker when they are in the pool's memory; otherwise on this thread, piece by piece. */
async function checksumOf(pool: Pool, bytes: Uint8Array): Promise<number> {
  if (pool.isShared(bytes)) return pool.apply(kernels.xxhash32, [bytes, 0]);
  return hashInPieces(pool, bytes.length, (piece, at) => piece.set(bytes.subarray(at, at + piece.length)));
}

/**
 * xxHash32 of `length` bytes that `fill` puts, piece after piece, into a
 * reused piece of the pool's memory (the kernels read only that memory), so
 * that large data is never copied whole into the heap.
 */
async function hashInPieces(pool: Pool, length: number, fill: (piece: Uint8Array, at: number) => void | Promise<void>): Promise<number> {
  const local = await pool.mainThreadKernels();
  const scope = pool.scope();
  try {
    const state = scope.allocUninitialized(Uint8Array, local.xxhashStateBytes());
    const piece = scope.allocUninitialized(Uint8Array, Math.min(length, HASH_PIECE));
    local.xxhash32_reset(state.byteOffset, 0);
    for (let at = 0; at < length; at += HASH_PIECE) {
      const part = piece.subarray(0, Math.min(HASH_PIECE, length - at));
      await fill(part, at);
      local.xxhash32_update(state.byteOffset, part.byteOffset, part.length);
    }
    return local.xxhash32_digest(state.byteOffset) >>> 0;
  } finally {
    scope.release();
  }
}
