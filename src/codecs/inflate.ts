/**
 * Decoding DEFLATE streams (RFC 1951) in their three wrappings: raw
 * ('deflate'), zlib (RFC 1950: 2-byte header, Adler-32 trailer) and gzip
 * (RFC 1952: header with optional fields, CRC-32 and size trailer; several
 * members in a row decode to their concatenation). The headers and trailers
 * are parsed here; the bit stream is decoded by assembly/kernels/inflate.ts
 * in a worker. A stream is one task: DEFLATE cannot be split without the
 * encoder's help.
 */

import { CorruptDataError, OutputLimitError } from '../errors.js';
import type { AllocationScope } from '../memory/allocator.js';
import type { Pool } from '../pool/pool.js';
import { takeInOrder } from '../pool/settle.js';
import { kernels } from '../wasm/kernels.js';
import { codecHint } from './sniff.js';
import { placeInPool, type OutputSink } from './bytes.js';
import { GZIP_MEMBER_SUBFIELD } from './deflate.js';

export type DeflateWrapping = 'deflate' | 'zlib' | 'gzip';
type TaskSettings = { signal?: AbortSignal; timeout?: number };

const ERRORS: Record<number, string> = {
  [-1]: 'ends in the middle of the stream',
  [-3]: 'has a block of the reserved type 3',
  [-4]: 'has a stored block whose length check fails',
  [-5]: 'has an invalid Huffman code (over-subscribed, incomplete, or without end-of-block)',
  [-6]: 'uses an undefined literal/length or distance symbol',
  [-7]: 'refers back before the start of the output',
};

/** The error for a negative inflate code other than "output full". */
export function corruption(what: string, code: number): CorruptDataError {
  return new CorruptDataError(`${what} data is corrupted: it ${ERRORS[code] ?? `fails with code ${code}`}`);
}

/**
 * How far a decoding got in whole gzip members: `input` bytes of the stream decoded, checked and their
 * `output` (the sink's length then) handed over. A caller that runs out of memory later may go on
 * from there with another decoder, if the sink has not been written to since.
 */
export interface MemberProgress {
  input: number;
  output: number;
}

/** Decodes `input` (in the pool's memory) into `sink`, at most `limit` bytes; gzip records its `progress` member by member. */
export async function inflateWrapped(
  pool: Pool, scope: AllocationScope, input: Uint8Array, wrapping: DeflateWrapping, limit: number, task: TaskSettings, sink: OutputSink, sizeHint = 0,
  progress: MemberProgress,
): Promise<void> {
  if (wrapping === 'gzip') return inflateGzip(pool, scope, input, limit, task, sink, progress);
  const { output, buffer } = wrapping === 'deflate' ? await inflateRaw(pool, scope, input, limit, task, 'DEFLATE', sizeHint) : await inflateZlib(pool, scope, input, limit, task, sizeHint);
  sink.write(output);
  scope.free(buffer);
}

/**
 * Decodes one raw stream, growing the output buffer until it fits or reaches
 * `limit` (what is left of `callersLimit`, which errors name). `sizeHint` (gzip's ISIZE) makes the first try exact for
 * single-member files; otherwise the first guess is 8× the input.
 */
async function inflateRaw(
  pool: Pool, scope: AllocationScope, input: Uint8Array, limit: number, task: TaskSettings, what: string, sizeHint = 0, check: 0 | 1 | 2 = 0,
  callersLimit = limit,
) {
  // DEFLATE cannot expand data more than 1032:1, so a larger hint is not a real size (a truncated or
  // multi-member file ends with other bytes): ignore it rather than reserve memory for it.
  const hint = sizeHint <= input.length * 1032 ? sizeHint : 0;
  let capacity = Math.min(limit, Math.max(1 << 16, input.length * 8, hint));
  for (;;) {
    const buffer = scope.allocUninitialized(Uint8Array, capacity);
    const [length, consumed, checksum] = await pool.apply(kernels.inflateRaw, [input, buffer, check], task);
    if (length >= 0) return { output: buffer.subarray(0, length), buffer, consumed, checksum };
    if (length !== -2) throw corruption(what, length);
    if (capacity >= limit) throw new OutputLimitError(`${what} output passes \`options.maxOutputLength\` (${callersLimit})`);
    // The task has ended: its buffer makes room for the larger one.
    scope.free(buffer);
    capacity = Math.min(limit, capacity * 4);
  }
}

/** Checks the 2-byte zlib header (RFC 1950 §2.2): CMF, FLG. */
export function checkZlibHeader(input: Uint8Array): void {
  const cmf = input[0]!;
  const flg = input[1]!;
  if ((cmf & 15) !== 8 || cmf >> 4 > 7) throw new CorruptDataError(`not zlib data: compression method ${cmf & 15} / window ${cmf >> 4} (expected 8 / at most 7)${codecHint(input, 0, 'zlib')}`);
  if (((cmf << 8) | flg) % 31 !== 0) throw new CorruptDataError(`not zlib data: the header check bits are wrong${codecHint(input, 0, 'zlib')}`);
  if (flg & 0x20) throw new CorruptDataError('zlib data that needs a preset dictionary is not supported');
}

async function inflateZlib(pool: Pool, scope: AllocationScope, input: Uint8Array, limit: number, task: TaskSettings, sizeHint: number) {
  if (input.length < 6) throw new CorruptDataError(`zlib data is truncated: ${input.length} bytes, a stream has at least 6`);
  checkZlibHeader(input);
  const { output, buffer, consumed, checksum } = await inflateRaw(pool, scope, input.subarray(2), limit, task, 'zlib', sizeHint, 1);
  const trailer = 2 + consumed;
  if (input.length - trailer < 4) throw new CorruptDataError('zlib data is truncated: the Adler-32 trailer is missing');
  const expected = new DataView(input.buffer, input.byteOffset + trailer, 4).getUint32(0, false);
  if (checksum !== expected) throw new CorruptDataError('zlib Adler-32 mismatch: the data is corrupted');
  return { output, buffer };
}

async function inflateGzip(pool: Pool, scope: AllocationScope, input: Uint8Array, limit: number, task: TaskSettings, sink: OutputSink, progress: MemberProgress): Promise<void> {
  const start = sink.length;
  let at = 0;
  const indexed = indexedMembers(input);
  if (indexed) {
    const emitted = await inflateIndexedMembers(pool, scope, input, indexed, limit, task, sink, progress);
    if (emitted === indexed.length) return;
    // A member that did not decode as its length field says is the field's fault, not necessarily the
    // stream's (other readers ignore it): the one-member-at-a-time path below goes on from it and decides.
    at = indexed[emitted]!.start;
  }
  // ISIZE of the last member, the size of a member when it is the only one.
  const sizeHint = new DataView(input.buffer, input.byteOffset + input.length - 4, 4).getUint32(0, true);
  // Each member's output goes to the sink, and its buffer back to the pool, before the next is decoded.
  do {
    const header = gzipHeaderLength(input, at);
    if (input[at + 3]! & 0x02) {
      const crc = (await pool.apply(kernels.crc32, [input.subarray(at, at + header - 2)], task)) & 0xffff;
      if (crc !== (input[at + header - 2]! | (input[at + header - 1]! << 8))) throw new CorruptDataError('gzip header CRC mismatch');
    }
    const { output, buffer, consumed, checksum } = await inflateRaw(pool, scope, input.subarray(at + header), limit - (sink.length - start), task, 'gzip', sizeHint, 2, limit);
    const trailer = at + header + consumed;
    if (input.length - trailer < 8) throw new CorruptDataError('gzip data is truncated: the CRC-32 and size trailer is missing');
    const view = new DataView(input.buffer, input.byteOffset + trailer, 8);
    if (checksum !== view.getUint32(0, true)) throw new CorruptDataError('gzip CRC-32 mismatch: the data is corrupted');
    if (output.length % 2 ** 32 !== view.getUint32(4, true)) throw new CorruptDataError('gzip size mismatch: the data is corrupted');
    sink.write(output);
    scope.free(buffer);
    at = trailer + 8;
    progress.input = at;
    progress.output = sink.length;
    // Trailing zeros (padding some tools add) end the stream, as they do for gzip(1).
  } while (at < input.length && input.subarray(at).some((byte) => byte !== 0));
}

/** BGZF's subfield (the SAM/BAM specification, §4.1; written by htslib's bgzip): 'BC', the member's length − 1 in 2 bytes. */
const BGZF_SUBFIELD = [0x42, 0x43] as const;

interface IndexedMember {
  start: number;
  header: number;
  end: number;
}

/**
 * The members of a gzip stream whose every member records its length (as
 * wyvern writes them: src/codecs/deflate.ts; or BGZF's, as bgzip writes them
 * for genomics files), found without decoding; undefined for any other stream,
 * or for one member (nothing to do at once).
 */
function indexedMembers(input: Uint8Array): IndexedMember[] | undefined {
  const members: IndexedMember[] = [];
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  let at = 0;
  while (at < input.length) {
    if (members.length > 0 && input.subarray(at).every((byte) => byte === 0)) break; // padding
    if (input.length - at < 12 || input[at] !== 0x1f || input[at + 1] !== 0x8b) return undefined;
    const flags = input[at + 3]!;
    if (!(flags & 0x04) || flags & 0x02) return undefined;
    let header: number;
    try {
      header = gzipHeaderLength(input, at);
    } catch {
      return undefined; // the one-member-at-a-time path reports it
    }
    let length: number | undefined;
    const extraEnd = at + 12 + view.getUint16(at + 10, true);
    for (let field = at + 12; field + 4 <= extraEnd; field += 4 + view.getUint16(field + 2, true)) {
      const [id1, id2, fieldLength] = [input[field], input[field + 1], view.getUint16(field + 2, true)];
      if (id1 === GZIP_MEMBER_SUBFIELD[0] && id2 === GZIP_MEMBER_SUBFIELD[1] && fieldLength === 4 && field + 8 <= extraEnd) {
        length = view.getUint32(field + 4, true);
      } else if (id1 === BGZF_SUBFIELD[0] && id2 === BGZF_SUBFIELD[1] && fieldLength === 2 && field + 6 <= extraEnd) {
        length = view.getUint16(field + 4, true) + 1; // BGZF's BSIZE: the member's length minus one
      }
    }
    if (length === undefined || length < header + 8 || length > input.length - at) return undefined;
    members.push({ start: at, header, end: at + length });
    at += length;
  }
  return members.length > 1 ? members : undefined;
}

/**
 * Decodes indexed members all at once, each into its place in one output (sized by the ISIZE trailers),
 * and hands each to `sink` in order as soon as it and those before it are checked: the copy of one
 * member overlaps the decoding of the next. Returns how many members it handed over: all, or fewer
 * when one does not decode as its length field and trailer say (the caller goes on from that one).
 */
async function inflateIndexedMembers(
  pool: Pool, scope: AllocationScope, input: Uint8Array, members: IndexedMember[], limit: number, task: TaskSettings, sink: OutputSink, progress: MemberProgress,
): Promise<number> {
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const sizes = members.map((member) => view.getUint32(member.end - 4, true));
  const total = sizes.reduce((sum, size) => sum + size, 0);
  const payloads = members.map((member) => input.subarray(member.start + member.header, member.end - 8));
  // The trailers are not checked yet: sizes that cannot be real (DEFLATE expands at most 1032:1) or that pass
  // the limit are left to the member-by-member path, which finds what is wrong as it decodes, before any
  // memory is taken for them.
  if (total > limit || sizes.some((size, i) => size > payloads[i]!.length * 1032)) return 0;
  // Straight into the caller's array when it is in the pool's memory, else into a block of it copied out.
  const inPlace = placeInPool(pool, sink, total, input);
  const whole = inPlace ?? scope.allocUninitialized(Uint8Array, total);
  // The members' outputs go straight into one result.
  sink.reserve(total);
  const outputs: Uint8Array[] = [];
  let offset = 0;
  for (const size of sizes) {
    outputs.push(whole.subarray(offset, offset + size));
    offset += size;
  }
  const results = payloads.map((payload, i) => pool.apply(kernels.inflateRaw, [payload, outputs[i]!, 2], task));
  const emitted = await takeInOrder(results, (result, i) => {
    const [length, consumed, checksum] = result!;
    // Its output as long as its ISIZE says (not cut short by it), its end where its length field says, its CRC-32 right.
    if (length !== sizes[i] || consumed !== payloads[i]!.length || checksum !== view.getUint32(members[i]!.end - 8, true)) return false;
    sink.write(outputs[i]!);
    progress.input = members[i]!.end;
    progress.output = sink.length;
    return true;
  });
  // Every task has ended well (else whole stays reserved until the scope is freed, once tasks given up
  // on have stopped: see decompress): room for the member-at-a-time path.
  if (!inPlace) scope.free(whole);
  return emitted;
}

/**
 * The length of the gzip member header at `at` (RFC 1952 §2.3), checking what
 * it can. When `input` ends inside the header: -1 if `partial` (more input is
 * coming), else a CorruptDataError. `first`: the header starts the stream (a
 * foreign one's error then names the codec it looks like).
 */
export function gzipHeaderLength(input: Uint8Array, at: number, partial = false, first = at === 0): number {
  class Truncated {}
  const need = (bytes: number, what: string): void => {
    if (input.length >= bytes) return;
    if (partial) throw new Truncated();
    throw new CorruptDataError(`gzip data is truncated in ${what}`);
  };
  try {
    return readGzipHeader(input, at, need, first);
  } catch (error) {
    if (error instanceof Truncated) return -1;
    throw error;
  }
}

function readGzipHeader(input: Uint8Array, at: number, need: (bytes: number, what: string) => void, first: boolean): number {
  // The magic bytes that are there are checked before the length: bytes after a member that are not one are
  // not a truncated member.
  const wrongByte = (offset: number, expected: number) => at + offset < input.length && input[at + offset] !== expected;
  if (!wrongByte(0, 0x1f) && !wrongByte(1, 0x8b)) need(at + 10, 'the member header');
  if (input[at] !== 0x1f || input[at + 1] !== 0x8b) throw new CorruptDataError(`not gzip data: bytes 0x${input[at]?.toString(16)} 0x${input[at + 1]?.toString(16)} at offset ${at} (expected 0x1f 0x8b)${first ? codecHint(input, at, 'gzip') : ''}`);
  if (input[at + 2] !== 8) throw new CorruptDataError(`gzip compression method ${input[at + 2]} is not DEFLATE (8)`);
  const flags = input[at + 3]!;
  if (flags & 0xe0) throw new CorruptDataError(`gzip header has reserved flags set (0x${flags.toString(16)})`);
  let end = at + 10;
  if (flags & 0x04) {
    need(end + 2, 'the extra field length');
    end += 2 + (input[end]! | (input[end + 1]! << 8));
    need(end, 'the extra field');
  }
  for (const flag of [0x08, 0x10]) {
    if (!(flags & flag)) continue;
    while (end < input.length && input[end] !== 0) end++;
    need(end + 1, flag === 0x08 ? 'the file name' : 'the comment');
    end++;
  }
  if (flags & 0x02) {
    need(end + 2, 'the header CRC');
    end += 2;
  }
  return end - at;
}
