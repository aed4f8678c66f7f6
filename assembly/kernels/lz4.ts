// LZ4 block format (LZ4 project, "LZ4 Block Format Description"), over
// shared memory. The frame format around blocks is assembled in TypeScript
// (src/codecs/lz4-frame.ts); this file owns the block codec.
//
// A block is a run of sequences:
//   token (literal length : 4 | match length − 4 : 4), [255-runs extending the
//   literal length], literals, offset (u16 LE, 1 … 65535), [255-runs extending
//   the match length]. The last sequence has literals only; the last 5 bytes
//   are always literals and no match starts within the last 12 (MFLIMIT).
//
// Compression is the reference "fast" algorithm: a hash table of 4-byte
// sequences → positions; after misses the search steps further
// (acceleration); after a match the next position is tested at once. The
// table lives in caller-provided scratch (HASH_BYTES).
//
// Decompression treats its input as untrusted: every read and every write is
// checked against the given bounds; a bad block returns a negative error code
// instead of touching memory outside [dst, dst + dstCapacity).

import { checkRange, fail, E_BAD_DIMENSION } from "./guard";
import { HEAP_START } from "../layout";

const MIN_MATCH: i32 = 4;
const LAST_LITERALS: i32 = 5;
const MFLIMIT: i32 = 12;
const HASH_LOG: i32 = 14;
const MAX_DISTANCE: i32 = 65535;
/** Bytes of scratch lz4_compress_block needs (the hash table: the low 16 bits of positions). */
export const HASH_BYTES: i32 = 2 << HASH_LOG;

/** Decoder errors (negative results), listed again in src/codecs/lz4-block.ts. */
export const LZ4_E_TRUNCATED: i32 = -1; // input ends inside a sequence
export const LZ4_E_OUTPUT_FULL: i32 = -2; // output would exceed dstCapacity
export const LZ4_E_BAD_OFFSET: i32 = -3; // match offset 0 or before the start of the output

export function lz4HashBytes(): i32 {
  return HASH_BYTES;
}

/** The most a block compressor takes, as the reference's LZ4_MAX_INPUT_SIZE: its bound still fits an i32. */
const LZ4_MAX_INPUT: i32 = 0x7e000000;
/** The fast compressor's largest acceleration, as the reference's LZ4_ACCELERATION_MAX (a larger one overflowed its step). */
const LZ4_MAX_ACCELERATION: i32 = 65537;

/** Worst-case compressed size of `length` bytes (LZ4_compressBound); 0 past LZ4_MAX_INPUT, as the reference. */
export function lz4CompressBound(length: i32): i32 {
  if (length < 0 || length > LZ4_MAX_INPUT) return 0;
  return length + length / 255 + 16;
}

/** The checks every block compressor makes of its input and output sizes. */
@inline
function checkCompressSizes(srcLength: i32, dstCapacity: i32): void {
  // Past LZ4_MAX_INPUT the bound itself would wrap negative, and any capacity pass the check below.
  if (srcLength > LZ4_MAX_INPUT) fail(E_BAD_DIMENSION, 1, <f64>srcLength);
  if (dstCapacity < lz4CompressBound(srcLength)) fail(E_BAD_DIMENSION, 3, <f64>dstCapacity);
}

// 16,384 entries of four-byte hashes (the reference keeps 4,096). Measured, one thread, with the literal
// copies of writeSequence (same session): on 32 MiB of JavaScript sources 516 MB/s, ratio 3.63; on a
// float64 array like the seed's 862 MB/s, ratio 3.31. The reference's 64-bit parameters (a hash of five
// bytes into 4096 entries) ran at 577 / 715 MB/s with ratios 3.58 / 3.01: faster on text, but slower and
// 9% larger on arrays, what dump() compresses most.
// Each entry keeps only a position's low 16 bits: with matches at most 65,535 back, they name the one
// candidate in the window (ip minus their difference, 1 to 65,535; an older or empty entry names some
// position in the window, whose bytes the compare then rejects, or a real match). The table is 32 KiB
// instead of 64, in the L1 cache: text 512 → 585 MB/s (32 MiB) and 514 → 563 (100 MiB), output a few
// hundred bytes smaller; float64 and small-integer arrays 3-5% slower (752 → 731, 877 → 831; builds
// alternated, one thread pinned).
@inline
function hash(sequence: u32): u32 {
  return (sequence * 2654435761) >> (32 - HASH_LOG);
}

@inline
function writeLength(op: usize, length: i32): usize {
  // The token held 15; the rest goes as 255-runs and a final byte.
  let rest = length - 15;
  while (rest >= 255) {
    store<u8>(op++, 255);
    rest -= 255;
  }
  store<u8>(op++, <u8>rest);
  return op;
}

/** Writes one sequence: token, literal length, the literals [anchor, ip), offset ip − match, match length. */
@inline
function writeSequence(op: usize, anchor: usize, ip: usize, match: usize, matchEnd: usize, srcEnd: usize, dstEnd: usize): usize {
  const literalLength = <i32>(ip - anchor);
  const matchLength = <i32>(matchEnd - ip) - MIN_MATCH;
  const token = op++;
  let tokenValue: u8 = <u8>((literalLength >= 15 ? 15 : literalLength) << 4);
  if (literalLength >= 15) op = writeLength(op, literalLength);
  // Most literal runs are short: two 16-byte copies beat memory.copy's call. They may read past the
  // literals (never past srcEnd) and write past them (never past dstEnd): what follows overwrites that.
  if (literalLength <= 32 && srcEnd - anchor >= 32 && dstEnd - op >= 32) {
    v128.store(op, v128.load(anchor));
    v128.store(op, v128.load(anchor, 16), 16);
  } else {
    memory.copy(op, anchor, <usize>literalLength);
  }
  op += <usize>literalLength;
  store<u16>(op, <u16>(ip - match));
  op += 2;
  tokenValue |= <u8>(matchLength >= 15 ? 15 : matchLength);
  if (matchLength >= 15) op = writeLength(op, matchLength);
  store<u8>(token, tokenValue);
  return op;
}

/** Writes the last sequence, literals [anchor, end) only; returns the end of the output. */
@inline
function writeLastLiterals(op: usize, anchor: usize, end: usize): usize {
  const literalLength = <i32>(end - anchor);
  store<u8>(op++, <u8>((literalLength >= 15 ? 15 : literalLength) << 4));
  if (literalLength >= 15) op = writeLength(op, literalLength);
  memory.copy(op, anchor, <usize>literalLength);
  return op + <usize>literalLength;
}

/** The end of the match at ip (its first MIN_MATCH bytes known equal to ref's), before matchLimit. */
@inline
function matchEndOf(ip: usize, ref: usize, matchLimit: usize): usize {
  let end = ip + MIN_MATCH;
  ref += MIN_MATCH;
  while (end + 8 <= matchLimit) {
    const diff = load<u64>(end) ^ load<u64>(ref);
    if (diff) return end + <usize>(ctz<u64>(diff) >> 3);
    end += 8;
    ref += 8;
  }
  while (end < matchLimit && load<u8>(end) == load<u8>(ref)) {
    end++;
    ref++;
  }
  return end;
}

/**
 * Compresses `srcLength` bytes at `src` into `dst` (capacity at least
 * lz4CompressBound(srcLength)); returns the compressed length. `acceleration`
 * ≥ 1 trades ratio for speed as in the reference (1 = default).
 */
export function lz4_compress_block(src: usize, srcLength: i32, dst: usize, dstCapacity: i32, hashTable: usize, acceleration: i32): i32 {
  checkRange(src, srcLength, 1, 0);
  checkRange(dst, dstCapacity, 1, 2);
  checkRange(hashTable, HASH_BYTES >> 1, 2, 4);
  checkCompressSizes(srcLength, dstCapacity);
  memory.fill(hashTable, 0, <usize>HASH_BYTES);
  if (acceleration < 1) acceleration = 1;
  if (acceleration > LZ4_MAX_ACCELERATION) acceleration = LZ4_MAX_ACCELERATION;
  const srcEnd = src + <usize>srcLength;
  const dstEnd = dst + <usize>dstCapacity;
  let anchor = src; // first byte not yet emitted
  let op = dst;
  if (srcLength >= MFLIMIT + 1) {
    const matchLimit = srcEnd - LAST_LITERALS; // matches stop here
    const searchLimit = srcEnd - MFLIMIT; // no match starts past here
    let ip = src + 1;
    store<u16>(hashTable + (hash(load<u32>(src)) << 1), 0);
    while (ip < searchLimit) {
      // Find a match: probe the table, stepping further after each miss. The next position's hash is
      // computed before this one is compared (as the reference does), so the loads overlap.
      let step = 1;
      let attempts = acceleration << 6;
      let match: usize = 0;
      let found = false;
      let forward = ip;
      let h = hash(load<u32>(ip));
      while (true) {
        ip = forward;
        forward += step;
        step = (attempts++) >> 6;
        if (forward >= searchLimit) break;
        const slot = hashTable + (h << 1);
        const position = <u32>(ip - src);
        const distance = (position - <u32>load<u16>(slot)) & 0xffff;
        h = hash(load<u32>(forward));
        store<u16>(slot, <u16>position);
        const candidate = ip - <usize>distance;
        if (distance - 1 < position && load<u32>(candidate) == load<u32>(ip)) {
          match = candidate;
          found = true;
          break;
        }
      }
      if (!found) break;
      // Extend backwards over equal bytes (never before the anchor).
      while (ip > anchor && match > src && load<u8>(ip - 1) == load<u8>(match - 1)) {
        ip--;
        match--;
      }
      const matchEnd = matchEndOf(ip, match, matchLimit);
      op = writeSequence(op, anchor, ip, match, matchEnd, srcEnd, dstEnd);
      ip = matchEnd;
      anchor = ip;
      // Matches often follow each other: test the position right after this one at once, as the
      // reference does, and chain matches without literals while that finds one.
      let more = true;
      while (more && ip < searchLimit) {
        // Remember a position inside the match for later searches.
        store<u16>(hashTable + (hash(load<u32>(ip - 2)) << 1), <u16>(ip - 2 - src));
        const slot = hashTable + (hash(load<u32>(ip)) << 1);
        const position = <u32>(ip - src);
        const distance = (position - <u32>load<u16>(slot)) & 0xffff;
        store<u16>(slot, <u16>position);
        const candidate = ip - <usize>distance;
        if (distance - 1 < position && load<u32>(candidate) == load<u32>(ip)) {
          const end = matchEndOf(ip, candidate, matchLimit);
          op = writeSequence(op, anchor, ip, candidate, end, srcEnd, dstEnd);
          ip = end;
          anchor = ip;
        } else {
          more = false;
          ip++; // this position is in the table already: the search starts after it
        }
      }
    }
  }
  return <i32>(writeLastLiterals(op, anchor, srcEnd) - dst);
}

// High compression (the lz4 tool's levels 3-12): hash chains over the 64 KiB
// window, so that each position tries up to `attempts` earlier positions with
// the same 4-byte hash and takes the longest match, then looks one byte ahead
// for a longer one (lazy matching). Same block format: any LZ4 decoder reads it.
const HC_HASH_LOG: i32 = 15;
const HC_HEAD_BYTES: i32 = 4 << HC_HASH_LOG; // u32 per hash: the latest position + 1 (0: none)
const HC_CHAIN_BYTES: i32 = 2 << 16; // u16 per position mod 64 KiB: back to the previous one with its hash
const HC_BEST_AT: i32 = HC_HEAD_BYTES + HC_CHAIN_BYTES; // the best match's start (a usize), as the searches leave it
const HC_START_AT: i32 = HC_BEST_AT + 8; // where that match starts in the input (hcWider: at or before the position searched)
const HC_OPT_AT: i32 = HC_START_AT + 8; // the optimal parser's table (levels 10-12)
// Optimal parsing looks at most OPT_NUM positions ahead; its table has an entry per position (and a few
// literals past the last match): price, offset, match length (1: a literal), literal length, i32 each.
const OPT_NUM: i32 = 4096;
const TRAILING_LITERALS: i32 = 3;
const OPT_ENTRY_BYTES: i32 = 16;
export const HC_SCRATCH_BYTES: i32 = HC_OPT_AT + (OPT_NUM + TRAILING_LITERALS + 1) * OPT_ENTRY_BYTES;

export function lz4HcScratchBytes(): i32 {
  return HC_SCRATCH_BYTES;
}

@inline
function hcHash(sequence: u32): u32 {
  return (sequence * 2654435761) >> (32 - HC_HASH_LOG);
}

/** Adds positions [from, to) to the chains; returns the new end of what is inserted (`from` when `to` is before it). */
@inline
function hcInsert(src: usize, from: usize, to: usize, head: usize, chain: usize): usize {
  if (to <= from) return from;
  for (let p = from; p < to; p++) {
    const slot = head + (hcHash(load<u32>(p)) << 2);
    const previous = load<u32>(slot);
    const position = <u32>(p - src) + 1;
    const delta = previous == 0 ? 0 : position - previous;
    store<u16>(chain + ((<usize>(position - 1) & 0xffff) << 1), <u16>(delta > 65535 ? 0 : delta));
    store<u32>(slot, position);
  }
  return to;
}

/** How many bytes from p, before limit, equal `byte` (8 at a time while they can). */
@inline
function runLengthFrom(p: usize, limit: usize, byte: u32): usize {
  const start = p;
  const eight = <u64>byte * 0x0101010101010101;
  while (p + 8 <= limit && load<u64>(p) == eight) p += 8;
  while (p < limit && <u32>load<u8>(p) == byte) p++;
  return p - start;
}

/** How many bytes right before p, not below floor, equal `byte`. */
@inline
function runLengthBefore(p: usize, floor: usize, byte: u32): usize {
  const end = p;
  const eight = <u64>byte * 0x0101010101010101;
  while (p - floor >= 8 && load<u64>(p - 8) == eight) p -= 8;
  while (p > floor && <u32>load<u8>(p - 1) == byte) p--;
  return end - p;
}

// The searches' shortcut through runs of one byte value (LZ4HC's pattern analysis). Its state for
// the search in progress, reset by each (wasm globals: one set per instance, so per worker): whether
// ip starts such a run, and its length then.
const RUN_UNTESTED: i32 = 0;
const RUN_NOT: i32 = 1;
const RUN_CONFIRMED: i32 = 2;
let runAtIp = RUN_UNTESTED;
let runAtIpLength: usize = 0;
/** Set by runShortcut when it returns a run's start: the match that start offers ip (its run's length, at most ip's). */
let runStartMatch: i32 = 0;

/**
 * For a candidate whose chain steps back a single byte: if ip starts a run of one byte value and the
 * byte before the candidate does too, measures that earlier run once and returns where the search
 * goes on: the copy of ip's run that ends where that run ends (runStartMatch = 0: a match that may go
 * on past the run, to search as any candidate), or else the run's start (runStartMatch set). Returns 0
 * where the shortcut does not apply. Never before `lowest` (the window's start).
 */
@inline
function runShortcut(ip: usize, candidate: usize, lowest: usize, matchLimit: usize, first: u32): usize {
  if (runAtIp == RUN_UNTESTED) {
    runAtIp = first == (first & 0xff) * 0x01010101 ? RUN_CONFIRMED : RUN_NOT;
    if (runAtIp == RUN_CONFIRMED) runAtIpLength = <usize>MIN_MATCH + runLengthFrom(ip + <usize>MIN_MATCH, matchLimit, first & 0xff);
  }
  const next = candidate - 1;
  if (runAtIp != RUN_CONFIRMED || next < lowest || load<u32>(next) != first) return 0;
  const forward = <usize>MIN_MATCH + runLengthFrom(next + <usize>MIN_MATCH, matchLimit, first & 0xff);
  const back = runLengthBefore(next, lowest, first & 0xff);
  if (back + forward >= runAtIpLength && forward <= runAtIpLength) {
    runStartMatch = 0;
    return next + forward - runAtIpLength;
  }
  runStartMatch = <i32>(back + forward < runAtIpLength ? back + forward : runAtIpLength);
  return next - back;
}

/**
 * The longest match for ip among `attempts` chain entries that is longer than
 * `longerThan` (at least MIN_MATCH), as its length, else 0; its start in
 * *bestAt. LZ4HC's LZ4HC_FindLongerMatch with its chain swap and its
 * repeated-pattern shortcut: where ip starts a run of one byte value (zeros
 * between a sparse array's values), each earlier run is one attempt, not one
 * per byte of it — without it the optimal levels spent up to `attempts`
 * candidates at each position of such data (level 12: 4x slower than the
 * lz4 tool on a sparse float64 array).
 */
@inline
function hcLongest(src: usize, ip: usize, matchLimit: usize, head: usize, chain: usize, attempts: i32, longerThan: i32, bestAt: usize, chainSwap: bool): i32 {
  const position = load<u32>(head + (hcHash(load<u32>(ip)) << 2));
  if (position == 0) return 0;
  const floor = longerThan > MIN_MATCH - 1 ? longerThan : MIN_MATCH - 1;
  if (ip + <usize>floor >= matchLimit) return 0; // nothing longer fits before the last literals
  let candidate = src + <usize>(position - 1);
  const first = load<u32>(ip);
  let best = floor;
  // The chain followed: that of the 4 bytes `chainAt` into the candidate (0 until a swap).
  let chainAt: usize = 0;
  // The earliest start a match may have; whether ip starts a run of one byte value, and its length then.
  const lowest = ip - src > <usize>MAX_DISTANCE ? ip - <usize>MAX_DISTANCE : src;
  runAtIp = RUN_UNTESTED;
  for (let n = 0; n < attempts; n++) {
    if (candidate >= ip) {
      // Inserted ahead of ip by an earlier search further on: not a match for ip.
    } else if (ip - candidate > <usize>MAX_DISTANCE) {
      break;
    } else if (load<u32>(candidate) == first && load<u8>(candidate + <usize>best) == load<u8>(ip + <usize>best)) {
      // A candidate must match at its first bytes, and at the byte past the best length so far to beat it.
      const length = <i32>(matchEndOf(ip, candidate, matchLimit) - ip);
      if (length > best) {
        best = length;
        store<usize>(bestAt, candidate);
        if (ip + <usize>best >= matchLimit) break; // none can be longer
        if (chainSwap && candidate + <usize>best <= ip) {
          // A longer match must repeat every 4 bytes of this one: follow the chain, among theirs, that
          // skips furthest back (LZ4HC's chain swap; sampled with a growing step, as there).
          let farthest: usize = 1;
          let step = 1;
          let acceleration = 16;
          for (let at = 0; at <= best - MIN_MATCH; at += step) {
            const distance = <usize>load<u16>(chain + ((<usize>(candidate + <usize>at - src) & 0xffff) << 1));
            step = acceleration++ >> 4;
            if (distance > farthest) {
              farthest = distance;
              chainAt = <usize>at;
              acceleration = 16;
            }
          }
          if (farthest > 1) {
            if (farthest > candidate - src) break;
            candidate -= farthest;
            continue;
          }
        }
      }
    }
    const delta = <usize>load<u16>(chain + ((<usize>(candidate + chainAt - src) & 0xffff) << 1));
    if (delta == 1 && chainAt == 0) {
      const jump = runShortcut(ip, candidate, lowest, matchLimit, first);
      if (jump) {
        candidate = jump;
        if (runStartMatch == 0) continue;
        if (runStartMatch > best) {
          best = runStartMatch;
          store<usize>(bestAt, candidate);
          if (ip + <usize>best >= matchLimit) break;
        }
        const toPreviousRun = <usize>load<u16>(chain + ((<usize>(candidate - src) & 0xffff) << 1));
        if (toPreviousRun == 0 || toPreviousRun > candidate - src) break;
        candidate -= toPreviousRun;
        continue;
      }
    }
    if (delta == 0 || delta > candidate - src) break;
    candidate -= delta;
  }
  return best > floor ? best : 0;
}

/**
 * LZ4HC's InsertAndGetWiderMatch (forward chains only): the longest match for
 * the 4 bytes at ip among `attempts` chain entries, extended backwards while
 * the bytes before agree (down to lowLimit), if longer than `longest`. Returns
 * the new longest length, or `longest` when none is longer; leaves the match's
 * start in *bestAt and where it starts in the input (≤ ip) in *startAt.
 * Above 128 attempts, with hcLongest's shortcut through runs of one byte.
 */
@inline
function hcWider(src: usize, ip: usize, lowLimit: usize, matchLimit: usize, head: usize, chain: usize, attempts: i32, longest: i32, bestAt: usize, startAt: usize): i32 {
  const position = load<u32>(head + (hcHash(load<u32>(ip)) << 2));
  if (position == 0) return longest;
  const lookBack = ip - lowLimit;
  let candidate = src + <usize>(position - 1);
  const first = load<u32>(ip);
  const lowest = ip - src > <usize>MAX_DISTANCE ? ip - <usize>MAX_DISTANCE : src;
  const runs = attempts > 128;
  runAtIp = RUN_UNTESTED;
  for (let n = 0; n < attempts; n++) {
    if (candidate >= ip) {
      // Inserted ahead of ip by an earlier search further on: not a match for ip.
    } else if (ip - candidate > <usize>MAX_DISTANCE) {
      break;
    } else {
      // The reference's filter: the two bytes that would end a longer match started at lowLimit (when that
      // start lies in the block; written so that no address is computed below it).
      const probed = candidate + <usize>longest - 1 >= src + lookBack;
      if ((!probed || load<u16>(lowLimit + <usize>longest - 1) == load<u16>(candidate + <usize>longest - 1 - lookBack)) && load<u32>(candidate) == first) {
        let back: usize = 0;
        while (back < lookBack && candidate - back > src && load<u8>(ip - back - 1) == load<u8>(candidate - back - 1)) back++;
        const end = matchEndOf(ip, candidate, matchLimit);
        const length = <i32>(end - ip + back);
        if (length > longest) {
          longest = length;
          store<usize>(bestAt, candidate - back);
          store<usize>(startAt, ip - back);
          if (end >= matchLimit && back == lookBack) break; // none can be longer
        }
      }
    }
    const delta = <usize>load<u16>(chain + ((<usize>(candidate - src) & 0xffff) << 1));
    if (delta == 1 && runs) {
      // hcLongest's shortcut (the reference takes it above 128 attempts). Looking back, a run's start is
      // searched as any candidate; else it is the match runShortcut measured.
      const jump = runShortcut(ip, candidate, lowest, matchLimit, first);
      if (jump) {
        candidate = jump;
        if (runStartMatch == 0 || lookBack != 0) continue;
        if (runStartMatch > longest) {
          longest = runStartMatch;
          store<usize>(bestAt, candidate);
          store<usize>(startAt, ip);
        }
        const toPreviousRun = <usize>load<u16>(chain + ((<usize>(candidate - src) & 0xffff) << 1));
        if (toPreviousRun == 0 || toPreviousRun > candidate - src) break;
        candidate -= toPreviousRun;
        continue;
      }
    }
    if (delta == 0 || delta > candidate - src) break;
    candidate -= delta;
  }
  return longest;
}

/** Match lengths up to this are kept whole when the next match overlaps (LZ4HC's OPTIMAL_ML: the token's own length field). */
const OPTIMAL_ML: i32 = 15 - 1 + MIN_MATCH;

/**
 * How much of the first match (at ip, ml long) to keep when the second (at
 * start2, ml2 long) starts inside it: whole up to OPTIMAL_ML, and never so
 * much that less than MIN_MATCH of the second is left. The second then starts
 * where the kept part ends.
 */
@inline
function keptBeforeSecond(ip: usize, ml: i32, start2: usize, ml2: i32): i32 {
  const kept = ml > OPTIMAL_ML ? OPTIMAL_ML : ml;
  const most = <i32>(start2 - ip) + ml2 - MIN_MATCH;
  return kept > most ? most : kept;
}

/**
 * Compresses like lz4_compress_block (same bound, same format) with the
 * high-compression search of the lz4 tool's levels 3-9 (LZ4HC's hash chain
 * parser): up to `attempts` chain entries per position; each match found is
 * checked against wider ones found near its end (searched from 2 and 3 bytes
 * before it, extended backwards), and overlapping matches are trimmed so the
 * most bytes go into matches. `scratch` holds HC_SCRATCH_BYTES.
 */
export function lz4_compress_block_hc(src: usize, srcLength: i32, dst: usize, dstCapacity: i32, scratch: usize, attempts: i32): i32 {
  checkRange(src, srcLength, 1, 0);
  checkRange(dst, dstCapacity, 1, 2);
  checkRange(scratch, HC_SCRATCH_BYTES, 1, 4);
  checkCompressSizes(srcLength, dstCapacity);
  if (attempts < 1) fail(E_BAD_DIMENSION, 5, <f64>attempts);
  const head = scratch;
  const chain = scratch + <usize>HC_HEAD_BYTES;
  const bestAt = scratch + <usize>HC_BEST_AT;
  const startAt = scratch + <usize>HC_START_AT;
  memory.fill(head, 0, <usize>HC_HEAD_BYTES);
  const srcEnd = src + <usize>srcLength;
  const dstEnd = dst + <usize>dstCapacity;
  let anchor = src;
  let op = dst;
  if (srcLength >= MFLIMIT + 1) {
    const matchLimit = srcEnd - LAST_LITERALS;
    const mflimit = srcEnd - MFLIMIT; // the last position a match may start at
    let inserted = src;
    let ip = src;
    // Up to three matches in flight: (ip, ref, ml) the next to write, then (start2, ref2, ml2) and
    // (start3, ref3, ml3) further on; (start0, ref0, ml0) the first one as found, to fall back to.
    let ref: usize = 0, ml = 0;
    let start0: usize = 0, ref0: usize = 0, ml0 = 0;
    let start2: usize = 0, ref2: usize = 0, ml2 = 0;
    let start3: usize = 0, ref3: usize = 0, ml3 = 0;
    while (ip <= mflimit) {
      inserted = hcInsert(src, inserted, ip, head, chain);
      ml = hcWider(src, ip, ip, matchLimit, head, chain, attempts, MIN_MATCH - 1, bestAt, startAt);
      if (ml < MIN_MATCH) {
        ip++;
        continue;
      }
      ref = load<usize>(bestAt);
      start0 = ip;
      ref0 = ref;
      ml0 = ml;
      let searchSecond = true;
      for (;;) {
        if (searchSecond) {
          // A wider match from 2 bytes before this one's end?
          ml2 = ml;
          if (ip + <usize>ml <= mflimit) {
            const at = ip + <usize>ml - 2;
            inserted = hcInsert(src, inserted, at, head, chain);
            ml2 = hcWider(src, at, ip, matchLimit, head, chain, attempts, ml, bestAt, startAt);
            if (ml2 > ml) {
              ref2 = load<usize>(bestAt);
              start2 = load<usize>(startAt);
            }
          }
          if (ml2 == ml) {
            // None: write this one.
            op = writeSequence(op, anchor, ip, ref, ip + <usize>ml, srcEnd, dstEnd);
            ip += <usize>ml;
            anchor = ip;
            break;
          }
          if (start0 < ip && start2 < ip + <usize>ml0) {
            // The first match was skipped, and the second starts inside it: restore the first.
            ip = start0;
            ref = ref0;
            ml = ml0;
          }
          if (start2 - ip < 3) {
            // The first match would be too short before the second: the second replaces it.
            ip = start2;
            ref = ref2;
            ml = ml2;
            continue;
          }
          searchSecond = false;
        }
        // Here ml2 > ml and start2 ≥ ip + 3. Keep the first match whole up to OPTIMAL_ML by starting the second later.
        if (start2 - ip < <usize>OPTIMAL_ML) {
          const correction = keptBeforeSecond(ip, ml, start2, ml2) - <i32>(start2 - ip);
          if (correction > 0) {
            start2 += <usize>correction;
            ref2 += <usize>correction;
            ml2 -= correction;
          }
        }
        // A wider match from 3 bytes before the second's end?
        ml3 = ml2;
        if (start2 + <usize>ml2 <= mflimit) {
          const at = start2 + <usize>ml2 - 3;
          inserted = hcInsert(src, inserted, at, head, chain);
          ml3 = hcWider(src, at, start2, matchLimit, head, chain, attempts, ml2, bestAt, startAt);
          if (ml3 > ml2) {
            ref3 = load<usize>(bestAt);
            start3 = load<usize>(startAt);
          }
        }
        if (ml3 == ml2) {
          // None: write the first (cut where the second starts) and the second.
          if (start2 < ip + <usize>ml) ml = <i32>(start2 - ip);
          op = writeSequence(op, anchor, ip, ref, ip + <usize>ml, srcEnd, dstEnd);
          anchor = ip + <usize>ml;
          ip = start2;
          op = writeSequence(op, anchor, ip, ref2, ip + <usize>ml2, srcEnd, dstEnd);
          ip += <usize>ml2;
          anchor = ip;
          break;
        }
        if (start3 < ip + <usize>ml + 3) {
          // No room for the second between the first and the third.
          if (start3 >= ip + <usize>ml) {
            // The third starts after the first: write the first; the third goes on as the first,
            // with what is left of the second as the one to fall back to.
            if (start2 < ip + <usize>ml) {
              const correction = <i32>(ip + <usize>ml - start2);
              start2 += <usize>correction;
              ref2 += <usize>correction;
              ml2 -= correction;
              if (ml2 < MIN_MATCH) {
                start2 = start3;
                ref2 = ref3;
                ml2 = ml3;
              }
            }
            op = writeSequence(op, anchor, ip, ref, ip + <usize>ml, srcEnd, dstEnd);
            anchor = ip + <usize>ml;
            ip = start3;
            ref = ref3;
            ml = ml3;
            start0 = start2;
            ref0 = ref2;
            ml0 = ml2;
            searchSecond = true;
            continue;
          }
          // The third replaces the second.
          start2 = start3;
          ref2 = ref3;
          ml2 = ml3;
          continue;
        }
        // Three ascending matches: write the first, cut before the second (kept whole up to OPTIMAL_ML).
        if (start2 < ip + <usize>ml) {
          if (start2 - ip < <usize>OPTIMAL_ML) {
            ml = keptBeforeSecond(ip, ml, start2, ml2);
            const correction = ml - <i32>(start2 - ip);
            if (correction > 0) {
              start2 += <usize>correction;
              ref2 += <usize>correction;
              ml2 -= correction;
            }
          } else {
            ml = <i32>(start2 - ip);
          }
        }
        op = writeSequence(op, anchor, ip, ref, ip + <usize>ml, srcEnd, dstEnd);
        anchor = ip + <usize>ml;
        // The second becomes the first, the third the second; look for a new third.
        ip = start2;
        ref = ref2;
        ml = ml2;
        start2 = start3;
        ref2 = ref3;
        ml2 = ml3;
      }
    }
  }
  return <i32>(writeLastLiterals(op, anchor, srcEnd) - dst);
}

// Optimal parsing (the lz4 tool's levels 10-12, LZ4HC's "lz4opt"): from a
// position with a match, the cheapest encoding (in output bytes) of the next
// positions is found by dynamic programming over the matches found at each of
// them, up to where no match reaches further; then that path is written. The
// reference's parameters per level: searches per position, the match length
// that is good enough to take at once, and whether every position is searched
// (level 12) or only those the path could still improve.

@inline function optPrice(opt: usize, i: i32): i32 { return load<i32>(opt + (<usize>i << 4)); }
@inline function optOffset(opt: usize, i: i32): i32 { return load<i32>(opt + (<usize>i << 4), 4); }
@inline function optMatchLength(opt: usize, i: i32): i32 { return load<i32>(opt + (<usize>i << 4), 8); }
@inline function optLiteralLength(opt: usize, i: i32): i32 { return load<i32>(opt + (<usize>i << 4), 12); }

@inline
function setOpt(opt: usize, i: i32, price: i32, offset: i32, matchLength: i32, literalLength: i32): void {
  const entry = opt + (<usize>i << 4);
  store<i32>(entry, price);
  store<i32>(entry, offset, 4);
  store<i32>(entry, matchLength, 8);
  store<i32>(entry, literalLength, 12);
}

/** Output bytes of `length` literals (with their length's 255-runs). */
@inline
function literalsPrice(length: i32): i32 {
  return length >= 15 ? length + 1 + (length - 15) / 255 : length;
}

/** Output bytes of a sequence: token, offset, its literals, the match length's 255-runs. */
@inline
function sequencePrice(literalLength: i32, matchLength: i32): i32 {
  const extra = matchLength >= 15 + MIN_MATCH ? 1 + (matchLength - 15 - MIN_MATCH) / 255 : 0;
  return 3 + literalsPrice(literalLength) + extra;
}

/** Literal entries for the TRAILING_LITERALS positions after `last`. */
@inline
function setTrailingLiterals(opt: usize, last: i32): void {
  for (let added = 1; added <= TRAILING_LITERALS; added++) setOpt(opt, last + added, optPrice(opt, last) + literalsPrice(added), 0, 1, added);
}

/**
 * Compresses like lz4_compress_block_hc (same bound, same format, same
 * scratch) with optimal parsing; `level` is the lz4 tool's 10, 11 or 12.
 */
export function lz4_compress_block_opt(src: usize, srcLength: i32, dst: usize, dstCapacity: i32, scratch: usize, level: i32): i32 {
  checkRange(src, srcLength, 1, 0);
  checkRange(dst, dstCapacity, 1, 2);
  checkRange(scratch, HC_SCRATCH_BYTES, 1, 4);
  checkCompressSizes(srcLength, dstCapacity);
  if (level < 10 || level > 12) fail(E_BAD_DIMENSION, 5, <f64>level);
  const searches = level == 10 ? 96 : level == 11 ? 512 : 16384;
  const sufficient = level == 10 ? 64 : level == 11 ? 128 : OPT_NUM - 1;
  const fullUpdate = level == 12;
  const head = scratch;
  const chain = scratch + <usize>HC_HEAD_BYTES;
  const bestAt = scratch + <usize>HC_BEST_AT;
  const opt = scratch + <usize>HC_OPT_AT;
  memory.fill(head, 0, <usize>HC_HEAD_BYTES);
  const srcEnd = src + <usize>srcLength;
  const dstEnd = dst + <usize>dstCapacity;
  let anchor = src;
  let op = dst;
  if (srcLength >= MFLIMIT + 1) {
    const matchLimit = srcEnd - LAST_LITERALS;
    const searchLimit = srcEnd - MFLIMIT;
    let inserted = src;
    let ip = src;
    while (ip < searchLimit) {
      const pending = <i32>(ip - anchor); // literals before ip, not yet written
      inserted = hcInsert(src, inserted, ip, head, chain);
      const firstLength = hcLongest(src, ip, matchLimit, head, chain, searches, 0, bestAt, true);
      if (firstLength == 0) {
        ip++;
        continue;
      }
      const firstMatch = load<usize>(bestAt);
      if (firstLength > sufficient) {
        // Good enough: taken at once.
        op = writeSequence(op, anchor, ip, firstMatch, ip + <usize>firstLength, srcEnd, dstEnd);
        ip += <usize>firstLength;
        anchor = ip;
        continue;
      }
      // Prices of the positions the first match reaches: literals, then the match cut at each length.
      for (let r = 0; r < MIN_MATCH; r++) setOpt(opt, r, literalsPrice(pending + r), 0, 1, pending + r);
      const firstOffset = <i32>(ip - firstMatch);
      for (let length = MIN_MATCH; length <= firstLength; length++) setOpt(opt, length, sequencePrice(pending, length), firstOffset, length, pending);
      let last = firstLength;
      setTrailingLiterals(opt, last);
      let cur = 1;
      let bestLength = 0;
      let bestOffset = 0;
      let takeNow = false;
      for (; cur < last; cur++) {
        const at = ip + <usize>cur;
        if (at >= searchLimit) break;
        const price = optPrice(opt, cur);
        // Not worth a search where the next position costs no more (unless, at level 12, a short match could still pay).
        if (optPrice(opt, cur + 1) <= price && (!fullUpdate || optPrice(opt, cur + MIN_MATCH) < price + 3)) continue;
        inserted = hcInsert(src, inserted, at, head, chain);
        const length = hcLongest(src, at, matchLimit, head, chain, searches, fullUpdate ? 0 : last - cur, bestAt, true);
        if (length == 0) continue;
        const offset = <i32>(at - load<usize>(bestAt));
        if (length > sufficient || cur + length >= OPT_NUM) {
          bestLength = length;
          bestOffset = offset;
          last = cur + 1;
          takeNow = true;
          break;
        }
        // Literals before the match.
        const baseLiterals = optLiteralLength(opt, cur);
        for (let added = 1; added < MIN_MATCH; added++) {
          const literalPrice = price - literalsPrice(baseLiterals) + literalsPrice(baseLiterals + added);
          if (literalPrice < optPrice(opt, cur + added)) setOpt(opt, cur + added, literalPrice, 0, 1, baseLiterals + added);
        }
        // The match at cur, cut at each length.
        for (let matchLength = MIN_MATCH; matchLength <= length; matchLength++) {
          const position = cur + matchLength;
          let literals = 0;
          let matchPrice: i32;
          if (optMatchLength(opt, cur) == 1) {
            literals = optLiteralLength(opt, cur);
            matchPrice = (cur > literals ? optPrice(opt, cur - literals) : 0) + sequencePrice(literals, matchLength);
          } else {
            matchPrice = price + sequencePrice(0, matchLength);
          }
          if (position > last + TRAILING_LITERALS || matchPrice <= optPrice(opt, position)) {
            if (matchLength == length && last < position) last = position;
            setOpt(opt, position, matchPrice, offset, matchLength, literals);
          }
        }
        setTrailingLiterals(opt, last);
      }
      if (!takeNow) {
        bestLength = optMatchLength(opt, last);
        bestOffset = optOffset(opt, last);
        cur = last - bestLength;
      }
      // Walk the cheapest path back from its end, leaving at each of its steps the step taken from there.
      let step = cur;
      let stepLength = bestLength;
      let stepOffset = bestOffset;
      for (;;) {
        const previousLength = optMatchLength(opt, step);
        const previousOffset = optOffset(opt, step);
        store<i32>(opt + (<usize>step << 4), stepOffset, 4);
        store<i32>(opt + (<usize>step << 4), stepLength, 8);
        stepLength = previousLength;
        stepOffset = previousOffset;
        if (previousLength > step) break;
        step -= previousLength;
      }
      // Write the path's sequences in order.
      for (let r = 0; r < last; ) {
        const matchLength = optMatchLength(opt, r);
        if (matchLength == 1) {
          ip++;
          r++;
          continue;
        }
        const matchEnd = ip + <usize>matchLength;
        op = writeSequence(op, anchor, ip, ip - <usize>optOffset(opt, r), matchEnd, srcEnd, dstEnd);
        r += matchLength;
        ip = matchEnd;
        anchor = ip;
      }
    }
  }
  return <i32>(writeLastLiterals(op, anchor, srcEnd) - dst);
}

/**
 * Decompresses the block of `srcLength` bytes at `src` into `dst`, writing
 * at most `dstCapacity` bytes. Returns the decompressed length, or a negative
 * LZ4_E_* code for a malformed block. `prefix` bytes before `dst` may be
 * referenced by matches (the previous blocks of a linked frame; 0 for
 * independent blocks).
 */
export function lz4_decompress_block(src: usize, srcLength: i32, dst: usize, dstCapacity: i32, prefix: i32): i32 {
  checkRange(src, srcLength, 1, 0);
  checkRange(dst, dstCapacity, 1, 2);
  // The prefix (earlier output that matches may copy from) lies in the heap too: not the control region below it.
  if (prefix < 0 || <usize>prefix > dst || dst - <usize>prefix < <usize>HEAP_START) fail(E_BAD_DIMENSION, 4, <f64>prefix);
  const srcEnd = src + <usize>srcLength;
  const dstEnd = dst + <usize>dstCapacity;
  const lowest = dst - <usize>prefix;
  let ip = src;
  let op = dst;
  while (true) {
    if (ip >= srcEnd) return LZ4_E_TRUNCATED;
    const token = <i32>load<u8>(ip++);
    // Literals.
    let literalLength = token >> 4;
    if (literalLength == 15) {
      let byte: i32;
      do {
        if (ip >= srcEnd) return LZ4_E_TRUNCATED;
        byte = <i32>load<u8>(ip++);
        literalLength += byte;
        if (literalLength > 0x7fffffff - 255) return LZ4_E_OUTPUT_FULL;
      } while (byte == 255);
    }
    if (<usize>literalLength > srcEnd - ip) return LZ4_E_TRUNCATED;
    if (<usize>literalLength > dstEnd - op) return LZ4_E_OUTPUT_FULL;
    if (literalLength <= 16 && srcEnd - ip >= 16 && dstEnd - op >= 16) {
      // Short literals: one 16-byte copy. Bytes past the literals are overwritten later or lie past the
      // output's length, always inside [dst, dstEnd).
      v128.store(op, v128.load(ip));
    } else {
      memory.copy(op, ip, <usize>literalLength);
    }
    op += <usize>literalLength;
    ip += <usize>literalLength;
    if (ip == srcEnd) break; // the last sequence has no match
    // Match.
    if (srcEnd - ip < 2) return LZ4_E_TRUNCATED;
    const offset = <usize>load<u16>(ip);
    ip += 2;
    if (offset == 0 || offset > op - lowest) return LZ4_E_BAD_OFFSET;
    let matchLength = token & 15;
    if (matchLength == 15) {
      let byte: i32;
      do {
        if (ip >= srcEnd) return LZ4_E_TRUNCATED;
        byte = <i32>load<u8>(ip++);
        matchLength += byte;
        if (matchLength > 0x7fffffff - 255) return LZ4_E_OUTPUT_FULL;
      } while (byte == 255);
    }
    matchLength += MIN_MATCH;
    if (<usize>matchLength > dstEnd - op) return LZ4_E_OUTPUT_FULL;
    let ref = op - offset;
    if (offset >= 16 && dstEnd - op >= <usize>((matchLength + 15) & ~15)) {
      // 16 bytes at a time: each chunk reads bytes at least 16 behind it, all already final.
      const end = op + <usize>matchLength;
      do {
        v128.store(op, v128.load(ref));
        op += 16;
        ref += 16;
      } while (op < end);
      op = end;
    } else if (offset >= <usize>matchLength) {
      memory.copy(op, ref, <usize>matchLength);
      op += <usize>matchLength;
    } else {
      // Overlapping copy: the match repeats the last `offset` bytes.
      const end = op + <usize>matchLength;
      while (op < end) store<u8>(op++, load<u8>(ref++));
    }
  }
  return <i32>(op - dst);
}
