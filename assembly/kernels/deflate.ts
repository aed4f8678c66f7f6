// DEFLATE encoder (RFC 1951) over shared memory: LZ77 over a 32 KiB window
// with hash chains of 4-byte hashes (greedy for levels 1-3, one-step lazy matching for 4-9,
// chain lengths after zlib's configuration table), then each block of up to
// BLOCK_SYMBOLS symbols is written as whichever of stored, fixed-Huffman or
// dynamic-Huffman is smallest. Dynamic codes follow miniz's construction:
// Moffat–Katajainen minimum-redundancy lengths on the sorted frequencies,
// limited to 15 bits (7 for the code-length code) by adjusting the counts,
// then canonical codes (RFC 1951 §3.2.2).
//
// Everything lives in caller-provided scratch (DEFLATE_SCRATCH_BYTES); the
// bit writer's state is in globals, which are per instance. Returns the
// compressed length, or -2 if `dstCapacity` is too small (deflateBound is
// always enough: see there).

import { codeLengthOrder, distanceBase, distanceExtraBits, lengthBase, lengthExtraBits } from "./deflate-tables";
import { checkRange, fail, E_BAD_DIMENSION } from "./guard";

const WINDOW: i32 = 32768;
const HASH_BITS: i32 = 15;
const MIN_MATCH: i32 = 3;
const MAX_MATCH: i32 = 258;
const BLOCK_SYMBOLS: i32 = 16384;

// Scratch layout (bytes).
const HEAD: usize = 0; // 2^15 u32: last position + 1 with this hash
const PREV: usize = HEAD + (4 << HASH_BITS); // 32768 u16: distance back to the previous position in the chain (see link)
const SYMBOLS: usize = PREV + (2 * 32768); // BLOCK_SYMBOLS u32: literal, or (length << 16 | distance) | 1 << 31
const LIT_FREQ: usize = SYMBOLS + (4 * 16384); // 286 u32 (padded to 288)
const DIST_FREQ: usize = LIT_FREQ + 4 * 288; // 30 u32 (padded to 32)
const CL_FREQ: usize = DIST_FREQ + 4 * 32; // 19 u32 (padded to 20)
const LIT_LEN: usize = CL_FREQ + 4 * 20; // code lengths, u8 × 288
const DIST_LEN: usize = LIT_LEN + 288; // u8 × 32
const CL_LEN: usize = DIST_LEN + 32; // u8 × 20
const LIT_CODE: usize = CL_LEN + 20; // bit-reversed codes, u16 × 288
const DIST_CODE: usize = LIT_CODE + 2 * 288; // u16 × 32
const CL_CODE: usize = DIST_CODE + 2 * 32; // u16 × 20
const RUNS: usize = CL_CODE + 2 * 20; // code-length run encoding, u16 × 320 (symbol | extra << 8)
const SORT: usize = RUNS + 2 * 320; // (frequency, symbol) pairs, u32 × 2 × 288
const COUNTS: usize = SORT + 8 * 288; // u32 × 32
export const DEFLATE_SCRATCH_BYTES: i32 = <i32>(COUNTS + 4 * 32 + 16);

export function deflateScratchBytes(): i32 {
  return DEFLATE_SCRATCH_BYTES;
}

/**
 * An output capacity that always suffices for `length` input bytes: every block but the last covers at least
 * BLOCK_SYMBOLS (16,384) bytes and costs at most its stored form, 42 bits (5.25 bytes) over its input, which
 * is what `length >> 12` and 5 bytes per 65,535 give; the 64 bytes cover the last block, the sync flush's
 * empty stored block and the final byte.
 */
export function deflateBound(length: i32): i32 {
  return length + (length >> 12) + ((length + 65534) / 65535) * 5 + 64;
}

// --- the bit writer -------------------------------------------------------
let bitBuffer: u64 = 0;
let bitCount: i32 = 0;
let out: usize = 0;
let outEnd: usize = 0;
let overflow = false;

@inline
function putBits(value: u32, count: i32): void {
  bitBuffer |= <u64>value << <u64>bitCount;
  bitCount += count;
  if (bitCount >= 32) {
    if (outEnd - out < 4) {
      overflow = true;
      // stop advancing; the caller sees `overflow`
    } else {
      store<u32>(out, <u32>bitBuffer);
      out += 4;
    }
    bitBuffer >>= 32;
    bitCount -= 32;
  }
}

function flushBits(): void {
  while (bitCount > 0) {
    if (out >= outEnd) {
      overflow = true;
      return;
    }
    store<u8>(out++, <u8>bitBuffer);
    bitBuffer >>= 8;
    bitCount = bitCount > 8 ? bitCount - 8 : 0;
  }
  bitBuffer = 0;
}

// --- length and distance codes (RFC 1951 §3.2.5) ----------------------------
@inline
function lengthSymbol(length: i32): i32 {
  // 3..258 → 257..285: with l = length − 3 ≥ 8, extra = ⌊log2 l⌋ − 2 and symbol 257 + 4·extra + (l >> extra).
  if (length <= 10) return 254 + length;
  if (length == 258) return 285;
  const l = length - 3;
  const extra = 31 - clz<i32>(l) - 2;
  return 257 + (extra << 2) + (l >> extra);
}

@inline
function distanceSymbol(distance: i32): i32 {
  const d = distance - 1;
  if (d < 4) return d;
  const extra = 31 - clz<i32>(d) - 1; // d in [4, 32768): extra = floor(log2 d) − 1
  return (extra << 1) + 2 + ((d >> extra) & 1);
}

// --- Huffman code construction ------------------------------------------------
/**
 * Code lengths for `count` symbols with frequencies at `freq` (u32), at most
 * `limit` bits, written to `lengths` (u8). Symbols with frequency 0 get 0.
 */
function buildLengths(scratch: usize, freq: usize, count: i32, lengths: usize, limit: i32): void {
  const sort = scratch + SORT;
  const counts = scratch + COUNTS;
  memory.fill(lengths, 0, <usize>count);
  // Gather used symbols as (frequency, symbol), insertion-sorted by frequency ascending.
  let used = 0;
  for (let s = 0; s < count; s++) {
    const f = load<u32>(freq + (<usize>s << 2));
    if (f == 0) continue;
    let i = used++;
    while (i > 0 && load<u32>(sort + (<usize>(i - 1) << 3)) > f) {
      store<u64>(sort + (<usize>i << 3), load<u64>(sort + (<usize>(i - 1) << 3)));
      i--;
    }
    store<u32>(sort + (<usize>i << 3), f);
    store<u32>(sort + (<usize>i << 3) + 4, <u32>s);
  }
  if (used == 0) return;
  if (used == 1) {
    store<u8>(lengths + <usize>load<u32>(sort + 4), 1);
    return;
  }
  // Moffat–Katajainen in place on the frequencies (pairAt(sort, i) = sort[i].frequency).
  store<u32>(pairAt(sort, 0), load<u32>(pairAt(sort, 0)) + load<u32>(pairAt(sort, 1)));
  let root = 0;
  let leaf = 2;
  for (let next = 1; next < used - 1; next++) {
    if (leaf >= used || load<u32>(pairAt(sort, root)) < load<u32>(pairAt(sort, leaf))) {
      store<u32>(pairAt(sort, next), load<u32>(pairAt(sort, root)));
      store<u32>(pairAt(sort, root++), <u32>next);
    } else store<u32>(pairAt(sort, next), load<u32>(pairAt(sort, leaf++)));
    if (leaf >= used || (root < next && load<u32>(pairAt(sort, root)) < load<u32>(pairAt(sort, leaf)))) {
      store<u32>(pairAt(sort, next), load<u32>(pairAt(sort, next)) + load<u32>(pairAt(sort, root)));
      store<u32>(pairAt(sort, root++), <u32>next);
    } else store<u32>(pairAt(sort, next), load<u32>(pairAt(sort, next)) + load<u32>(pairAt(sort, leaf++)));
  }
  store<u32>(pairAt(sort, used - 2), 0);
  for (let next = used - 3; next >= 0; next--) store<u32>(pairAt(sort, next), load<u32>(pairAt(sort, <i32>load<u32>(pairAt(sort, next)))) + 1);
  let available = 1;
  let taken = 0;
  let depth = 0;
  root = used - 2;
  let next = used - 1;
  while (available > 0) {
    while (root >= 0 && <i32>load<u32>(pairAt(sort, root)) == depth) {
      taken++;
      root--;
    }
    while (available > taken) {
      store<u32>(pairAt(sort, next--), <u32>depth);
      available--;
    }
    available = taken << 1;
    depth++;
    taken = 0;
  }
  // Count codes per length, fold lengths past the limit into it, then repair the Kraft sum.
  memory.fill(counts, 0, 32 * 4);
  for (let i = 0; i < used; i++) {
    const l = <i32>load<u32>(pairAt(sort, i));
    const slot = counts + (<usize>(l > limit ? limit : l) << 2);
    store<u32>(slot, load<u32>(slot) + 1);
  }
  let total: u32 = 0;
  for (let l = limit; l > 0; l--) total += load<u32>(counts + (<usize>l << 2)) << <u32>(limit - l);
  while (total != <u32>1 << <u32>limit) {
    store<u32>(counts + (<usize>limit << 2), load<u32>(counts + (<usize>limit << 2)) - 1);
    for (let l = limit - 1; l > 0; l--) {
      const c = load<u32>(counts + (<usize>l << 2));
      if (c != 0) {
        store<u32>(counts + (<usize>l << 2), c - 1);
        store<u32>(counts + (<usize>(l + 1) << 2), load<u32>(counts + (<usize>(l + 1) << 2)) + 2);
        break;
      }
    }
    total--;
  }
  // Shortest codes to the most frequent symbols (the end of the ascending sort).
  let j = used;
  for (let l = 1; l <= limit; l++) {
    for (let c = <i32>load<u32>(counts + (<usize>l << 2)); c > 0; c--) {
      j--;
      store<u8>(lengths + <usize>load<u32>(sort + (<usize>j << 3) + 4), <u8>l);
    }
  }
}

@inline
function pairAt(sort: usize, i: i32): usize {
  return sort + (<usize>i << 3);
}

/** Canonical codes (bit-reversed, for LSB-first output) for `count` lengths. */
function buildCodes(scratch: usize, lengths: usize, count: i32, codes: usize): void {
  const counts = scratch + COUNTS;
  memory.fill(counts, 0, 32 * 4);
  for (let s = 0; s < count; s++) {
    const l = <i32>load<u8>(lengths + <usize>s);
    if (l) store<u32>(counts + (<usize>l << 2), load<u32>(counts + (<usize>l << 2)) + 1);
  }
  // next code per length in words 16..31
  let code: u32 = 0;
  for (let l = 1; l <= 15; l++) {
    code = (code + load<u32>(counts + (<usize>(l - 1) << 2))) << 1;
    store<u32>(counts + (<usize>(16 + l) << 2), code);
  }
  for (let s = 0; s < count; s++) {
    const l = <i32>load<u8>(lengths + <usize>s);
    if (!l) continue;
    const slot = counts + (<usize>(16 + l) << 2);
    const c = load<u32>(slot);
    store<u32>(slot, c + 1);
    let r: u32 = 0;
    for (let b = 0; b < l; b++) r |= ((c >> <u32>b) & 1) << <u32>(l - 1 - b);
    store<u16>(codes + (<usize>s << 1), <u16>r);
  }
}

// --- blocks -------------------------------------------------------------------
@inline
function isMatch(symbol: u32): bool {
  return (symbol >> 31) != 0;
}

/** Bits that the block's symbols take with these code lengths (header not included). */
function symbolBits(scratch: usize, litLengths: usize, distLengths: usize): u64 {
  let bits: u64 = 0;
  for (let s = 0; s < 286; s++) {
    const f = <u64>load<u32>(scratch + LIT_FREQ + (<usize>s << 2));
    if (!f) continue;
    bits += f * <u64>(load<u8>(litLengths + <usize>s) + (s > 256 ? lengthExtraBits(s) : 0));
  }
  for (let s = 0; s < 30; s++) {
    const f = <u64>load<u32>(scratch + DIST_FREQ + (<usize>s << 2));
    if (f) bits += f * <u64>(load<u8>(distLengths + <usize>s) + distanceExtraBits(s));
  }
  return bits;
}

function writeSymbols(scratch: usize, symbols: i32, litCodes: usize, litLengths: usize, distCodes: usize, distLengths: usize): void {
  if (outEnd - out >= <usize>symbols * 8 + 16) {
    // Room for the worst case (8 bytes a symbol): the bit writer in locals (V8 keeps wasm globals
    // in memory), a code and its extra bits as one value, 32 bits stored at a time.
    let buffer = bitBuffer;
    let count = bitCount;
    let op = out;
    for (let i = 0; i < symbols; i++) {
      const symbol = load<u32>(scratch + SYMBOLS + (<usize>i << 2));
      if (!isMatch(symbol)) {
        buffer |= <u64>load<u16>(litCodes + (<usize>symbol << 1)) << <u64>count;
        count += <i32>load<u8>(litLengths + <usize>symbol);
      } else {
        const length = <i32>((symbol >> 16) & 0x7fff);
        const distance = <i32>(symbol & 0xffff) + 1;
        const ls = lengthSymbol(length);
        const lengthBits = <i32>load<u8>(litLengths + <usize>ls);
        buffer |= (<u64>load<u16>(litCodes + (<usize>ls << 1)) | (<u64>(length - lengthBase(ls)) << <u64>lengthBits)) << <u64>count;
        count += lengthBits + lengthExtraBits(ls);
        if (count >= 32) {
          store<u32>(op, <u32>buffer);
          op += 4;
          buffer >>= 32;
          count -= 32;
        }
        const ds = distanceSymbol(distance);
        const distanceBits = <i32>load<u8>(distLengths + <usize>ds);
        buffer |= (<u64>load<u16>(distCodes + (<usize>ds << 1)) | (<u64>(distance - distanceBase(ds)) << <u64>distanceBits)) << <u64>count;
        count += distanceBits + distanceExtraBits(ds);
      }
      if (count >= 32) {
        store<u32>(op, <u32>buffer);
        op += 4;
        buffer >>= 32;
        count -= 32;
      }
    }
    bitBuffer = buffer;
    bitCount = count;
    out = op;
    putBits(<u32>load<u16>(litCodes + (256 << 1)), <i32>load<u8>(litLengths + 256));
    return;
  }
  for (let i = 0; i < symbols; i++) {
    const symbol = load<u32>(scratch + SYMBOLS + (<usize>i << 2));
    if (!isMatch(symbol)) {
      putBits(<u32>load<u16>(litCodes + (<usize>symbol << 1)), <i32>load<u8>(litLengths + <usize>symbol));
      continue;
    }
    const length = <i32>((symbol >> 16) & 0x7fff);
    const distance = <i32>(symbol & 0xffff) + 1;
    const ls = lengthSymbol(length);
    putBits(<u32>load<u16>(litCodes + (<usize>ls << 1)), <i32>load<u8>(litLengths + <usize>ls));
    const lx = lengthExtraBits(ls);
    if (lx) putBits(<u32>(length - lengthBase(ls)), lx);
    const ds = distanceSymbol(distance);
    putBits(<u32>load<u16>(distCodes + (<usize>ds << 1)), <i32>load<u8>(distLengths + <usize>ds));
    const dx = distanceExtraBits(ds);
    if (dx) putBits(<u32>(distance - distanceBase(ds)), dx);
  }
  putBits(<u32>load<u16>(litCodes + (256 << 1)), <i32>load<u8>(litLengths + 256));
}

/** Writes stored blocks for [from, to) of the input (≤ 65535 bytes each). */
function writeStored(src: usize, from: i32, to: i32, last: bool): void {
  let at = from;
  do {
    const length = min(65535, to - at);
    const final = last && at + length == to;
    putBits(final ? 1 : 0, 3);
    // Byte-align: flush whole bytes and the partial one.
    flushBits();
    if (outEnd - out < <usize>(4 + length)) {
      overflow = true;
      return;
    }
    store<u16>(out, <u16>length);
    store<u16>(out, <u16>(~length & 0xffff), 2);
    memory.copy(out + 4, src + <usize>at, <usize>length);
    out += <usize>(4 + length);
    at += length;
  } while (at < to);
}

/** Code lengths of the fixed code (RFC 1951 §3.2.6) into the scratch tables at `lit`/`dist`. */
function fixedLengths(lit: usize, dist: usize): void {
  for (let s = 0; s < 288; s++) store<u8>(lit + <usize>s, s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8);
  for (let s = 0; s < 32; s++) store<u8>(dist + <usize>s, 5);
}

/** Emits the collected symbols (covering input [from, to)) as the cheapest block type. */
function writeBlock(scratch: usize, src: usize, from: i32, to: i32, symbols: i32, last: bool): void {
  const litFreq = scratch + LIT_FREQ;
  const distFreq = scratch + DIST_FREQ;
  store<u32>(litFreq + (256 << 2), 1); // end of block
  // Dynamic code: lengths for literal/length and distance symbols.
  buildLengths(scratch, litFreq, 286, scratch + LIT_LEN, 15);
  let anyDistance = false;
  for (let s = 0; s < 30; s++) if (load<u32>(distFreq + (<usize>s << 2))) anyDistance = true;
  if (!anyDistance) store<u32>(distFreq, 1); // a lone distance code, as zlib writes
  buildLengths(scratch, distFreq, 30, scratch + DIST_LEN, 15);
  let hlit = 286;
  while (hlit > 257 && load<u8>(scratch + LIT_LEN + <usize>(hlit - 1)) == 0) hlit--;
  let hdist = 30;
  while (hdist > 1 && load<u8>(scratch + DIST_LEN + <usize>(hdist - 1)) == 0) hdist--;
  // Run-length encode the concatenated lengths with 16/17/18 (RFC 1951 §3.2.7).
  const clFreq = scratch + CL_FREQ;
  memory.fill(clFreq, 0, 4 * 20);
  let runs = 0;
  const total = hlit + hdist;
  let i = 0;
  while (i < total) {
    const value = i < hlit ? load<u8>(scratch + LIT_LEN + <usize>i) : load<u8>(scratch + DIST_LEN + <usize>(i - hlit));
    let run = 1;
    while (i + run < total && (i + run < hlit ? load<u8>(scratch + LIT_LEN + <usize>(i + run)) : load<u8>(scratch + DIST_LEN + <usize>(i + run - hlit))) == value) run++;
    let left = run;
    if (value == 0) {
      while (left >= 11) {
        const n = min(left, 138);
        store<u16>(scratch + RUNS + (<usize>runs << 1), <u16>(18 | ((n - 11) << 8)));
        runs++;
        left -= n;
      }
      if (left >= 3) {
        store<u16>(scratch + RUNS + (<usize>runs << 1), <u16>(17 | ((left - 3) << 8)));
        runs++;
        left = 0;
      }
    } else {
      store<u16>(scratch + RUNS + (<usize>runs << 1), <u16>value);
      runs++;
      left--;
      while (left >= 3) {
        const n = min(left, 6);
        store<u16>(scratch + RUNS + (<usize>runs << 1), <u16>(16 | ((n - 3) << 8)));
        runs++;
        left -= n;
      }
    }
    while (left-- > 0) {
      store<u16>(scratch + RUNS + (<usize>runs << 1), <u16>value);
      runs++;
    }
    i += run;
  }
  for (let r = 0; r < runs; r++) {
    const symbol = <usize>(load<u16>(scratch + RUNS + (<usize>r << 1)) & 0xff);
    store<u32>(clFreq + (symbol << 2), load<u32>(clFreq + (symbol << 2)) + 1);
  }
  buildLengths(scratch, clFreq, 19, scratch + CL_LEN, 7);
  let hclen = 19;
  while (hclen > 4 && load<u8>(scratch + CL_LEN + <usize>codeLengthOrder(hclen - 1)) == 0) hclen--;
  // Costs in bits: dynamic (header + symbols), fixed, stored.
  let dynamicBits: u64 = 17 + 3 * <u64>hclen;
  for (let r = 0; r < runs; r++) {
    const entry = load<u16>(scratch + RUNS + (<usize>r << 1));
    const symbol = <i32>(entry & 0xff);
    dynamicBits += <u64>load<u8>(scratch + CL_LEN + <usize>symbol) + <u64>(symbol == 16 ? 2 : symbol == 17 ? 3 : symbol == 18 ? 7 : 0);
  }
  dynamicBits += symbolBits(scratch, scratch + LIT_LEN, scratch + DIST_LEN);
  // Fixed lengths go into the code tables' space temporarily (they are rebuilt below when used).
  fixedLengths(scratch + LIT_CODE, scratch + DIST_CODE);
  const fixedBits = 3 + symbolBits(scratch, scratch + LIT_CODE, scratch + DIST_CODE);
  // A stored block's exact cost: its header, padding to a byte from where the bits stand now, LEN/NLEN, and
  // for each further chunk of 65,535 bytes a block of its own (header and padding, one byte, as it starts
  // aligned). The block chosen costs at most this, 42 bits more than its input for a block of one chunk: what
  // deflateBound counts on (an estimate a few bits over it let a Huffman block cost more, past the bound).
  const bytes = to - from;
  const chunks = max(1, (bytes + 65534) / 65535);
  const storedBits = <u64>bytes * 8 + <u64>(3 + ((8 - ((bitCount + 3) & 7)) & 7) + 32) + <u64>(chunks - 1) * 40;
  if (storedBits <= dynamicBits && storedBits <= fixedBits) {
    writeStored(src, from, to, last);
    return;
  }
  if (fixedBits <= dynamicBits) {
    fixedLengths(scratch + LIT_LEN, scratch + DIST_LEN);
    buildCodes(scratch, scratch + LIT_LEN, 288, scratch + LIT_CODE);
    buildCodes(scratch, scratch + DIST_LEN, 30, scratch + DIST_CODE);
    putBits(last ? 1 : 0, 1);
    putBits(1, 2);
  } else {
    buildCodes(scratch, scratch + LIT_LEN, 286, scratch + LIT_CODE);
    buildCodes(scratch, scratch + DIST_LEN, 30, scratch + DIST_CODE);
    buildCodes(scratch, scratch + CL_LEN, 19, scratch + CL_CODE);
    putBits(last ? 1 : 0, 1);
    putBits(2, 2);
    putBits(<u32>(hlit - 257), 5);
    putBits(<u32>(hdist - 1), 5);
    putBits(<u32>(hclen - 4), 4);
    for (let k = 0; k < hclen; k++) putBits(<u32>load<u8>(scratch + CL_LEN + <usize>codeLengthOrder(k)), 3);
    for (let r = 0; r < runs; r++) {
      const entry = <i32>load<u16>(scratch + RUNS + (<usize>r << 1));
      const symbol = entry & 0xff;
      putBits(<u32>load<u16>(scratch + CL_CODE + (<usize>symbol << 1)), <i32>load<u8>(scratch + CL_LEN + <usize>symbol));
      if (symbol == 16) putBits(<u32>(entry >> 8), 2);
      else if (symbol == 17) putBits(<u32>(entry >> 8), 3);
      else if (symbol == 18) putBits(<u32>(entry >> 8), 7);
    }
  }
  writeSymbols(scratch, symbols, scratch + LIT_CODE, scratch + LIT_LEN, scratch + DIST_CODE, scratch + DIST_LEN);
}


// --- LZ77 ------------------------------------------------------------------------
// Per level: [max chain, nice length, lazy (0: greedy)], after zlib's configuration table.
@inline
function maxChain(level: i32): i32 {
  switch (level) { case 1: return 4; case 2: return 8; case 3: return 32; case 4: return 16; case 5: return 32; case 6: return 128; case 7: return 256; case 8: return 1024; default: return 4096; }
}
@inline
function niceLength(level: i32): i32 {
  switch (level) { case 1: return 8; case 2: return 16; case 3: return 32; case 4: return 16; case 5: return 32; case 6: return 128; case 7: return 128; default: return 258; }
}

@inline
function lazyLength(level: i32): i32 {
  // Matches at least this long are taken without looking one position ahead (zlib's max_lazy).
  switch (level) { case 4: return 4; case 5: return 16; case 6: return 16; case 7: return 32; case 8: return 128; default: return 258; }
}

/** Length of the common prefix of p and q, at most `limit`: eight bytes at a time, then bytes. */
@inline
function matchLength(p: usize, q: usize, limit: i32): i32 {
  let length = 0;
  while (length + 8 <= limit) {
    const diff = load<u64>(p + <usize>length) ^ load<u64>(q + <usize>length);
    if (diff) return length + <i32>(ctz<u64>(diff) >> 3);
    length += 8;
  }
  while (length < limit && load<u8>(p + <usize>length) == load<u8>(q + <usize>length)) length++;
  return length;
}

// Chains link positions whose next four bytes hash alike, not three as zlib's: with three,
// chains fill with positions that share a 3-byte prefix and differ at the fourth byte (the zero
// bytes of small int32 values, a float's zero mantissa bytes), and the chain limit runs out on
// candidates that cannot beat a short match. A 3-byte match is still taken when its position's
// four bytes hash alike. Measured (8 MiB, one thread, sizes against zlib's): random int32 below
// 1000, level 6: 6 -> 31 MB/s and 9% smaller; source text level 6: 54 -> 73 MB/s, 0.2% larger,
// still under zlib's.
@inline
function hash4(p: usize): u32 {
  return (load<u32>(p) * 2654435761) >> (32 - HASH_BITS);
}

/**
 * Links `position` to `previous` (−1 for none) in its chain. A link is the distance back, 16 bits, so
 * that the table walked at every step is 64 KiB rather than 128 (zlib's is 16-bit too): more of it in
 * the L1 cache, and the walk is bound by that load's latency. None, or a distance past the window,
 * is stored as WINDOW: a step that far always lands at or below oldestCandidate.
 */
@inline
function link(scratch: usize, position: i32, previous: i32): void {
  store<u16>(scratch + PREV + (<usize>(position & (WINDOW - 1)) << 1), <u16>min<i32>(position - previous, WINDOW));
}

/** The position before `candidate` in its chain (at or below oldestCandidate when there is none). */
@inline
function nextCandidate(scratch: usize, candidate: i32): i32 {
  return candidate - <i32>load<u16>(scratch + PREV + (<usize>(candidate & (WINDOW - 1)) << 1));
}

/** Adds position q to the hash chains. */
@inline
function insertHash(scratch: usize, src: usize, q: usize): void {
  const headSlot = scratch + HEAD + (<usize>hash4(q) << 2);
  const position = <i32>(q - src);
  link(scratch, position, <i32>load<u32>(headSlot) - 1);
  store<u32>(headSlot, <u32>(position + 1));
}

/**
 * Chains are walked while candidates are newer than this (−1 when none is older than the window).
 * Links always lead to older positions, and a position's link slot is only reused by the position
 * a window later, which is not inserted yet while the position is within the window: a walk that
 * stops at the window's edge never reads a reused slot. (So distances reach 32,767, not 32,768.)
 */
@inline
function oldestCandidate(position: i32): i32 {
  return max<i32>(position - WINDOW, -1);
}

/** Whether an earlier position matches p (not yet in the chains) for more than `length` bytes, within `chainLimit` links. */
@inline
function longerAt(scratch: usize, src: usize, p: usize, end: usize, length: i32, chainLimit: i32): bool {
  let candidate = <i32>load<u32>(scratch + HEAD + (<usize>hash4(p) << 2)) - 1;
  const position = <i32>(p - src);
  const limit = <i32>min<usize>(<usize>MAX_MATCH, end - p);
  if (length >= limit) return false;
  const oldest = oldestCandidate(position);
  let chain = chainLimit;
  while (candidate > oldest && chain-- > 0) {
    const q = src + <usize>candidate;
    // Filtered as in insertAndSearch (length >= MIN_MATCH here).
    if (load<u32>(q + <usize>(length - 3)) == load<u32>(p + <usize>(length - 3)) && matchLength(p, q, limit) > length) return true;
    candidate = nextCandidate(scratch, candidate);
  }
  return false;
}

/**
 * Adds p to the chains and finds its longest earlier match, following at most
 * `chainLimit` links and stopping at `nice`: returns length << 16 | (distance − 1), or 0.
 */
@inline
function insertAndSearch(scratch: usize, src: usize, p: usize, end: usize, chainLimit: i32, nice: i32): u32 {
  const headSlot = scratch + HEAD + (<usize>hash4(p) << 2);
  let candidate = <i32>load<u32>(headSlot) - 1;
  const position = <i32>(p - src);
  link(scratch, position, candidate);
  store<u32>(headSlot, <u32>(position + 1));
  const limit = <i32>min<usize>(<usize>MAX_MATCH, end - p);
  let bestLength = 0;
  let bestDistance = 0;
  const oldest = oldestCandidate(position);
  let chain = chainLimit;
  while (candidate > oldest && chain-- > 0) {
    const q = src + <usize>candidate;
    // A candidate can only win if it also matches at the current best length: four bytes, the
    // best match's last three and the one after it (zlib's scan_end checks two; four filter
    // better where matches end in zero bytes, as in numeric arrays: level 6 +5-13%).
    if (bestLength < MIN_MATCH || (bestLength < limit && load<u32>(q + <usize>(bestLength - 3)) == load<u32>(p + <usize>(bestLength - 3)))) {
      const length = matchLength(p, q, limit);
      if (length > bestLength) {
        bestLength = length;
        bestDistance = position - candidate;
        if (length >= nice) break;
      }
    }
    candidate = nextCandidate(scratch, candidate);
  }
  return bestLength >= MIN_MATCH ? (<u32>bestLength << 16) | <u32>(bestDistance - 1) : 0;
}

@inline
function emitMatch(scratch: usize, symbols: i32, length: i32, distance: i32): i32 {
  store<u32>(scratch + SYMBOLS + (<usize>symbols << 2), (1 << 31) | (<u32>length << 16) | <u32>(distance - 1));
  const ls = lengthSymbol(length);
  store<u32>(scratch + LIT_FREQ + (<usize>ls << 2), load<u32>(scratch + LIT_FREQ + (<usize>ls << 2)) + 1);
  const ds = distanceSymbol(distance);
  store<u32>(scratch + DIST_FREQ + (<usize>ds << 2), load<u32>(scratch + DIST_FREQ + (<usize>ds << 2)) + 1);
  return symbols + 1;
}

@inline
function emitLiteral(scratch: usize, symbols: i32, literal: u8): i32 {
  store<u32>(scratch + SYMBOLS + (<usize>symbols << 2), <u32>literal);
  store<u32>(scratch + LIT_FREQ + (<usize>literal << 2), load<u32>(scratch + LIT_FREQ + (<usize>literal << 2)) + 1);
  return symbols + 1;
}

/**
 * Compresses `srcLength` bytes at `src` into raw DEFLATE at `dst`; `level`
 * 0-9 as zlib's. With `final`, a complete stream (its last block final).
 * Without, one part of a stream cut into parts compressed apart (pigz's way
 * to one stream from several threads): the last block is not final and an
 * empty stored block (a sync flush) byte-aligns the end, so that the next
 * part's bytes can follow. Each part starts with an empty window: no match
 * reaches into the part before.
 */
export function deflate_raw(src: usize, srcLength: i32, dst: usize, dstCapacity: i32, level: i32, scratch: usize, final: i32): i32 {
  checkRange(src, srcLength, 1, 0);
  checkRange(dst, dstCapacity, 1, 2);
  checkRange(scratch, DEFLATE_SCRATCH_BYTES, 1, 5);
  if (level < 0 || level > 9) fail(E_BAD_DIMENSION, 4, <f64>level);
  bitBuffer = 0;
  bitCount = 0;
  out = dst;
  outEnd = dst + <usize>dstCapacity;
  overflow = false;
  const last = final != 0;
  if (level == 0 || srcLength == 0) {
    if (srcLength == 0 && last) {
      // One empty fixed block: BFINAL, type 01, end-of-block (7 zero bits).
      putBits(3, 3);
      putBits(0, 7);
    } else writeStored(src, 0, srcLength, last); // an empty non-final part: the sync flush alone
    flushBits();
    return overflow ? -2 : <i32>(out - dst);
  }
  memory.fill(scratch + HEAD, 0, 4 << HASH_BITS);
  const chainLimit = maxChain(level);
  const nice = niceLength(level);
  const lazy = level >= 4;
  const lazyLimit = lazyLength(level);
  // Greedy levels add a match's inner positions to the chains only after short matches: 6, 7, 8 bytes
  // at levels 1-3 (zlib: 4, 5, 6). Which is best depends on the data's period (8 MiB, level 1): after
  // matches of up to 8 bytes, a table of float64 columns compresses 19% smaller than with 6 or 7, but
  // small int32 values 28% larger and a sine float64 array 26% slower. Level 3 (dump's zlib default)
  // keeps 8; levels 1-2 favour speed, as zlib's do.
  const insertLimit = level + 5;
  const end = src + <usize>srcLength;
  const hashEnd = srcLength >= MIN_MATCH + 1 ? end - 3 : src; // positions with 4 readable bytes for hash4
  let blockStart = 0;
  let symbols = 0;
  memory.fill(scratch + LIT_FREQ, 0, 4 * 288);
  memory.fill(scratch + DIST_FREQ, 0, 4 * 32);
  let p = src;
  while (p < end) {
    const found = p < hashEnd ? insertAndSearch(scratch, src, p, end, chainLimit, nice) : 0;
    let length = <i32>(found >>> 16);
    // One-step lazy matching: if the next position matches longer, emit a literal here instead
    // (a good match already found earns a shorter look, as zlib's good_length).
    if (lazy && length >= MIN_MATCH && length < lazyLimit && p + 1 < hashEnd && longerAt(scratch, src, p + 1, end, length, length >= 8 ? chainLimit >> 2 : chainLimit)) length = 0;
    if (length >= MIN_MATCH) {
      symbols = emitMatch(scratch, symbols, length, <i32>(found & 0xffff) + 1);
      // Insert the positions the match covers (all of them from level 4, after short matches below).
      const stop = p + <usize>length;
      const step: usize = lazy || length <= insertLimit ? 1 : <usize>length;
      for (let q = p + 1; q < stop && q < hashEnd; q += step) insertHash(scratch, src, q);
      p = stop;
    } else {
      symbols = emitLiteral(scratch, symbols, load<u8>(p));
      p++;
    }
    if (symbols == BLOCK_SYMBOLS || p >= end) {
      const position = <i32>(p - src);
      writeBlock(scratch, src, blockStart, position, symbols, last && p >= end);
      if (overflow) return -2;
      blockStart = position;
      symbols = 0;
      memory.fill(scratch + LIT_FREQ, 0, 4 * 288);
      memory.fill(scratch + DIST_FREQ, 0, 4 * 32);
    }
  }
  if (!last) writeStored(src, 0, 0, false); // sync flush: an empty stored block ends the part on a byte
  flushBits();
  return overflow ? -2 : <i32>(out - dst);
}
