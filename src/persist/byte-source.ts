/** Byte sources for load() that are the same on every platform: bytes in memory, and Blobs (Files). */

import type { ByteSource } from '../platform/types.js';

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
