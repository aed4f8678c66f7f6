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
  return finish(h + <u32>length, p, end);
}

/** The tail (4-byte words, then single bytes, of [p, end)) and the avalanche. */
@inline
function finish(h: u32, p: usize, end: usize): u32 {
  while (p + 4 <= end) {
    h = rotl<u32>(h + load<u32>(p) * PRIME3, 17) * PRIME4;
    p += 4;
  }
  while (p < end) {
    h = rotl<u32>(h + <u32>load<u8>(p) * PRIME5, 11) * PRIME1;
    p++;
  }
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

// Streaming: the hash of bytes that arrive in pieces (an LZ4 frame's content
// checksum, decoded as a stream). The state is 48 bytes the caller owns:
// four accumulators, the total length (u32, as the spec's digest uses it),
// whether 16 bytes or more were seen, and up to 15 bytes not yet in a stripe.
const STATE_V: usize = 0; // u32 × 4
const STATE_TOTAL: usize = 16;
const STATE_LARGE: usize = 20;
const STATE_BUFFERED: usize = 24;
const STATE_BUFFER: usize = 32; // 16 bytes
export const XXH32_STATE_BYTES: i32 = 48;

export function xxhashStateBytes(): i32 {
  return XXH32_STATE_BYTES;
}

/** Starts a streaming hash with `seed` in the 48-byte state at `state`. */
export function xxhash32_reset(state: usize, seed: u32): void {
  checkRange(state, XXH32_STATE_BYTES, 1, 0);
  store<u32>(state + STATE_V, seed + PRIME1 + PRIME2);
  store<u32>(state + STATE_V, seed + PRIME2, 4);
  store<u32>(state + STATE_V, seed, 8);
  store<u32>(state + STATE_V, seed - PRIME1, 12);
  store<u32>(state + STATE_TOTAL, 0);
  store<u32>(state + STATE_LARGE, 0);
  store<u32>(state + STATE_BUFFERED, 0);
  // The seed again, for the digest of inputs shorter than a stripe.
  store<u32>(state + STATE_BUFFERED, seed, 4);
}

@inline
function stripe(state: usize, p: usize): void {
  store<u32>(state, round(load<u32>(state), load<u32>(p)));
  store<u32>(state, round(load<u32>(state, 4), load<u32>(p, 4)), 4);
  store<u32>(state, round(load<u32>(state, 8), load<u32>(p, 8)), 8);
  store<u32>(state, round(load<u32>(state, 12), load<u32>(p, 12)), 12);
}

/** Adds `length` bytes at `ptr` to the hash in `state`. */
export function xxhash32_update(state: usize, ptr: usize, length: i32): void {
  checkRange(state, XXH32_STATE_BYTES, 1, 0);
  checkRange(ptr, length, 1, 1);
  store<u32>(state + STATE_TOTAL, load<u32>(state + STATE_TOTAL) + <u32>length);
  let buffered = <i32>load<u32>(state + STATE_BUFFERED);
  if (buffered + length >= 16 || load<u32>(state + STATE_LARGE) != 0) store<u32>(state + STATE_LARGE, 1);
  let p = ptr;
  const end = ptr + <usize>length;
  if (buffered > 0) {
    const take = min(16 - buffered, length);
    memory.copy(state + STATE_BUFFER + <usize>buffered, p, <usize>take);
    p += <usize>take;
    buffered += take;
    if (buffered < 16) {
      store<u32>(state + STATE_BUFFERED, <u32>buffered);
      return;
    }
    stripe(state + STATE_V, state + STATE_BUFFER);
    buffered = 0;
  }
  if (end - p >= 16) {
    // The accumulators in locals for the bulk, as xxh32 does.
    let v1 = load<u32>(state + STATE_V), v2 = load<u32>(state + STATE_V, 4);
    let v3 = load<u32>(state + STATE_V, 8), v4 = load<u32>(state + STATE_V, 12);
    const limit = end - 16;
    do {
      v1 = round(v1, load<u32>(p));
      v2 = round(v2, load<u32>(p, 4));
      v3 = round(v3, load<u32>(p, 8));
      v4 = round(v4, load<u32>(p, 12));
      p += 16;
    } while (p <= limit);
    store<u32>(state + STATE_V, v1);
    store<u32>(state + STATE_V, v2, 4);
    store<u32>(state + STATE_V, v3, 8);
    store<u32>(state + STATE_V, v4, 12);
  }
  memory.copy(state + STATE_BUFFER, p, end - p);
  store<u32>(state + STATE_BUFFERED, <u32>(end - p));
}

/** The hash of everything added to `state` so far (the state is left as it was). */
export function xxhash32_digest(state: usize): u32 {
  checkRange(state, XXH32_STATE_BYTES, 1, 0);
  let h: u32;
  if (load<u32>(state + STATE_LARGE) != 0) {
    h = rotl<u32>(load<u32>(state + STATE_V), 1) + rotl<u32>(load<u32>(state + STATE_V, 4), 7)
      + rotl<u32>(load<u32>(state + STATE_V, 8), 12) + rotl<u32>(load<u32>(state + STATE_V, 12), 18);
  } else {
    h = load<u32>(state + STATE_BUFFERED, 4) + PRIME5;
  }
  const buffered = state + STATE_BUFFER;
  return finish(h + load<u32>(state + STATE_TOTAL), buffered, buffered + <usize>load<u32>(state + STATE_BUFFERED));
}
