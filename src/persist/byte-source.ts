/** Byte sources (load) and sinks (dump) that are the same on every platform: bytes, Blobs, file handles. */

import type { ByteSink, ByteSource } from '../platform/types.js';

export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    async read(position, into) {
      if (position + into.length > bytes.length) throw new RangeError(`the bytes end at ${bytes.length}, before ${position + into.length}`);
      into.set(bytes.subarray(position, position + into.length));
    },
    close: async () => {},
  };
}

/** A Blob read piece by piece (Blob.slice): a File from an input or from the origin private file system. */
export function blobSource(blob: Blob): ByteSource {
  return {
    size: blob.size,
    async read(position, into) {
      if (position + into.length > blob.size) throw new RangeError(`the file ends at ${blob.size}, before ${position + into.length}`);
      into.set(new Uint8Array(await blob.slice(position, position + into.length).arrayBuffer()));
    },
    close: async () => {},
  };
}

/** The part of the File System API's FileSystemFileHandle that load() uses. */
export interface ReadableFileHandle {
  getFile(): Promise<Blob>;
}

/** A value with `getFile()`: what load() reads a file handle through (it needs no `createWritable`). */
export function isReadableFileHandle(value: unknown): value is ReadableFileHandle {
  return typeof value === 'object' && value !== null && typeof (value as ReadableFileHandle).getFile === 'function';
}

/** The part of the File System API's FileSystemFileHandle that dump() uses. */
export interface WritableFileHandle {
  /** The stream's `abort()` (the File System API's have one) discards what a failed dump wrote; without it the stream is closed. */
  createWritable(): Promise<{ write(data: Uint8Array<ArrayBuffer>): Promise<void>; close(): Promise<void>; abort?(reason?: unknown): Promise<void> }>;
  getFile(): Promise<Blob>;
}

export function isFileHandle(value: unknown): value is WritableFileHandle {
  return typeof value === 'object' && value !== null && typeof (value as WritableFileHandle).createWritable === 'function' && typeof (value as WritableFileHandle).getFile === 'function';
}

/** Writes through a file handle's writable stream (the origin private file system, in browsers). */
export async function fileHandleSink(handle: WritableFileHandle): Promise<ByteSink> {
  const writable = await handle.createWritable();
  return {
    // The stream keeps what it is given until close: a copy, since sections may be views of memory reused later.
    write: (bytes) => writable.write(bytes.slice() as Uint8Array<ArrayBuffer>),
    close: () => writable.close(),
    // A FileSystemWritableFileStream writes to a swap file until close: abort leaves the file as it was.
    abort: async () => {
      if (writable.abort) await writable.abort();
      else await writable.close();
    },
  };
}
