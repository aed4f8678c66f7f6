/**
 * Encoding DEFLATE streams (RFC 1951) in their three wrappings, with the
 * encoder of assembly/kernels/deflate.ts. gzip output of large inputs is
 * cut into chunks compressed at once on the pool's workers and written as
 * concatenated members (as pigz does); every gzip reader, gzip(1) and Node's
 * zlib included, reads them as one stream. Each member records its own
 * length in an extra field (see GZIP_MEMBER_SUBFIELD), as BGZF does, so that
 * wyvern's reader can find every member without decoding and decode them all
 * at once; other readers skip the field. zlib and raw streams are cut into
 * parts the same way, joined by sync flushes into one stream (as pigz does).
 */

import type { AllocationScope } from '../memory/allocator.js';
import type { Pool } from '../pool/pool.js';
import { allSettled } from '../pool/settle.js';
import { kernels } from '../wasm/kernels.js';
import { allocAreas, concatBytes, newResultArray, throughWindow, type ResultArray } from './bytes.js';
import type { DeflateWrapping } from './inflate.js';

type TaskSettings = { signal?: AbortSignal; timeout?: number };

/**
 * gzip members: at least 1 MiB (a new member resets the 32 KiB window, which
 * costs ratio on small ones) and at most 4 MiB, so that a reader with more
 * workers than the writer had still finds a member for each.
 */
const MIN_GZIP_CHUNK = 1 << 20;
const MAX_GZIP_CHUNK = 4 << 20;

/**
 * The extra subfield (RFC 1952 §2.3.1.1) holding a member's total length in
 * bytes, header to trailer, u32 LE: SI1 'W', SI2 'Y', LEN 4.
 */
export const GZIP_MEMBER_SUBFIELD = [0x57, 0x59] as const;
/** A member header as written here: 10 fixed bytes, XLEN, one 8-byte subfield. */
const MEMBER_HEADER_BYTES = 10 + 2 + 8;

async function deflateChunk(pool: Pool, scope: AllocationScope, input: Uint8Array, level: number, task: TaskSettings, final = true): Promise<Uint8Array> {
  // The kernel's own bound, so that the two cannot disagree.
  const out = scope.allocUninitialized(Uint8Array, (await pool.mainThreadKernels()).deflateBound(input.length));
  const length = await pool.apply(kernels.deflateRaw, [input, out, level, final], task);
  if (length < 0) throw new Error(`internal error: deflate output exceeded its bound (${length})`);
  return out.subarray(0, length);
}

/**
 * `data` cut into parts (gzip members, or parts of one stream) of 1 MiB to 4 MiB, so that every worker
 * gets one; at least one part, empty for empty data.
 */
function partsOf(pool: Pool, data: Uint8Array): Uint8Array[] {
  const size = Math.min(MAX_GZIP_CHUNK, Math.max(MIN_GZIP_CHUNK, Math.ceil(data.length / pool.workers)));
  const parts: Uint8Array[] = [];
  for (let at = 0; at < data.length || parts.length === 0; at += size) parts.push(data.subarray(at, Math.min(data.length, at + size)));
  return parts;
}

/**
 * One raw DEFLATE stream from parts compressed at once (pigz's way): every part but the last ends in a
 * sync flush, so their concatenation is one standard stream; each part starts with an empty window.
 */
async function deflateInParts(pool: Pool, scope: AllocationScope, input: Uint8Array, level: number, task: TaskSettings): Promise<Uint8Array[]> {
  const parts = partsOf(pool, input);
  return allSettled(parts.map((part, i) => deflateChunk(pool, scope, part, level, task, i === parts.length - 1)));
}

/** Compresses `input` (in the pool's memory) into `result(size)`: an ordinary Uint8Array by default. */
export async function deflateWrapped(
  pool: Pool, scope: AllocationScope, input: Uint8Array, wrapping: DeflateWrapping, level: number, task: TaskSettings, result: ResultArray = newResultArray,
): Promise<Uint8Array> {
  if (wrapping === 'deflate') return joined(await deflateInParts(pool, scope, input, level, task), result);
  if (wrapping === 'zlib') {
    const [body, adler] = await allSettled([deflateInParts(pool, scope, input, level, task), pool.apply(kernels.adler32, [input], task)]);
    return zlibStream(body, adler, level, result);
  }
  // gzip: one member per part, all parts at once.
  const members = await allSettled(
    partsOf(pool, input).map(async (chunk) => {
      const [body, crc] = await allSettled([deflateChunk(pool, scope, chunk, level, task), pool.apply(kernels.crc32, [chunk], task)]);
      return { body, crc, size: chunk.length };
    }),
  );
  return gzipMembers(members, level, result);
}

/** `parts` one after another in `result(their total)`. */
function joined(parts: readonly Uint8Array[], result: ResultArray): Uint8Array {
  return concatBytes(parts, result(parts.reduce((sum, part) => sum + part.length, 0)));
}

/**
 * As deflateWrapped, for `data` anywhere (not necessarily in the pool's memory) and too large for the
 * pool's memory to hold with its output: its parts go through a window of areas (two per worker, fewer
 * if memory is short), each copied in, compressed, and its output copied out before the area takes the
 * next part; checksums are computed here as parts arrive. The same output as deflateWrapped.
 */
export async function deflateWrappedInTurn(
  pool: Pool, scope: AllocationScope, data: Uint8Array, wrapping: DeflateWrapping, level: number, task: TaskSettings, result: ResultArray = newResultArray,
): Promise<Uint8Array> {
  const local = await pool.mainThreadKernels();
  const parts = partsOf(pool, data);
  const size = parts[0]!.length;
  const bound = local.deflateBound(size);
  const copying = !pool.isShared(data);
  const crcTable = scope.allocUninitialized(Uint8Array, 8192);
  const areaBytes = (copying ? size : 0) + bound;
  const { areas, count: window } = allocAreas(pool, scope, Math.min(parts.length, 2 * pool.workers), areaBytes, pool.workers * (local.deflateScratchBytes() + 9216));
  const bodies: Uint8Array[] = new Array(parts.length);
  const crcs: number[] = new Array(parts.length);
  let adler = 1;
  await throughWindow(parts.length, window, (i, area) => {
    const original = parts[i]!;
    const at = area * areaBytes;
    const source = copying ? areas.subarray(at, at + original.length) : original;
    if (copying) source.set(original);
    const output = areas.subarray(at + areaBytes - bound, at + areaBytes);
    // gzip parts are whole members; zlib and raw parts join into one stream.
    const final = wrapping === 'gzip' || i === parts.length - 1;
    const part = pool.apply(kernels.deflateRaw, [source, output, level, final], task).then((length) => {
      if (length < 0) throw new Error(`internal error: deflate output exceeded its bound (${length})`);
      bodies[i] = output.slice(0, length);
    });
    // Checksums while the worker compresses, in order.
    if (wrapping === 'zlib') adler = local.adler32(source.byteOffset, source.length, adler) >>> 0;
    if (wrapping === 'gzip') crcs[i] = local.crc32(source.byteOffset, source.length, 0, crcTable.byteOffset) >>> 0;
    return part;
  });
  if (wrapping === 'deflate') return joined(bodies, result);
  if (wrapping === 'zlib') return zlibStream(bodies, adler, level, result);
  return gzipMembers(bodies.map((body, i) => ({ body, crc: crcs[i]!, size: parts[i]!.length })), level, result);
}

/** A zlib stream (RFC 1950) around the raw DEFLATE stream that `parts` make together. */
function zlibStream(parts: readonly Uint8Array[], adler: number, level: number, resultArray: ResultArray): Uint8Array {
  const bodyLength = parts.reduce((sum, part) => sum + part.length, 0);
  const result = resultArray(2 + bodyLength + 4);
  // CMF: deflate, 32 KiB window; FLG: the level class, and check bits making (CMF·256 + FLG) a multiple of 31.
  const levelClass = level <= 1 ? 0 : level <= 5 ? 1 : level === 6 ? 2 : 3;
  const cmf = 0x78;
  let flg = levelClass << 6;
  flg |= 31 - ((cmf * 256 + flg) % 31);
  result[0] = cmf;
  result[1] = flg;
  concatBytes(parts, result.subarray(2));
  new DataView(result.buffer, result.byteOffset, result.byteLength).setUint32(2 + bodyLength, adler, false);
  return result;
}

/** gzip members (RFC 1952), one per compressed chunk, each header carrying the member's length. */
function gzipMembers(members: readonly { body: Uint8Array; crc: number; size: number }[], level: number, resultArray: ResultArray): Uint8Array {
  const result = resultArray(members.reduce((sum, m) => sum + MEMBER_HEADER_BYTES + m.body.length + 8, 0));
  const view = new DataView(result.buffer, result.byteOffset, result.byteLength);
  let at = 0;
  for (const member of members) {
    // ID1 ID2, CM = 8, FLG = FEXTRA, MTIME = 0, XFL (2: best, 4: fastest), OS = 255 (unknown);
    // XLEN = 8; the subfield with the member's length.
    result.set([0x1f, 0x8b, 8, 0x04, 0, 0, 0, 0, level >= 9 ? 2 : level <= 1 ? 4 : 0, 255, 8, 0, ...GZIP_MEMBER_SUBFIELD, 4, 0], at);
    view.setUint32(at + 16, MEMBER_HEADER_BYTES + member.body.length + 8, true);
    result.set(member.body, at + MEMBER_HEADER_BYTES);
    at += MEMBER_HEADER_BYTES + member.body.length;
    view.setUint32(at, member.crc, true);
    view.setUint32(at + 4, member.size % 2 ** 32, true);
    at += 8;
  }
  return result;
}
