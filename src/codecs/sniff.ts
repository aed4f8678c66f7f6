/**
 * Which codec a stream's first bytes look like, for the error a decoder of
 * another codec gives ("not gzip data ...; it looks like zlib data: pass
 * `{ codec: 'zlib' }`"): decoding with the default codec (LZ4) data that
 * some other tool wrote is the usual slip.
 */
import type { Codec } from './compress.js';

function guessCodec(bytes: ArrayLike<number>, at: number): Codec | undefined {
  const b0 = bytes[at];
  const b1 = bytes[at + 1];
  if (b0 === undefined || b1 === undefined) return undefined;
  if (b0 === 0x1f && b1 === 0x8b) return 'gzip';
  if (b0 === 0x04 && b1 === 0x22 && bytes[at + 2] === 0x4d && bytes[at + 3] === 0x18) return 'lz4';
  // zlib: method 8, window at most 32 KiB, header check bits (RFC 1950).
  if ((b0 & 15) === 8 && b0 >> 4 <= 7 && ((b0 << 8) | b1) % 31 === 0) return 'zlib';
  return undefined;
}

/** The end of a "not `expected` data" message: a hint naming the codec the bytes at `at` look like, or ''. Given only at a stream's start (a later member of another codec is not a misread stream). */
export function codecHint(bytes: ArrayLike<number>, at: number, expected: Codec): string {
  const guess = guessCodec(bytes, at);
  return guess && guess !== expected ? `; it looks like ${guess} data: pass \`{ codec: '${guess}' }\`` : '';
}
