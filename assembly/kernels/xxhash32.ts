// xxHash32 (Yann Collet, "xxHash fast digest algorithm", XXH32 spec),
// over bytes in shared memory. Used by the LZ4 frame format for its header,
// block and content checksums.

import { checkRange } from "./guard";

const PRIME1: u32 = 0x9e3779b1;
const PRIME2: u32 = 0x85ebca77;
const PRIME3: u32 = 0xc2b2ae3d;
const PRIME4: u32 = 0x27d4eb2f;
const PRIME5: u32 = 0x165667b1;

@inline
function round(acc: u32, lane: u32): u32 {
  return rotl<u32>(acc + lane * PRIME2, 13) * PRIME1;
}

/** The 32-bit xxHash of `length` bytes at `ptr` with `seed` (no range check: callers check). */
export function xxh32(ptr: usize, length: i32, seed: u32): u32 {
  let p = ptr;
  const end = ptr + <usize>length;
  let h: u32;
  if (length >= 16) {
    // Stripes of 16 bytes into four accumulators.
    let v1 = seed + PRIME1 + PRIME2;
    let v2 = seed + PRIME2;
    let v3 = seed;
    let v4 = seed - PRIME1;
    const limit = end - 16;
    do {
      v1 = round(v1, load<u32>(p));
      v2 = round(v2, load<u32>(p, 4));
      v3 = round(v3, load<u32>(p, 8));
      v4 = round(v4, load<u32>(p, 12));
      p += 16;
    } while (p <= limit);
    h = rotl<u32>(v1, 1) + rotl<u32>(v2, 7) + rotl<u32>(v3, 12) + rotl<u32>(v4, 18);
  } else {
    h = seed + PRIME5;
  }
  h += <u32>length;
  // Tail: 4-byte words, then single bytes.
  while (p + 4 <= end) {
    h = rotl<u32>(h + load<u32>(p) * PRIME3, 17) * PRIME4;
    p += 4;
  }
  while (p < end) {
    h = rotl<u32>(h + <u32>load<u8>(p) * PRIME5, 11) * PRIME1;
    p++;
  }
  // Avalanche.
  h ^= h >> 15;
  h *= PRIME2;
  h ^= h >> 13;
  h *= PRIME3;
  h ^= h >> 16;
  return h;
}

/** Exported entry: xxHash32 of `length` bytes at `ptr`, range-checked. */
export function xxhash32(ptr: usize, length: i32, seed: u32): u32 {
  checkRange(ptr, length, 1, 0);
  return xxh32(ptr, length, seed);
}
