/**
 * `dump(value, target?, options)` and `load(source, options)`: joblib's
 * persistence for typed arrays, matrices and the plain objects and arrays
 * that hold them. The file format (docs/formats.md):
 *
 * ```
 *  "WYVN" | version u16 LE | codec u8 (0 raw, 1 lz4, 2 zlib, 3 gzip) | reserved u8 | header length u32 LE
 *  | header: UTF-8 JSON { value, arrays: [{ kind, length, stored, checksum }] } | header xxh32 u32 LE
 *  | array sections, in order: `stored` bytes each (raw, or compressed: an LZ4 frame, a zlib or a gzip stream)
 * ```
 *
 * In `value`, each typed array is `{ "$array": i }` (an array held in several
 * places is stored once) and each matrix `{ "$matrix": i, "rows": r, "cols": c }`;
 * numbers JSON cannot hold are `{ "$number": "NaN" | "Infinity" | "-Infinity" | "-0" }`. Raw sections carry an
 * xxHash32 in `checksum`; compressed sections carry their codec's own
 * checksum (LZ4 content xxHash32, zlib Adler-32, gzip CRC-32). Sections are compressed across the pool (each LZ4 frame in
 * parallel blocks). A newer version, another magic, or a failed checksum is
 * a clear error.
 */

import { openFileSink, openFileSource } from '#platform';
import type { ByteSink, ByteSource } from '../platform/types.js';
import { blobSource, bytesSource, fileHandleSink, isFileHandle, isReadableFileHandle, type ReadableFileHandle, type WritableFileHandle } from './byte-source.js';

export type { ReadableFileHandle, WritableFileHandle } from './byte-source.js';
import { checkLevel, compress, decompress } from '../codecs/compress.js';
import { ArgumentRangeError, ArgumentTypeError, CorruptDataError, OutOfMemoryError, OutputLimitError, SerializationError, WyvernError, describe } from '../errors.js';
import { SharedMatrix, TYPED_ARRAY_KINDS, typedArrayCode, type TypedArray } from '../memory/shared-array.js';
import { checkInteger, checkObject, checkOneOf, reject } from '../options.js';
import { defaultPool } from '../pool/default-pool.js';
import { mapWithinBudget } from '../pool/settle.js';
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
/**
 * Array sections dumped or loaded at once while the memory they may take (their input and output) sums
 * to at most this, or a quarter of the pool's memory if less (one at a time when one is larger): many
 * small arrays overlap, large ones (compressed across the pool on their own) one after another.
 */
const SECTIONS_IN_FLIGHT_BYTES = 64 << 20;
const sectionsInFlight = (pool: Pool): number => Math.min(SECTIONS_IN_FLIGHT_BYTES, pool.heapStatistics().maximumBytes / 4);
/** Objects and arrays nested deeper than this are refused (dump) or corrupt (load), not a stack overflow. */
const MAX_DEPTH = 1000;
const NUMBER_NAMES = new Set(['NaN', 'Infinity', '-Infinity', '-0']);

/** Options of `dump`: the codec, its level and the pool that compresses. */
export interface DumpOptions {
  /** How array sections are stored: LZ4 (fast), zlib or gzip (smaller), or raw (`false`). @default 'lz4' */
  compress?: 'lz4' | 'zlib' | 'gzip' | false;
  /** Compression level: zlib/gzip 0-9 (default 3, as joblib's), LZ4 1-12 as in compress() (default 1, the fast one). */
  level?: number;
  /** @default defaultPool() */
  pool?: Pool;
}

/** Options of `load`: where arrays go (shared or ordinary), the output limit and the pool. */
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
  // The level is checked whatever the value holds (a dump without arrays compresses nothing).
  if (codec === 'raw' && options.level !== undefined) {
    throw new ArgumentRangeError('options.level', '`options.level` applies to a compressed dump; options.compress is false');
  }
  const level = codec === 'raw' ? 0 : checkLevel(codec, options.level, codec === 'lz4' ? 1 : 3);
  if (target !== undefined && !isFileHandle(target) && typeof target !== 'string' && !(target instanceof URL)) {
    throw new ArgumentTypeError('target', `\`target\` must be a file path, a URL or a file handle (createWritable); got ${describe(target)}`);
  }
  const arrays: TypedArray[] = [];
  const tree = flatten(value, { arrays, indices: new Map(), seen: new Set() }, 'value', 0);
  const pool = options.pool ?? defaultPool();
  // The target is opened before the work: a path that cannot be written (no such directory, a browser's
  // string path) fails at once, not after every array was compressed.
  const sink = target === undefined ? undefined : isFileHandle(target) ? await fileHandleSink(target) : await openFileSink(target);
  try {
    return await dumpInto(sink, tree, arrays, pool, codec, level);
  } catch (error) {
    // Nothing of a failed dump is kept where the target allows it: a file written beside it is removed, a
    // file handle's stream aborted (one without abort() is closed, keeping what was written).
    await sink?.abort().catch(() => {});
    throw error;
  }
}

/** dump() once its arguments are checked: the sections made across the pool, then the bytes or the file. */
async function dumpInto(sink: ByteSink | undefined, tree: unknown, arrays: TypedArray[], pool: Pool, codec: DumpCodec, level: number): Promise<Uint8Array | number> {
  const sections = await mapWithinBudget(arrays, sectionsInFlight(pool), (array) => 2 * array.byteLength /* the input's copy and the output */, async (array) => {
    const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    if (codec === 'raw') return { bytes, checksum: await checksumOf(pool, bytes) };
    return { bytes: await compress(bytes, { pool, codec, level }), checksum: undefined };
  });
  const entries: ArrayEntry[] = arrays.map((array, i) => ({
    kind: TYPED_ARRAY_KINDS[typedArrayCode(array)]!.name, // a Buffer as the Uint8Array it is
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
  if (sink === undefined) {
    const out = new Uint8Array(total);
    out.set(head);
    let at = head.length;
    for (const section of sections) {
      out.set(section.bytes, at);
      at += section.bytes.length;
    }
    return out;
  }
  await sink.write(head);
  // Pieces of at most WRITE_PIECE: a sink that must copy (a file handle's stream) copies that much at a time.
  for (const { bytes } of sections) for (let at = 0; at < bytes.length; at += WRITE_PIECE) await sink.write(bytes.subarray(at, at + WRITE_PIECE));
  await sink.close();
  return total;
}

/**
 * Reads what {@link dump} wrote, from bytes, a Blob, a file handle (getFile), or a file path/URL (Node;
 * URLs are fetched in browsers). Files are read by position: each array's bytes go straight from the
 * file into the array (raw), or its compressed section is read and decoded into it, so no buffer of the
 * whole file is made.
 */
export async function load(source: string | URL | Uint8Array | ArrayBuffer | Blob | ReadableFileHandle, options: LoadOptions = {}): Promise<unknown> {
  checkObject(options, 'options');
  if (options.shared !== undefined && typeof options.shared !== 'boolean') reject('type', 'options.shared', 'a boolean', options.shared);
  if (options.maxOutputLength !== undefined) checkInteger(options.maxOutputLength, 'options.maxOutputLength');
  const isBlob = typeof Blob !== 'undefined' && source instanceof Blob;
  if (!(source instanceof Uint8Array || source instanceof ArrayBuffer || isBlob || isReadableFileHandle(source) || typeof source === 'string' || source instanceof URL)) {
    throw new ArgumentTypeError('source', `\`source\` must be bytes, a Blob, a file handle (getFile), or a file path or URL; got ${describe(source)}`);
  }
  const pool = options.pool ?? defaultPool();
  const reader =
    source instanceof Uint8Array
      ? bytesSource(source)
      : source instanceof ArrayBuffer
        ? bytesSource(new Uint8Array(source))
        : isBlob
          ? blobSource(source as Blob)
          : isReadableFileHandle(source)
            ? blobSource(await source.getFile())
            : await openFileSource(source as string | URL);
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
  if (version === 0) throw new CorruptDataError('wyvern dump names format version 0, which does not exist (versions start at 1)');
  const codec = (Object.keys(CODEC_IDS) as DumpCodec[]).find((name) => CODEC_IDS[name] === prefix[6]);
  if (!codec) throw new CorruptDataError(`wyvern dump names an unknown codec ${prefix[6]}`);
  if (prefix[7] !== 0) throw new CorruptDataError(`wyvern dump has ${prefix[7]} in its reserved byte (7), where version ${version} writes 0`);
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
  if (typeof header !== 'object' || header === null || !('value' in header) || !Array.isArray(header.arrays) || header.arrays.some((entry) => typeof entry !== 'object' || entry === null)) {
    throw new CorruptDataError('wyvern dump header is not an object of `value` and a list of `arrays`');
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
  if (at !== reader.size) throw new CorruptDataError(`wyvern dump has ${reader.size - at} bytes after its last array`);
  const arrays: TypedArray[] = [];
  try {
    // Each array is made when its section's turn comes, and the sections go a few at a time (their bytes in
    // the pool's memory while they decode): a file cannot make load take more memory than it really holds.
    await mapWithinBudget(sections, sectionsInFlight(pool), (section) => section.entry.stored + section.byteLength, async ({ entry, Kind, offset }, i) => {
      const array = options.shared ? pool.alloc(Kind, entry.length) : new Kind(entry.length);
      arrays[i] = array;
      const target = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
      if (codec === 'raw') {
        if ((await readRawSection(reader, pool, offset, target)) !== entry.checksum) throw new CorruptDataError(`wyvern dump array ${i} checksum mismatch: the file is corrupted`);
        return;
      }
      await readCompressedSection(reader, pool, codec, offset, entry.stored, target, i);
    });
    const referenced = new Set<number>();
    const value = unflatten(header.value, arrays, referenced, 0);
    const unused = arrays.findIndex((_, i) => !referenced.has(i));
    if (unused >= 0) throw new CorruptDataError(`wyvern dump holds array ${unused}, which its value never refers to`);
    return value;
  } catch (error) {
    // Every read and decode has settled (mapWithinBudget waits for them): none still writes into these.
    if (options.shared) for (const array of arrays) if (array) pool.free(array);
    throw error;
  }
}

/**
 * Reads a compressed section and decodes it into `target` (the array's bytes): read into the pool's memory,
 * where the decoders read, or, when the section does not fit there, into an ordinary array that decompress
 * takes a part at a time.
 */
async function readCompressedSection(reader: ByteSource, pool: Pool, codec: Exclude<DumpCodec, 'raw'>, offset: number, storedBytes: number, target: Uint8Array, index: number): Promise<void> {
  const byteLength = target.length;
  const scope = pool.scope();
  try {
    let stored: Uint8Array;
    try {
      stored = scope.allocUninitialized(Uint8Array, storedBytes);
    } catch (error) {
      if (!(error instanceof OutOfMemoryError)) throw error;
      stored = new Uint8Array(storedBytes);
    }
    await reader.read(offset, stored);
    // The limit is the array's size (decompress's own default, 1 GiB, refused larger arrays as corrupted).
    const raw = await decompress(stored, { pool, codec, out: target, sizeHint: byteLength, maxOutputLength: byteLength }).catch((error: unknown) => {
      if (error instanceof OutputLimitError) throw new CorruptDataError(`wyvern dump array ${index} holds more than the ${byteLength} bytes its description says`);
      throw error;
    });
    if (raw.length !== byteLength) throw new CorruptDataError(`wyvern dump array ${index} holds ${raw.length} bytes, its description says ${byteLength}`);
  } finally {
    scope.release();
  }
}

/** What flatten gathers: the arrays in order, each array's index (one stored once, however often it appears), the objects on the path. */
interface Flattening {
  arrays: TypedArray[];
  indices: Map<TypedArray, number>;
  seen: Set<object>;
}

/** Sets `key` as an own property, even `__proto__` (an assignment would set the prototype instead). */
function defineEntry(record: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/** `array`'s index among the arrays stored: its first, however often the value holds it. */
function arrayIndex(into: Flattening, array: TypedArray): number {
  let index = into.indices.get(array);
  if (index === undefined) into.indices.set(array, (index = into.arrays.push(array) - 1));
  return index;
}

/** Replaces arrays by references into `arrays`, refusing what the format cannot hold. */
function flatten(value: unknown, into: Flattening, path: string, depth: number): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0) ? value : { $number: String(Object.is(value, -0) ? '-0' : value) };
  if (typeof value !== 'object') throw new SerializationError(`dump cannot store ${describe(value)} at \`${path}\`: only arrays, matrices, numbers, strings, booleans, null, and plain objects and arrays of them`);
  if (into.seen.has(value)) throw new SerializationError(`dump cannot store a cyclic value at \`${path}\``);
  if (value instanceof SharedMatrix) return { $matrix: arrayIndex(into, value.data), rows: value.rows, cols: value.cols };
  if (typedArrayCode(value) >= 0) return { $array: arrayIndex(into, value as TypedArray) };
  if (depth >= MAX_DEPTH) throw new SerializationError(`dump cannot store \`${path}\`: objects and arrays nest more than ${MAX_DEPTH} deep`);
  into.seen.add(value);
  try {
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      for (let i = 0; i < value.length; i++) {
        if (!(i in value)) throw new SerializationError(`dump cannot store the empty slot at \`${path}[${i}]\` (a hole in a sparse array)`);
        out.push(flatten(value[i], into, `${path}[${i}]`, depth + 1));
      }
      return out;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) throw new SerializationError(`dump cannot store ${describe(value)} at \`${path}\`: use plain objects`);
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (key.startsWith('$')) throw new SerializationError(`dump cannot store the key \`${key}\` at \`${path}\`: keys starting with "$" are reserved by the format`);
      defineEntry(out, key, flatten(item, into, `${path}.${key}`, depth + 1));
    }
    return out;
  } finally {
    into.seen.delete(value);
  }
}

/** The value flatten made, with its arrays back in place; notes in `referenced` which arrays it used. */
function unflatten(value: unknown, arrays: TypedArray[], referenced: Set<number>, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) throw new CorruptDataError(`wyvern dump value nests more than ${MAX_DEPTH} deep`);
  if (Array.isArray(value)) return value.map((item) => unflatten(item, arrays, referenced, depth + 1));
  const record = value as Record<string, unknown>;
  if ('$array' in record) return pick(arrays, record.$array, referenced);
  if ('$matrix' in record) {
    const data = pick(arrays, record.$matrix, referenced);
    const { rows, cols } = record;
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || (rows as number) < 0 || (cols as number) < 0 || (rows as number) * (cols as number) > data.length) {
      throw new CorruptDataError(`wyvern dump has a matrix of ${String(rows)} × ${String(cols)} over array ${String(record.$matrix)} of ${data.length} elements`);
    }
    return new SharedMatrix(data, rows as number, cols as number);
  }
  if ('$number' in record) {
    if (!NUMBER_NAMES.has(record.$number as string)) throw new CorruptDataError(`wyvern dump has the number ${JSON.stringify(record.$number)}, not one of ${[...NUMBER_NAMES].join(', ')}`);
    return Number(record.$number);
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(record)) defineEntry(out, key, unflatten(item, arrays, referenced, depth + 1));
  return out;
}

function pick(arrays: TypedArray[], index: unknown, referenced: Set<number>): TypedArray {
  const array = typeof index === 'number' ? arrays[index] : undefined;
  if (!array) throw new CorruptDataError(`wyvern dump refers to array ${String(index)}, which it does not hold`);
  referenced.add(index as number);
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
