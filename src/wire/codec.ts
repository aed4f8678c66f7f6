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
 * | 6   | string           | u32 byte length, UTF-8                               |
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
 *
 * Shared arrays are recognised by their buffer (see MemoryViews.owns); any
 * other typed array is copied. Functions, symbols and cycles are refused with
 * a SerializationError naming where in the value they were found.
 */

import { SerializationError, describe } from '../errors.js';
import { SharedMatrix, TYPED_ARRAY_KINDS, typedArrayCode, type TypedArray } from '../memory/shared-array.js';
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
}

const textEncoder = new TextEncoder();
/** Nesting deeper than this is refused (and reported as a cycle if it is one). */
const MAX_DEPTH = 256;

/** Whether `root` reaches itself through arrays, plain objects, Maps or Sets. */
function findCycle(root: object): boolean {
  const onPath = new Set<object>();
  const visit = (value: unknown): boolean => {
    if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return false;
    if (onPath.has(value)) return true;
    onPath.add(value);
    const children = value instanceof Map ? [...value.keys(), ...value.values()] : value instanceof Set ? [...value] : Object.values(value);
    const found = children.some(visit);
    onPath.delete(value);
    return found;
  };
  return visit(root);
}
const textDecoder = new TextDecoder();

/** Flattened form of an Error (see wire/errors.ts). */
export interface ErrorRecord {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  argument?: string;
  cause?: unknown;
}

/** Encodes values into a reusable scratch buffer. Not thread-shared: one per thread. */
export class WireWriter {
  private bytes = new Uint8Array(1024);
  private data = new DataView(this.bytes.buffer);
  /** Bytes written since the last `reset`. */
  length = 0;
  private readonly path: string[] = [];
  private depth = 0;

  constructor(private readonly views: MemoryViews) {}

  reset(): this {
    this.length = 0;
    this.depth = 0;
    if (this.path.length > 0) this.path.length = 0; // only after an error
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
          `cannot send ${describe(value)}${this.where()} to a worker: only data (numbers, strings, arrays, objects, typed arrays, ...) can cross; ` +
            `functions go as the task itself or by module URL`,
        );
    }
  }

  private object(value: object): this {
    if (Array.isArray(value)) {
      // The common case (every argument list is one), so checked first and kept lean.
      this.enter(value);
      this.tag(Tag.ARRAY).u32(value.length);
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (typeof item === 'number' || typeof item === 'string') this.write(item);
        else this.nested(String(i), item);
      }
      this.depth--;
      return this;
    }
    const kind = typedArrayCode(value);
    if (kind >= 0) return this.typedArray(value as TypedArray, kind);
    if (value instanceof SharedMatrix && this.views.owns(value.data.buffer)) {
      this.typedArray(value.data, typedArrayCode(value.data));
      this.bytes[this.length - 10] = Tag.SHARED_MATRIX; // retag the array just written
      return this.u32(value.rows).u32(value.cols);
    }
    this.enter(value);
    try {
      if (value instanceof Date) {
        this.tag(Tag.DATE).float64(value.getTime());
      } else if (value instanceof Map) {
        this.tag(Tag.MAP).u32(value.size);
        for (const [k, v] of value) this.nested('<key>', k).nested(String(k), v);
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
        if (value.cause !== undefined) record.cause = value.cause;
        this.tag(Tag.ERROR).entries(record as unknown as Record<string, unknown>);
      } else {
        const proto = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) {
          throw new SerializationError(
            `cannot send ${describe(value)}${this.where()} to a worker: class instances lose their prototype; send plain objects`,
          );
        }
        this.tag(Tag.OBJECT).entries(value as Record<string, unknown>);
      }
    } finally {
      this.depth--;
    }
    return this;
  }

  /**
   * Counts nesting instead of remembering every object on the path: a Set
   * per argument list would cost more than encoding it. Past MAX_DEPTH the
   * value is searched for a cycle, so the error can say which it is.
   */
  private enter(value: object): void {
    if (++this.depth <= MAX_DEPTH) return;
    this.depth = 0;
    throw new SerializationError(
      findCycle(value)
        ? `cannot send a cyclic value${this.where()}: it refers to itself`
        : `cannot send a value nested more than ${MAX_DEPTH} levels deep${this.where()}`,
    );
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

  private nested(key: string, value: unknown): this {
    this.path.push(key);
    this.write(value);
    this.path.pop();
    return this;
  }

  private where(): string {
    if (this.path.length === 0) return '';
    const shown = this.path.length > 12 ? [...this.path.slice(0, 12), '…'] : this.path;
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

/** Decodes values from the shared memory at [position, end). */
export class WireReader {
  private position = 0;
  private bytes!: Uint8Array;
  private data!: DataView;

  constructor(private readonly views: MemoryViews) {}

  /** Starts reading `length` bytes at byte address `ptr`. */
  at(ptr: number, length: number): this {
    this.views.ensure(ptr + length);
    this.bytes = this.views.u8;
    this.data = this.views.data;
    this.position = ptr;
    return this;
  }

  read(): unknown {
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
        const value = this.data.getInt32(this.position, true);
        this.position += 4;
        return value;
      }
      case Tag.FLOAT64:
        return this.float64();
      case Tag.STRING:
        return this.string();
      case Tag.BIGINT:
        return BigInt(this.string());
      case Tag.ARRAY: {
        const count = this.u32();
        const out = new Array<unknown>(count);
        for (let i = 0; i < count; i++) out[i] = this.read();
        return out;
      }
      case Tag.OBJECT:
        return this.entries();
      case Tag.SHARED_ARRAY:
        return this.sharedArray();
      case Tag.SHARED_MATRIX: {
        const data = this.sharedArray();
        const rows = this.u32();
        return new SharedMatrix(data, rows, this.u32());
      }
      case Tag.COPIED_ARRAY: {
        const Kind = TYPED_ARRAY_KINDS[this.bytes[this.position++]!]!;
        const bytes = this.copyBytes();
        return new Kind(bytes.buffer as ArrayBuffer, 0, bytes.byteLength / Kind.BYTES_PER_ELEMENT);
      }
      case Tag.DATE:
        return new Date(this.float64());
      case Tag.MAP: {
        const count = this.u32();
        const map = new Map<unknown, unknown>();
        for (let i = 0; i < count; i++) map.set(this.read(), this.read());
        return map;
      }
      case Tag.SET: {
        const count = this.u32();
        const set = new Set<unknown>();
        for (let i = 0; i < count; i++) set.add(this.read());
        return set;
      }
      case Tag.ARRAY_BUFFER:
        return this.copyBytes().buffer;
      case Tag.ERROR:
        // An Error again, wherever it is: a task's failure, or one inside a result.
        return rebuildError(this.entries() as unknown as ErrorRecord);
      default:
        throw new SerializationError(`corrupt task payload: unknown tag ${tag} at byte ${this.position - 1}`);
    }
  }

  private entries(): Record<string, unknown> {
    const count = this.u32();
    const out: Record<string, unknown> = {};
    for (let i = 0; i < count; i++) {
      const key = this.string();
      const value = this.read();
      // A plain assignment to "__proto__" would set the prototype instead of a key.
      if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      else out[key] = value;
    }
    return out;
  }

  private sharedArray(): TypedArray {
    const Kind = TYPED_ARRAY_KINDS[this.bytes[this.position]!]!;
    const byteOffset = this.data.getUint32(this.position + 1, true);
    const length = this.data.getUint32(this.position + 5, true);
    this.position += 9;
    this.views.ensure(byteOffset + length * Kind.BYTES_PER_ELEMENT);
    return new Kind(this.views.buffer as unknown as ArrayBuffer, byteOffset, length);
  }

  private u32(): number {
    const value = this.data.getUint32(this.position, true);
    this.position += 4;
    return value;
  }

  private float64(): number {
    const value = this.data.getFloat64(this.position, true);
    this.position += 8;
    return value;
  }

  private string(): string {
    const length = this.u32();
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

  private copyBytes(): Uint8Array {
    const length = this.u32();
    const copy = this.bytes.slice(this.position, this.position + length);
    this.position += length;
    return copy;
  }
}

