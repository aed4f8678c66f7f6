/**
 * The binary encoding of task arguments and results.
 *
 * Values are written by a {@link WireWriter} into a private (unshared)
 * scratch buffer, copied into a task slot (or a heap block when larger), and
 * read back by a {@link WireReader} straight from the shared memory. Each
 * value is a one-byte tag followed by its payload, little-endian:
 *
 * | tag | value            | payload                                              |
 * |-----|------------------|------------------------------------------------------|
 * | 0-3 | undefined, null, false, true | none                                     |
 * | 4   | int32            | 4 bytes                                              |
 * | 5   | float64          | 8 bytes                                              |
 * | 6   | string           | u32 byte length, UTF-8; or, with bit 31 of the length |
 * |     |                  | set, that many UTF-16 code units (a lone surrogate)  |
 * | 7   | bigint           | string payload (decimal)                             |
 * | 8   | array            | u32 count, values                                    |
 * | 9   | plain object     | u32 count, (string payload, value) pairs             |
 * | 10  | shared array     | u8 kind, u32 byte address, u32 length: zero copy     |
 * | 11  | shared matrix    | shared array payload, u32 rows, u32 cols             |
 * | 12  | copied array     | u8 kind, u32 byte length, bytes                      |
 * | 13  | Date             | float64 time                                         |
 * | 14  | Map              | u32 count, (key, value) pairs                        |
 * | 15  | Set              | u32 count, values                                    |
 * | 16  | ArrayBuffer      | u32 byte length, bytes                               |
 * | 17  | Error            | object payload: name, message, stack, code, ...      |
 * | 18  | reference        | u32 index of an object written earlier in the value  |
 *
 * Objects are numbered in the order they are first written (a value's own
 * number comes before its contents'); meeting one again writes a reference to
 * it, so shared references and cycles arrive as they were, as structuredClone
 * gives them (a value with an object many times over is not written many times).
 * Shared arrays are recognised by their buffer (see MemoryViews.owns); any
 * other typed array is copied. Functions, symbols and class instances are
 * refused with a SerializationError naming where in the value they were found.
 */

import { SerializationError, describe } from '../errors.js';
import { SharedMatrix, TYPED_ARRAY_KINDS, typedArrayCode, type TypedArray, type TypedArrayConstructor } from '../memory/shared-array.js';
import type { MemoryViews } from '../memory/views.js';
import { rebuildError } from './errors.js';

const enum Tag {
  UNDEFINED = 0,
  NULL = 1,
  FALSE = 2,
  TRUE = 3,
  INT32 = 4,
  FLOAT64 = 5,
  STRING = 6,
  BIGINT = 7,
  ARRAY = 8,
  OBJECT = 9,
  SHARED_ARRAY = 10,
  SHARED_MATRIX = 11,
  COPIED_ARRAY = 12,
  DATE = 13,
  MAP = 14,
  SET = 15,
  ARRAY_BUFFER = 16,
  ERROR = 17,
  REF = 18,
}

const textEncoder = new TextEncoder();
// ignoreBOM: a string that starts with U+FEFF keeps it (by default the decoder drops it as a byte order mark).
const textDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
/** Nesting deeper than this is refused: reading and writing recurse once per level. */
const MAX_DEPTH = 256;
/** Bit 31 of a string's length word: the string follows as UTF-16 code units, not UTF-8. */
const UTF16_STRING = 0x80000000;
const EMPTY = {};
/** Objects of a value looked up by a linear search before a Map takes over (see WireWriter.firstObjects). */
const FIRST_OBJECTS = 16;
/** A scratch buffer grown past this for one large value is let go at the next reset. */
const SCRATCH_KEPT_BYTES = 1 << 20;

/** Whether `value` holds a lone surrogate, which UTF-8 cannot carry (TextEncoder would make it U+FFFD). */
const hasLoneSurrogate: (value: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (value) => !(value as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (value) => /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value);

/** A path element of an error message: keys as they are, anything else (a Map's key) described without running its code. */
const pathElement = (key: unknown): string => (typeof key === 'string' ? key : typeof key === 'number' ? String(key) : `<${describe(key)}>`);

/** Flattened form of an Error (see wire/errors.ts). */
export interface ErrorRecord {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  argument?: string;
  /** An AggregateError's errors. */
  errors?: unknown[];
  cause?: unknown;
}

/** Holds an Error's number while its record is read (the Error is made after it). */
const PENDING_ERROR = Symbol('pending Error');

/** Encodes values into a reusable scratch buffer. Not thread-shared: one per thread. */
export class WireWriter {
  private bytes = new Uint8Array(1024);
  private data = new DataView(this.bytes.buffer);
  /** Bytes written since the last `reset`. */
  length = 0;
  private readonly path: unknown[] = [];
  private depth = 0;
  /**
   * Objects written since the last reset, by number (see Tag.REF): the first few in a list searched
   * in order, the rest in a Map. Most values sent hold a handful of objects (an argument list and an
   * array or two), and a Map per value, cleared each time, cost more than sending them (Map.clear
   * allocates a new table): 0.9 → 1.9 µs per no-op task.
   */
  private readonly firstObjects: object[] = [];
  private firstCount = 0;
  private moreObjects: Map<object, number> | undefined;
  /** Errors being written: their record is read back whole before the Error exists, so nothing in it may refer to them. */
  private readonly openErrors = new Set<object>();

  constructor(private readonly views: MemoryViews) {}

  reset(): this {
    this.length = 0;
    this.depth = 0;
    if (this.path.length > 0) this.path.length = 0; // only after an error
    // Let go of the last value's objects (a large array held here would outlive its use).
    for (let i = 0; i < this.firstCount; i++) this.firstObjects[i] = EMPTY;
    this.firstCount = 0;
    this.moreObjects = undefined;
    if (this.openErrors.size > 0) this.openErrors.clear();
    if (this.bytes.length > SCRATCH_KEPT_BYTES) {
      // One large value would otherwise keep its scratch (three bytes per character of a long string) for good.
      this.bytes = new Uint8Array(1024);
      this.data = new DataView(this.bytes.buffer);
    }
    return this;
  }

  /** The scratch buffer itself; bytes [0, length) are the encoding. */
  get scratch(): Uint8Array {
    return this.bytes;
  }

  /** The encoded bytes (a view of the scratch buffer: copy before the next `reset`). */
  get encoded(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  write(value: unknown): this {
    switch (typeof value) {
      case 'number':
        if ((value | 0) === value && !Object.is(value, -0)) {
          this.reserve(5);
          this.bytes[this.length] = Tag.INT32;
          this.data.setInt32(this.length + 1, value, true);
          this.length += 5;
        } else {
          this.reserve(9);
          this.bytes[this.length] = Tag.FLOAT64;
          this.data.setFloat64(this.length + 1, value, true);
          this.length += 9;
        }
        return this;
      case 'string':
        this.tag(Tag.STRING).string(value);
        return this;
      case 'boolean':
        return this.tag(value ? Tag.TRUE : Tag.FALSE);
      case 'undefined':
        return this.tag(Tag.UNDEFINED);
      case 'bigint':
        this.tag(Tag.BIGINT).string(value.toString());
        return this;
      case 'object':
        if (value === null) return this.tag(Tag.NULL);
        return this.object(value);
      default:
        throw new SerializationError(
          `cannot send ${describe(value)}${this.where()} between threads: only data (numbers, strings, arrays, objects, typed arrays, ...) can cross; ` +
            `functions go as the task itself or by module URL`,
        );
    }
  }

  private object(value: object): this {
    const earlier = this.numberOf(value);
    if (earlier >= 0) {
      if (this.openErrors.size > 0 && this.openErrors.has(value)) {
        throw new SerializationError(`cannot send an Error${this.where()} that refers to itself (through its cause or properties)`);
      }
      return this.tag(Tag.REF).u32(earlier);
    }
    this.remember(value);
    if (Array.isArray(value)) {
      // The common case (every argument list is one), so checked first and kept lean.
      this.enter();
      this.tag(Tag.ARRAY).u32(value.length);
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (typeof item === 'number' || typeof item === 'string') this.write(item);
        else this.nested(i, item);
      }
      this.depth--;
      return this;
    }
    const kind = typedArrayCode(value);
    if (kind >= 0) return this.typedArray(value as TypedArray, kind);
    if (value instanceof SharedMatrix) {
      if (!this.views.owns(value.data.buffer)) {
        throw new SerializationError(`cannot send a SharedMatrix${this.where()} whose data is not in the pool's memory: make it with pool.allocMatrix, or send its data array`);
      }
      this.typedArray(value.data, typedArrayCode(value.data));
      this.bytes[this.length - 10] = Tag.SHARED_MATRIX; // retag the array just written
      return this.u32(value.rows).u32(value.cols);
    }
    this.enter();
    try {
      if (value instanceof Date) {
        this.tag(Tag.DATE).float64(value.getTime());
      } else if (value instanceof Map) {
        this.tag(Tag.MAP).u32(value.size);
        for (const [k, v] of value) this.nested('<key>', k).nested(k, v);
      } else if (value instanceof Set) {
        this.tag(Tag.SET).u32(value.size);
        for (const v of value) this.nested('<item>', v);
      } else if (value instanceof ArrayBuffer) {
        this.tag(Tag.ARRAY_BUFFER).bytesOf(new Uint8Array(value));
      } else if (value instanceof Error) {
        const record: ErrorRecord = { name: value.name, message: value.message, stack: value.stack };
        const extra = value as Error & { code?: unknown; argument?: unknown };
        if (typeof extra.code === 'string') record.code = extra.code;
        if (typeof extra.argument === 'string') record.argument = extra.argument;
        if (value instanceof AggregateError && Array.isArray(value.errors)) record.errors = value.errors;
        if (Object.hasOwn(value, 'cause')) record.cause = value.cause;
        this.openErrors.add(value);
        this.tag(Tag.ERROR).entries(record as unknown as Record<string, unknown>);
        this.openErrors.delete(value);
      } else {
        const proto = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) {
          throw new SerializationError(
            `cannot send ${describe(value)}${this.where()} between threads: class instances lose their prototype; send plain objects`,
          );
        }
        this.tag(Tag.OBJECT).entries(value as Record<string, unknown>);
      }
    } finally {
      this.depth--;
    }
    return this;
  }

  /** The number of an object written before, or -1. */
  private numberOf(value: object): number {
    const first = this.firstObjects;
    for (let i = 0; i < this.firstCount; i++) if (first[i] === value) return i;
    return this.moreObjects?.get(value) ?? -1;
  }

  private remember(value: object): void {
    if (this.firstCount < FIRST_OBJECTS) {
      this.firstObjects[this.firstCount++] = value;
      return;
    }
    this.moreObjects ??= new Map();
    this.moreObjects.set(value, FIRST_OBJECTS + this.moreObjects.size);
  }

  /** Counts nesting (cycles end in references, so only depth is left to bound). */
  private enter(): void {
    if (++this.depth <= MAX_DEPTH) return;
    this.depth = 0;
    throw new SerializationError(`cannot send a value nested more than ${MAX_DEPTH} levels deep${this.where()}`);
  }

  private entries(record: Record<string, unknown>): void {
    const keys = Object.keys(record);
    this.u32(keys.length);
    for (const key of keys) {
      this.string(key);
      this.nested(key, record[key]);
    }
  }

  private typedArray(array: TypedArray, kind: number): this {
    if (this.views.owns(array.buffer)) {
      this.reserve(10);
      this.bytes[this.length] = Tag.SHARED_ARRAY;
      this.bytes[this.length + 1] = kind;
      this.data.setUint32(this.length + 2, array.byteOffset, true);
      this.data.setUint32(this.length + 6, array.length, true);
      this.length += 10;
      return this;
    }
    this.tag(Tag.COPIED_ARRAY);
    this.reserve(1);
    this.bytes[this.length++] = kind;
    return this.bytesOf(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  }

  private nested(key: unknown, value: unknown): this {
    this.path.push(key);
    this.write(value);
    this.path.pop();
    return this;
  }

  private where(): string {
    if (this.path.length === 0) return '';
    const shown = this.path.length > 12 ? [...this.path.slice(0, 12).map(pathElement), '…'] : this.path.map(pathElement);
    return ` at \`${shown.join('.')}\``;
  }

  private tag(tag: Tag): this {
    this.reserve(1);
    this.bytes[this.length++] = tag;
    return this;
  }

  private u32(value: number): this {
    this.reserve(4);
    this.data.setUint32(this.length, value, true);
    this.length += 4;
    return this;
  }

  private float64(value: number): this {
    this.reserve(8);
    this.data.setFloat64(this.length, value, true);
    this.length += 8;
    return this;
  }

  private string(value: string): void {
    if (value.length > 0 && hasLoneSurrogate(value)) {
      this.reserve(4 + value.length * 2);
      this.data.setUint32(this.length, (UTF16_STRING | value.length) >>> 0, true);
      this.length += 4;
      for (let i = 0; i < value.length; i++, this.length += 2) this.data.setUint16(this.length, value.charCodeAt(i), true);
      return;
    }
    // At most 3 bytes per UTF-16 unit.
    this.reserve(4 + value.length * 3);
    const { written } = textEncoder.encodeInto(value, this.bytes.subarray(this.length + 4));
    this.data.setUint32(this.length, written, true);
    this.length += 4 + written;
  }

  private bytesOf(source: Uint8Array): this {
    this.u32(source.length);
    this.reserve(source.length);
    this.bytes.set(source, this.length);
    this.length += source.length;
    return this;
  }

  private reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.bytes.length) return;
    let capacity = this.bytes.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.data = new DataView(grown.buffer);
  }
}

/**
 * Decodes values from the shared memory at [position, end). The bytes are trusted no more than needed to stay
 * within them: a corrupted payload is a SerializationError, not a read of the bytes after it.
 */
export class WireReader {
  private position = 0;
  private end = 0;
  private bytes!: Uint8Array;
  private data!: DataView;
  private depth = 0;
  /** Objects read so far, by number (see Tag.REF). */
  private readonly objects: unknown[] = [];

  constructor(private readonly views: MemoryViews) {}

  /** Starts reading `length` bytes at byte address `ptr`. */
  at(ptr: number, length: number): this {
    this.views.ensure(ptr + length);
    this.bytes = this.views.u8;
    this.data = this.views.data;
    this.position = ptr;
    this.end = Math.min(ptr + length, this.bytes.length);
    this.depth = 0;
    this.objects.length = 0;
    return this;
  }

  read(): unknown {
    this.need(1, 'a value');
    const tag = this.bytes[this.position++] as Tag;
    switch (tag) {
      case Tag.UNDEFINED:
        return undefined;
      case Tag.NULL:
        return null;
      case Tag.FALSE:
        return false;
      case Tag.TRUE:
        return true;
      case Tag.INT32: {
        this.need(4, 'an int32');
        const value = this.data.getInt32(this.position, true);
        this.position += 4;
        return value;
      }
      case Tag.FLOAT64:
        return this.float64();
      case Tag.STRING:
        return this.string();
      case Tag.BIGINT: {
        const digits = this.string();
        if (!/^-?\d+$/.test(digits)) throw this.corrupt(`a bigint of "${digits.slice(0, 40)}"`);
        return BigInt(digits);
      }
      case Tag.ARRAY: {
        const count = this.count(1);
        const out = this.open(new Array<unknown>(count));
        for (let i = 0; i < count; i++) out[i] = this.read();
        this.depth--;
        return out;
      }
      case Tag.OBJECT:
        return this.entries(true);
      case Tag.SHARED_ARRAY:
        return this.remember(this.sharedArray());
      case Tag.SHARED_MATRIX: {
        const data = this.sharedArray();
        const rows = this.u32();
        const cols = this.u32();
        if (rows * cols > data.length) throw this.corrupt(`a ${rows} x ${cols} matrix over ${data.length} elements`);
        return this.remember(new SharedMatrix(data, rows, cols));
      }
      case Tag.COPIED_ARRAY: {
        const Kind = this.kind();
        const bytes = this.copyBytes();
        if (bytes.byteLength % Kind.BYTES_PER_ELEMENT !== 0) throw this.corrupt(`a ${Kind.name} of ${bytes.byteLength} bytes`);
        return this.remember(new Kind(bytes.buffer as ArrayBuffer, 0, bytes.byteLength / Kind.BYTES_PER_ELEMENT));
      }
      case Tag.DATE:
        return this.remember(new Date(this.float64()));
      case Tag.MAP: {
        const count = this.count(2);
        const map = this.open(new Map<unknown, unknown>());
        for (let i = 0; i < count; i++) map.set(this.read(), this.read());
        this.depth--;
        return map;
      }
      case Tag.SET: {
        const count = this.count(1);
        const set = this.open(new Set<unknown>());
        for (let i = 0; i < count; i++) set.add(this.read());
        this.depth--;
        return set;
      }
      case Tag.ARRAY_BUFFER:
        return this.remember(this.copyBytes().buffer);
      case Tag.ERROR: {
        // An Error again, wherever it is: a task's failure, or one inside a result.
        const index = this.objects.push(PENDING_ERROR) - 1;
        const error = rebuildError(this.entries(false) as unknown as ErrorRecord);
        this.objects[index] = error;
        return error;
      }
      case Tag.REF: {
        const index = this.u32();
        if (index >= this.objects.length || this.objects[index] === PENDING_ERROR) throw this.corrupt(`a reference to object ${index} of ${this.objects.length}`);
        return this.objects[index];
      }
      default:
        throw this.corrupt(`unknown tag ${tag}`, this.position - 1);
    }
  }

  private remember<T>(value: T): T {
    this.objects.push(value);
    return value;
  }

  /** A plain object's entries; `own`: numbered as an object of the value (not an Error's record). */
  private entries(own: boolean): Record<string, unknown> {
    const count = this.count(5); // a key's length word and a tag, at least
    const out: Record<string, unknown> = {};
    if (own) this.open(out);
    else this.nest();
    for (let i = 0; i < count; i++) {
      const key = this.string();
      const value = this.read();
      // A plain assignment to "__proto__" would set the prototype instead of a key.
      if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      else out[key] = value;
    }
    this.depth--;
    return out;
  }

  /** A container read next: numbered before its contents, as the writer numbers it; one level deeper until they are read. */
  private open<T>(container: T): T {
    this.objects.push(container);
    this.nest();
    return container;
  }

  private nest(): void {
    if (++this.depth > MAX_DEPTH) throw this.corrupt(`nesting deeper than ${MAX_DEPTH} levels`);
  }

  /** A count of items that take at least `bytesEach` bytes each: no more than the bytes left can hold. */
  private count(bytesEach: number): number {
    const count = this.u32();
    if (count * bytesEach > this.end - this.position) throw this.corrupt(`${count} items in ${this.end - this.position} bytes`);
    return count;
  }

  private kind(): TypedArrayConstructor {
    this.need(1, 'an array kind');
    const Kind = TYPED_ARRAY_KINDS[this.bytes[this.position]!];
    if (Kind === undefined) throw this.corrupt(`array kind ${this.bytes[this.position]}`);
    this.position++;
    return Kind;
  }

  private sharedArray(): TypedArray {
    const Kind = this.kind();
    const byteOffset = this.u32();
    const length = this.u32();
    const byteEnd = byteOffset + length * Kind.BYTES_PER_ELEMENT;
    this.views.ensure(byteEnd);
    if (byteOffset % Kind.BYTES_PER_ELEMENT !== 0 || byteEnd > this.views.u8.length) {
      throw this.corrupt(`a shared ${Kind.name} of ${length} at address ${byteOffset}`);
    }
    return new Kind(this.views.buffer as unknown as ArrayBuffer, byteOffset, length);
  }

  private u32(): number {
    this.need(4, 'a u32');
    const value = this.data.getUint32(this.position, true);
    this.position += 4;
    return value;
  }

  private float64(): number {
    this.need(8, 'a float64');
    const value = this.data.getFloat64(this.position, true);
    this.position += 8;
    return value;
  }

  private string(): string {
    const word = this.u32();
    if (word & UTF16_STRING) return this.utf16((word & ~UTF16_STRING) >>> 0);
    const length = word;
    this.need(length, 'a string');
    const start = this.position;
    this.position += length;
    const bytes = this.bytes;
    // Short ASCII strings (the common case: names, keys) without TextDecoder,
    // which also refuses views of shared memory in browsers.
    if (length <= 64) {
      let out = '';
      for (let i = start; i < start + length; i++) {
        const byte = bytes[i]!;
        if (byte >= 0x80) return textDecoder.decode(bytes.slice(start, start + length));
        out += String.fromCharCode(byte);
      }
      return out;
    }
    return textDecoder.decode(bytes.slice(start, start + length));
  }

  /** A string sent as code units (it holds a lone surrogate, which a UTF-16 decoder would replace too). */
  private utf16(units: number): string {
    this.need(units * 2, 'a string');
    const parts: string[] = [];
    const chunk = new Array<number>(Math.min(units, 8192));
    for (let done = 0; done < units; done += chunk.length) {
      const n = Math.min(chunk.length, units - done);
      chunk.length = n;
      for (let i = 0; i < n; i++) chunk[i] = this.data.getUint16(this.position + 2 * (done + i), true);
      parts.push(String.fromCharCode(...chunk));
    }
    this.position += units * 2;
    return parts.join('');
  }

  private copyBytes(): Uint8Array {
    const length = this.u32();
    this.need(length, 'bytes');
    const copy = this.bytes.slice(this.position, this.position + length);
    this.position += length;
    return copy;
  }

  private need(bytes: number, what: string): void {
    if (bytes > this.end - this.position) throw this.corrupt(`${what} of ${bytes} bytes with ${this.end - this.position} left`);
  }

  private corrupt(what: string, at = this.position): SerializationError {
    return new SerializationError(`corrupt task payload: ${what} at byte ${at}`);
  }
}
