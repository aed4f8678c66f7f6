// DEFLATE decoder (RFC 1951), with Adler-32 (RFC 1950) and CRC-32 (RFC 1952)
// for the zlib and gzip wrappers, whose headers are parsed in TypeScript
// (src/codecs/deflate.ts).
//
// Input is untrusted. Every read is checked against the end of the input and
// every write against the output's capacity; malformed streams return a
// negative INFLATE_E_* code. Huffman codes are decoded through one lookup
// table per code indexed by the next maxLength input bits (codes arrive
// least-significant bit first, so tables are indexed by bit-reversed codes).
// Tables live in caller-provided scratch; the bit reader's state lives in
// globals, which are per instance (each worker has its own), not in memory.

import { codeLengthOrder, distanceBase, distanceExtraBits, lengthBase, lengthExtraBits } from "./deflate-tables";
import { checkRange, fail, E_BAD_DIMENSION } from "./guard";

export const INFLATE_E_TRUNCATED: i32 = -1; // the input ends inside the stream
export const INFLATE_E_OUTPUT_FULL: i32 = -2; // the output would exceed its capacity
export const INFLATE_E_BLOCK_TYPE: i32 = -3; // block type 3
export const INFLATE_E_STORED_LENGTH: i32 = -4; // LEN and NLEN of a stored block disagree
export const INFLATE_E_CODE_LENGTHS: i32 = -5; // a Huffman code is over-subscribed, incomplete, or lacks end-of-block
export const INFLATE_E_SYMBOL: i32 = -6; // an undefined literal/length or distance symbol
export const INFLATE_E_DISTANCE: i32 = -7; // a distance reaches before the start of the output

const MAX_BITS: i32 = 15;
// Scratch layout, in bytes from the scratch pointer.
const LITLEN_TABLE: usize = 0; // 2^15 u32 entries: symbol << 4 | code length (0: no code)
const DIST_TABLE: usize = LITLEN_TABLE + (4 << MAX_BITS);
const CODELEN_TABLE: usize = DIST_TABLE + (4 << MAX_BITS); // 2^7 entries
const LENGTHS: usize = CODELEN_TABLE + (4 << 7); // code lengths being read, u8 × 320
const COUNTS: usize = LENGTHS + 320; // codes per length, u32 × 16
const NEXT_CODE: usize = COUNTS + 64; // next canonical code per length, u32 × 16
const CONSUMED: usize = NEXT_CODE + 64; // out: input bytes the stream used, u32
// out: where the last block that was started began, u32 each: input bits from
// src (start bit included) and output bytes from dst. A stream decoded in parts
// resumes there when a block ran past the end of its input or output.
const BOUNDARY_BITS: usize = CONSUMED + 4;
const BOUNDARY_OUT: usize = CONSUMED + 8;
export const INFLATE_SCRATCH_BYTES: i32 = <i32>(CONSUMED + 16);

export function inflateScratchBytes(): i32 {
  return INFLATE_SCRATCH_BYTES;
}

// The bit reader.
let bitBuffer: u64 = 0;
let bitCount: i32 = 0;
let inputAt: usize = 0;
let inputEnd: usize = 0;

/** Loads whole bytes until 57+ bits are buffered or the input ends; true if at least `n` bits are there. */
@inline
function need(n: i32): bool {
  if (bitCount >= n) return true;
  if (inputEnd - inputAt >= 8) {
    // Branch-free refill: take 8 bytes, keep what fits (the buffer ends with 56 to 63 valid bits).
    bitBuffer |= load<u64>(inputAt) << <u64>bitCount;
    inputAt += <usize>((63 - bitCount) >> 3);
    bitCount |= 56;
    return true;
  }
  while (bitCount <= 56 && inputAt < inputEnd) {
    bitBuffer |= <u64>load<u8>(inputAt) << <u64>bitCount;
    inputAt++;
    bitCount += 8;
  }
  return bitCount >= n;
}

/** Takes `n` ≤ 32 bits (the caller checked `need(n)`). */
@inline
function take(n: i32): u32 {
  const value = <u32>(bitBuffer & ((<u64>1 << <u64>n) - 1));
  bitBuffer >>= <u64>n;
  bitCount -= n;
  return value;
}

/** Decodes one symbol with `table` (maxLength bits); negative on error. */
@inline
function decodeSymbol(table: usize, maxLength: i32): i32 {
  if (maxLength == 0) return INFLATE_E_SYMBOL;
  need(maxLength);
  const entry = load<u32>(table + (<usize>(bitBuffer & ((<u64>1 << <u64>maxLength) - 1)) << 2));
  const length = <i32>(entry & 15);
  if (length == 0) return bitCount >= maxLength ? INFLATE_E_SYMBOL : INFLATE_E_TRUNCATED;
  if (length > bitCount) return INFLATE_E_TRUNCATED;
  bitBuffer >>= <u64>length;
  bitCount -= length;
  return <i32>(entry >> 4);
}

@inline
function reverseBits(code: u32, length: i32): u32 {
  let x = code;
  x = ((x >> 1) & 0x55555555) | ((x & 0x55555555) << 1);
  x = ((x >> 2) & 0x33333333) | ((x & 0x33333333) << 2);
  x = ((x >> 4) & 0x0f0f0f0f) | ((x & 0x0f0f0f0f) << 4);
  x = ((x >> 8) & 0x00ff00ff) | ((x & 0x00ff00ff) << 8);
  x = (x >> 16) | (x << 16);
  return x >> (32 - length);
}

/**
 * Builds the decoding table of the canonical Huffman code with `count` code
 * lengths (u8) at `lengths` (RFC 1951 §3.2.2). Returns the longest code
 * length (0 if there is no code) or INFLATE_E_CODE_LENGTHS. A code may be
 * incomplete only if it has a single symbol (as zlib allows); `allowLone`
 * is false for the code-length code.
 */
function buildTable(scratch: usize, lengths: usize, count: i32, table: usize, allowLone: bool): i32 {
  const counts = scratch + COUNTS;
  const nextCode = scratch + NEXT_CODE;
  memory.fill(counts, 0, 64);
  let maxLength = 0;
  let used = 0;
  for (let s = 0; s < count; s++) {
    const length = <i32>load<u8>(lengths + <usize>s);
    if (length == 0) continue;
    store<u32>(counts + (<usize>length << 2), load<u32>(counts + (<usize>length << 2)) + 1);
    used++;
    if (length > maxLength) maxLength = length;
  }
  if (used == 0) return 0;
  let left: i32 = 1;
  for (let length = 1; length <= MAX_BITS; length++) {
    left = (left << 1) - <i32>load<u32>(counts + (<usize>length << 2));
    if (left < 0) return INFLATE_E_CODE_LENGTHS; // over-subscribed
  }
  if (left > 0 && !(allowLone && used == 1)) return INFLATE_E_CODE_LENGTHS; // incomplete
  let code: u32 = 0;
  for (let length = 1; length <= MAX_BITS; length++) {
    code = (code + load<u32>(counts + (<usize>(length - 1) << 2))) << 1;
    store<u32>(nextCode + (<usize>length << 2), code);
  }
  const size = 1 << maxLength;
  memory.fill(table, 0, <usize>size << 2); // unfilled entries (a lone code) decode as invalid
  for (let s = 0; s < count; s++) {
    const length = <i32>load<u8>(lengths + <usize>s);
    if (length == 0) continue;
    const slot = nextCode + (<usize>length << 2);
    const c = load<u32>(slot);
    store<u32>(slot, c + 1);
    const entry = (<u32>s << 4) | <u32>length;
    for (let i = <i32>reverseBits(c, length); i < size; i += 1 << length) store<u32>(table + (<usize>i << 2), entry);
  }
  return maxLength;
}


/**
 * Decodes the raw DEFLATE stream at `src` into `dst` (at most dstCapacity
 * bytes). Returns the output length, or a negative INFLATE_E_* code; stores
 * the number of input bytes the stream used at scratch + CONSUMED (read by
 * inflateConsumed) so that wrappers can find their trailers.
 */
export function inflate_raw(src: usize, srcLength: i32, dst: usize, dstCapacity: i32, scratch: usize): i32 {
  checkRange(src, srcLength, 1, 0);
  checkRange(dst, dstCapacity, 1, 2);
  checkRange(scratch, INFLATE_SCRATCH_BYTES, 1, 4);
  return decodeBlocks(src, srcLength, 0, dst, dst, dstCapacity, scratch);
}

/**
 * One part of a stream decoded in parts (streaming decompression). Input
 * starts `startBit` (0-7) bits into the byte at `src`; the `historyLength`
 * bytes before `dst` are the output so far (up to the 32 KiB window), which
 * back-references may reach. Returns as inflate_raw. When the input or the
 * output ends inside a block (INFLATE_E_TRUNCATED, INFLATE_E_OUTPUT_FULL),
 * inflateBoundaryBits and inflateBoundaryOutput say where the unfinished
 * block began: the output before it is final, and the next part starts there.
 */
export function inflate_stream(src: usize, srcLength: i32, startBit: i32, dst: usize, dstCapacity: i32, historyLength: i32, scratch: usize): i32 {
  checkRange(src, srcLength, 1, 0);
  if (startBit < 0 || startBit > 7 || (startBit > 0 && srcLength == 0)) fail(E_BAD_DIMENSION, 2, <f64>startBit);
  if (historyLength < 0 || <usize>historyLength > dst) fail(E_BAD_DIMENSION, 5, <f64>historyLength);
  // Each on its own first: a negative capacity balanced by the history passed the combined check, and the
  // output's end then wrapped.
  checkRange(dst, dstCapacity, 1, 3);
  checkRange(dst - <usize>historyLength, historyLength + dstCapacity, 1, 3);
  checkRange(scratch, INFLATE_SCRATCH_BYTES, 1, 6);
  return decodeBlocks(src, srcLength, startBit, dst - <usize>historyLength, dst, dstCapacity, scratch);
}

/** Input bits and output bytes before the block where the last inflate_stream call stopped. */
export function inflateBoundaryBits(scratch: usize): i32 {
  checkRange(scratch, INFLATE_SCRATCH_BYTES, 1, 0);
  return <i32>load<u32>(scratch + BOUNDARY_BITS);
}

export function inflateBoundaryOutput(scratch: usize): i32 {
  checkRange(scratch, INFLATE_SCRATCH_BYTES, 1, 0);
  return <i32>load<u32>(scratch + BOUNDARY_OUT);
}

/**
 * Copies a match of `length` bytes from `distance` back (both checked by the
 * caller) to `op`; returns the new output position. Wide copies may write up
 * to 15 bytes past the match, only where the output has room for them.
 */
@inline
function copyMatch(op: usize, distance: i32, length: i32, dstEnd: usize): usize {
  let from = op - <usize>distance;
  const end = op + <usize>length;
  if (distance >= 16 && dstEnd - op >= <usize>((length + 15) & ~15)) {
    // 16 bytes at a time: each chunk reads bytes at least 16 behind it, all final.
    do {
      v128.store(op, v128.load(from));
      op += 16;
      from += 16;
    } while (op < end);
  } else if (distance >= 8 && dstEnd - op >= <usize>((length + 7) & ~7)) {
    // 8 bytes at a time, for the short distances common in text.
    do {
      store<u64>(op, load<u64>(from));
      op += 8;
      from += 8;
    } while (op < end);
  } else {
    while (op < end) store<u8>(op++, load<u8>(from++));
  }
  return end;
}

// The decoder proper: output goes to dst, and back-references may reach back to windowStart (≤ dst).
function decodeBlocks(src: usize, srcLength: i32, startBit: i32, windowStart: usize, dst: usize, dstCapacity: i32, scratch: usize): i32 {
  bitBuffer = 0;
  bitCount = 0;
  inputAt = src;
  inputEnd = src + <usize>srcLength;
  if (startBit > 0) {
    need(startBit);
    take(startBit);
  }
  const dstEnd = dst + <usize>dstCapacity;
  const lengths = scratch + LENGTHS;
  const litlen = scratch + LITLEN_TABLE;
  const dist = scratch + DIST_TABLE;
  let op = dst;
  let last = false;
  while (!last) {
    store<u32>(scratch + BOUNDARY_BITS, (<u32>(inputAt - src) << 3) - <u32>bitCount);
    store<u32>(scratch + BOUNDARY_OUT, <u32>(op - dst));
    if (!need(3)) return INFLATE_E_TRUNCATED;
    last = take(1) == 1;
    const type = take(2);
    if (type == 0) {
      // Stored: skip to a byte boundary, give back whole buffered bytes, read LEN and NLEN.
      take(bitCount & 7);
      inputAt -= <usize>(bitCount >> 3);
      bitBuffer = 0;
      bitCount = 0;
      if (inputEnd - inputAt < 4) return INFLATE_E_TRUNCATED;
      const length = <i32>load<u16>(inputAt);
      if ((length ^ 0xffff) != <i32>load<u16>(inputAt, 2)) return INFLATE_E_STORED_LENGTH;
      inputAt += 4;
      if (inputEnd - inputAt < <usize>length) return INFLATE_E_TRUNCATED;
      if (dstEnd - op < <usize>length) return INFLATE_E_OUTPUT_FULL;
      memory.copy(op, inputAt, <usize>length);
      op += <usize>length;
      inputAt += <usize>length;
      continue;
    }
    let litlenBits: i32, distBits: i32;
    if (type == 1) {
      // Fixed codes (RFC 1951 §3.2.6).
      for (let s = 0; s < 288; s++) store<u8>(lengths + <usize>s, s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8);
      litlenBits = buildTable(scratch, lengths, 288, litlen, false);
      for (let s = 0; s < 32; s++) store<u8>(lengths + <usize>s, 5);
      distBits = buildTable(scratch, lengths, 32, dist, false);
    } else if (type == 2) {
      // Dynamic codes (RFC 1951 §3.2.7).
      if (!need(14)) return INFLATE_E_TRUNCATED;
      const nlen = <i32>take(5) + 257;
      const ndist = <i32>take(5) + 1;
      const ncode = <i32>take(4) + 4;
      if (nlen > 286 || ndist > 30) return INFLATE_E_CODE_LENGTHS;
      memory.fill(lengths, 0, 19);
      for (let i = 0; i < ncode; i++) {
        if (!need(3)) return INFLATE_E_TRUNCATED;
        store<u8>(lengths + <usize>codeLengthOrder(i), <u8>take(3));
      }
      const codeBits = buildTable(scratch, lengths, 19, scratch + CODELEN_TABLE, false);
      if (codeBits <= 0) return INFLATE_E_CODE_LENGTHS;
      let filled = 0;
      const total = nlen + ndist;
      while (filled < total) {
        const symbol = decodeSymbol(scratch + CODELEN_TABLE, codeBits);
        if (symbol < 0) return symbol;
        if (symbol < 16) {
          store<u8>(lengths + <usize>filled, <u8>symbol);
          filled++;
          continue;
        }
        let repeat: i32;
        let value: u8 = 0;
        if (symbol == 16) {
          if (filled == 0) return INFLATE_E_CODE_LENGTHS; // nothing to repeat
          value = load<u8>(lengths + <usize>(filled - 1));
          if (!need(2)) return INFLATE_E_TRUNCATED;
          repeat = 3 + <i32>take(2);
        } else if (symbol == 17) {
          if (!need(3)) return INFLATE_E_TRUNCATED;
          repeat = 3 + <i32>take(3);
        } else {
          if (!need(7)) return INFLATE_E_TRUNCATED;
          repeat = 11 + <i32>take(7);
        }
        if (filled + repeat > total) return INFLATE_E_CODE_LENGTHS;
        for (let r = 0; r < repeat; r++) store<u8>(lengths + <usize>(filled + r), value);
        filled += repeat;
      }
      if (load<u8>(lengths + 256) == 0) return INFLATE_E_CODE_LENGTHS; // no end-of-block code
      litlenBits = buildTable(scratch, lengths, nlen, litlen, true);
      if (litlenBits < 0) return litlenBits;
      distBits = buildTable(scratch, lengths + <usize>nlen, ndist, dist, true);
      if (distBits < 0) return distBits;
    } else {
      return INFLATE_E_BLOCK_TYPE;
    }
    // Symbols until end of block.
    const litlenMask = (<u64>1 << <u64>litlenBits) - 1;
    const distMask = (<u64>1 << <u64>distBits) - 1;
    while (true) {
      // The fast loop: while 8 bytes of input can be loaded at once and a longest match (plus the
      // wide copies' overrun) fits in the output, symbols are decoded without bound checks, the bit
      // reader's state in locals (V8 keeps wasm globals in memory, not registers). One refill gives
      // 56+ bits: a length/distance pair takes at most 15 + 5 + 15 + 13 = 48.
      let buffer = bitBuffer, count = bitCount, at = inputAt;
      let blockEnded = false;
      while (inputEnd - at >= 8 && dstEnd - op >= 274) {
        buffer |= load<u64>(at) << <u64>count;
        at += <usize>((63 - count) >> 3);
        count |= 56;
        let entry = load<u32>(litlen + (<usize>(buffer & litlenMask) << 2));
        let bits = <i32>(entry & 15);
        if (bits == 0) return INFLATE_E_SYMBOL;
        buffer >>= <u64>bits;
        count -= bits;
        const symbol = <i32>(entry >> 4);
        if (symbol < 256) {
          store<u8>(op++, <u8>symbol);
          // The next symbol from the same refill (41+ bits left) when it is a literal too.
          entry = load<u32>(litlen + (<usize>(buffer & litlenMask) << 2));
          bits = <i32>(entry & 15);
          if (entry >> 4 < 256 && bits != 0) {
            buffer >>= <u64>bits;
            count -= bits;
            store<u8>(op++, <u8>(entry >> 4));
          }
          continue;
        }
        if (symbol == 256) {
          blockEnded = true;
          break;
        }
        if (symbol > 285) return INFLATE_E_SYMBOL;
        const lengthExtra = lengthExtraBits(symbol);
        const length = lengthBase(symbol) + <i32>(buffer & ((<u64>1 << <u64>lengthExtra) - 1));
        buffer >>= <u64>lengthExtra;
        count -= lengthExtra;
        if (distBits == 0) return INFLATE_E_SYMBOL;
        entry = load<u32>(dist + (<usize>(buffer & distMask) << 2));
        bits = <i32>(entry & 15);
        if (bits == 0) return INFLATE_E_SYMBOL;
        buffer >>= <u64>bits;
        count -= bits;
        const ds = <i32>(entry >> 4);
        if (ds > 29) return INFLATE_E_SYMBOL;
        const distanceExtra = distanceExtraBits(ds);
        const distance = distanceBase(ds) + <i32>(buffer & ((<u64>1 << <u64>distanceExtra) - 1));
        buffer >>= <u64>distanceExtra;
        count -= distanceExtra;
        if (<usize>distance > op - windowStart) return INFLATE_E_DISTANCE;
        op = copyMatch(op, distance, length, dstEnd);
      }
      bitBuffer = buffer;
      bitCount = count;
      inputAt = at;
      if (blockEnded) break;
      // The careful path, one symbol at a time, near the ends of the input or the output.
      const symbol = decodeSymbol(litlen, litlenBits);
      if (symbol < 0) return symbol;
      if (symbol < 256) {
        if (op >= dstEnd) return INFLATE_E_OUTPUT_FULL;
        store<u8>(op++, <u8>symbol);
        continue;
      }
      if (symbol == 256) break;
      if (symbol > 285) return INFLATE_E_SYMBOL;
      const lengthExtra = lengthExtraBits(symbol);
      if (!need(lengthExtra)) return INFLATE_E_TRUNCATED;
      const length = lengthBase(symbol) + <i32>take(lengthExtra);
      const ds = decodeSymbol(dist, distBits);
      if (ds < 0) return ds;
      if (ds > 29) return INFLATE_E_SYMBOL;
      const distanceExtra = distanceExtraBits(ds);
      if (!need(distanceExtra)) return INFLATE_E_TRUNCATED;
      const distance = distanceBase(ds) + <i32>take(distanceExtra);
      if (<usize>distance > op - windowStart) return INFLATE_E_DISTANCE;
      if (dstEnd - op < <usize>length) return INFLATE_E_OUTPUT_FULL;
      op = copyMatch(op, distance, length, dstEnd);
    }
  }
  // Whole bytes still buffered were not part of the stream.
  store<u32>(scratch + CONSUMED, <u32>(inputAt - src) - <u32>(bitCount >> 3));
  return <i32>(op - dst);
}

/** Input bytes used by the last inflate_raw call on this scratch. */
export function inflateConsumed(scratch: usize): i32 {
  checkRange(scratch, INFLATE_SCRATCH_BYTES, 1, 0);
  return <i32>load<u32>(scratch + CONSUMED);
}

/** Adler-32 (RFC 1950) of `length` bytes at `ptr`, continuing from `adler` (1 to start). */
export function adler32(ptr: usize, length: i32, adler: u32): u32 {
  checkRange(ptr, length, 1, 0);
  let a = adler & 0xffff;
  let b = adler >> 16;
  let p = ptr;
  let remaining = length;
  while (remaining > 0) {
    // 5552 bytes is the most before the sums must be reduced to stay within 32 bits.
    let chunk = remaining < 5552 ? remaining : 5552;
    remaining -= chunk;
    while (chunk-- > 0) {
      a += <u32>load<u8>(p++);
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return (b << 16) | a;
}

/**
 * CRC-32 (RFC 1952) of `length` bytes at `ptr`, continuing from `crc` (0 to
 * start); `table` is 8 KiB of scratch. Slicing by 8 (eight derived tables,
 * eight bytes per step), the tables rebuilt on each call (2,048 steps).
 */
export function crc32(ptr: usize, length: i32, crc: u32, table: usize): u32 {
  checkRange(ptr, length, 1, 0);
  checkRange(table, 2048, 4, 3);
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >> 1) : c >> 1;
    store<u32>(table + (<usize>n << 2), c);
  }
  for (let n: usize = 0; n < 256; n++) {
    let c = load<u32>(table + (n << 2));
    for (let t: usize = 1; t < 8; t++) {
      c = load<u32>(table + (<usize>(c & 0xff) << 2)) ^ (c >> 8);
      store<u32>(table + (t << 10) + (n << 2), c);
    }
  }
  let c = ~crc;
  let p = ptr;
  const end = ptr + <usize>length;
  while (end - p >= 8) {
    const low = load<u32>(p) ^ c;
    const high = load<u32>(p, 4);
    c =
      load<u32>(table + (7 << 10) + (<usize>(low & 0xff) << 2)) ^
      load<u32>(table + (6 << 10) + (<usize>((low >> 8) & 0xff) << 2)) ^
      load<u32>(table + (5 << 10) + (<usize>((low >> 16) & 0xff) << 2)) ^
      load<u32>(table + (4 << 10) + (<usize>(low >> 24) << 2)) ^
      load<u32>(table + (3 << 10) + (<usize>(high & 0xff) << 2)) ^
      load<u32>(table + (2 << 10) + (<usize>((high >> 8) & 0xff) << 2)) ^
      load<u32>(table + (1 << 10) + (<usize>((high >> 16) & 0xff) << 2)) ^
      load<u32>(table + (<usize>(high >> 24) << 2));
    p += 8;
  }
  for (; p < end; p++) c = load<u32>(table + (<usize>((c ^ <u32>load<u8>(p)) & 0xff) << 2)) ^ (c >> 8);
  return ~c;
}
