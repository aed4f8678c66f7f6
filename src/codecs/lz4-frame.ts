/**
 * The LZ4 frame format (LZ4 project, "LZ4 Frame Format Description" v1.6.x),
 * written and read around the block kernels of assembly/kernels/lz4.ts.
 *
 * ```
 *  frame:  magic 0x184D2204 (u32 LE) | FLG | BD | [content size u64] | [dict id u32] | HC
 *          | blocks… | end mark 0x00000000 | [content checksum u32]
 *  FLG:    version 01 (bits 7-6) | block independence (5) | block checksum (4)
 *          | content size (3) | content checksum (2) | reserved 0 (1) | dict id (0)
 *  BD:     block max size id (bits 6-4): 4 = 64 KiB, 5 = 256 KiB, 6 = 1 MiB, 7 = 4 MiB
 *  HC:     (xxh32(FLG … last descriptor byte, seed 0) >> 8) & 0xFF
 *  block:  size u32 LE (high bit set: stored uncompressed) | data | [xxh32 of data]
 * ```
 *
 * Skippable frames (magic 0x184D2A50 … 0x184D2A5F, u32 size, data) are
 * skipped; several frames in a row decode to their concatenation, as the
 * `lz4` tool does. Parsing treats the input as untrusted: every length is
 * checked against the bytes that remain, and errors say what was wrong where.
 */

import { CorruptDataError } from '../errors.js';
import { codecHint } from './sniff.js';

export const LZ4_MAGIC = 0x184d2204;

/** The legacy format (lz4 -l) is refused by name: it has no descriptor, checksums or end mark to check. */
const LZ4_LEGACY_MAGIC = 0x184c2102;

/** The error for a magic number that does not start a frame; `hint` names the codec the bytes look like. */
export function notAFrame(magic: number, offset: number, hint: string): CorruptDataError {
  if (magic === LZ4_LEGACY_MAGIC) return new CorruptDataError(`LZ4 legacy format (lz4 -l, magic number 0x184c2102) at offset ${offset} is not supported: write the standard frame format (lz4 without -l)`);
  return new CorruptDataError(`not an LZ4 frame: magic number 0x${magic.toString(16).padStart(8, '0')} at offset ${offset} (expected 0x184d2204)${hint}`);
}
export const SKIPPABLE_MASK = 0xfffffff0;
export const SKIPPABLE_MAGIC = 0x184d2a50;
export const BLOCK_SIZES: Record<number, number> = { 4: 64 * 1024, 5: 256 * 1024, 6: 1024 * 1024, 7: 4 * 1024 * 1024 };
export const FLAG_INDEPENDENT = 0x20;
export const FLAG_BLOCK_CHECKSUM = 0x10;
export const FLAG_CONTENT_SIZE = 0x08;
export const FLAG_CONTENT_CHECKSUM = 0x04;
const FLAG_DICT_ID = 0x01;
export const UNCOMPRESSED_BIT = 0x80000000;

/** One block of a parsed frame: where its payload is in the input. */
export interface FrameBlock {
  /** Byte offset of the payload in the input. */
  offset: number;
  length: number;
  /** Stored as is (the high bit of its size was set). */
  uncompressed: boolean;
  /** The block checksum, when the frame has them. */
  checksum?: number;
}

export interface ParsedFrame {
  blockMaxSize: number;
  independent: boolean;
  contentSize?: number;
  contentChecksum?: number;
  /** The dictionary the frame names (decoded without it). */
  dictionaryId?: number;
  blocks: FrameBlock[];
  /** Offset of the header bytes covered by HC, and their length (for the header check). */
  descriptor: { offset: number; length: number; checksum: number };
}

/** Parses every frame of `input` (skipping skippable frames). Checksums are returned, not verified. */
export function parseFrames(input: Uint8Array): ParsedFrame[] {
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const frames: ParsedFrame[] = [];
  let at = 0;
  const need = (bytes: number, what: string, from = at): void => {
    if (input.length - from < bytes) throw new CorruptDataError(`LZ4 frame truncated: ${what} needs ${bytes} bytes at offset ${from}, ${input.length - from} remain`);
  };
  if (input.length === 0) throw new CorruptDataError('LZ4 input is empty: a frame has at least 7 header bytes');
  while (at < input.length) {
    need(4, 'the magic number');
    const magic = view.getUint32(at, true);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      need(8, 'a skippable frame header');
      const size = view.getUint32(at + 4, true);
      at += 8;
      need(size, 'a skippable frame');
      at += size;
      continue;
    }
    if (magic !== LZ4_MAGIC) throw notAFrame(magic, at, frames.length === 0 ? codecHint(input, at, 'lz4') : '');
    at += 4;
    const header = readFrameDescriptor(input, at, need);
    const { flg, blockMaxSize, contentSize, dictionaryId, descriptor } = header;
    at = header.end;
    const blocks: FrameBlock[] = [];
    for (;;) {
      need(4, 'a block size or the end mark');
      const word = view.getUint32(at, true);
      at += 4;
      if (word === 0) break;
      const length = (word & ~UNCOMPRESSED_BIT) >>> 0;
      if (length > blockMaxSize) throw new CorruptDataError(`LZ4 block at offset ${at - 4} claims ${length} bytes, more than the frame's block maximum ${blockMaxSize}`);
      need(length, 'a block');
      const block: FrameBlock = { offset: at, length, uncompressed: (word & UNCOMPRESSED_BIT) !== 0 };
      at += length;
      if (flg & FLAG_BLOCK_CHECKSUM) {
        need(4, 'a block checksum');
        block.checksum = view.getUint32(at, true);
        at += 4;
      }
      blocks.push(block);
    }
    let contentChecksum: number | undefined;
    if (flg & FLAG_CONTENT_CHECKSUM) {
      need(4, 'the content checksum');
      contentChecksum = view.getUint32(at, true);
      at += 4;
    }
    frames.push({ blockMaxSize, independent: (flg & FLAG_INDEPENDENT) !== 0, contentSize, contentChecksum, dictionaryId, blocks, descriptor });
  }
  return frames;
}

/** A frame descriptor (the header after the magic number). */
export interface FrameDescriptor {
  flg: number;
  blockMaxSize: number;
  contentSize?: number;
  /** The dictionary the frame was compressed with, when it names one (decoded without it). */
  dictionaryId?: number;
  /** The header bytes covered by HC, and HC itself. */
  descriptor: { offset: number; length: number; checksum: number };
  /** Offset just past the descriptor. */
  end: number;
}

/**
 * Reads and checks the frame descriptor at `at` (just after the magic
 * number). `need(bytes, what)` is called before bytes are read: it throws when
 * the input is too short (truncation, or "wait for more" when streaming).
 */
export function readFrameDescriptor(input: Uint8Array, at: number, need: (bytes: number, what: string, at: number) => void, base = 0): FrameDescriptor {
  // Offsets in messages are the stream's: `base` is where `input` starts in it (a stream's pending bytes).
  const offset = (position: number): number => base + position;
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  need(3, 'the frame descriptor', at);
  const descriptorStart = at;
  const flg = input[at]!;
  const bd = input[at + 1]!;
  if (flg >> 6 !== 1) throw new CorruptDataError(`LZ4 frame version ${flg >> 6} is not supported (FLG byte 0x${flg.toString(16)} at offset ${offset(at)})`);
  if (flg & 0x02 || bd & 0x8f) throw new CorruptDataError(`LZ4 frame descriptor has reserved bits set (FLG 0x${flg.toString(16)}, BD 0x${bd.toString(16)}) at offset ${offset(at)}`);
  const blockMaxSize = BLOCK_SIZES[(bd >> 4) & 7];
  if (blockMaxSize === undefined) throw new CorruptDataError(`LZ4 frame block size id ${(bd >> 4) & 7} is invalid (4 to 7) at offset ${offset(at + 1)}`);
  at += 2;
  let contentSize: number | undefined;
  if (flg & FLAG_CONTENT_SIZE) {
    need(9, 'the content size', at);
    const size = view.getBigUint64(at, true);
    if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw new CorruptDataError(`LZ4 frame content size ${size} at offset ${offset(at)} is too large`);
    // 0 means "not known" to the reference library (lz4frame.c), which then decodes whatever blocks follow.
    contentSize = size === 0n ? undefined : Number(size);
    at += 8;
  }
  // A dictionary ID only names the dictionary the compressor was given: as the lz4 tool without -D, the blocks are
  // decoded without one, and a block that reaches back into it is corrupt ("refers back before the start").
  let dictionaryId: number | undefined;
  if (flg & FLAG_DICT_ID) {
    need(4, 'the dictionary ID', at);
    dictionaryId = view.getUint32(at, true);
    at += 4;
  }
  need(1, 'the header checksum', at);
  const descriptor = { offset: descriptorStart, length: at - descriptorStart, checksum: input[at]! };
  return { flg, blockMaxSize, contentSize, dictionaryId, descriptor, end: at + 1 };
}

export interface FrameHeaderOptions {
  /** Written when given (FLG bit 3). */
  contentSize?: number;
  /** An xxHash32 of the content follows the end mark (FLG bit 2). */
  contentChecksum: boolean;
  /** Each block is followed by an xxHash32 of its bytes (FLG bit 4). */
  blockChecksum?: boolean;
}

/** The frame header (independent blocks) for the given settings; `headerChecksum` computes HC over the descriptor bytes. */
export function frameHeader(blockSizeId: number, options: FrameHeaderOptions, headerChecksum: (descriptor: Uint8Array) => number): Uint8Array {
  const hasSize = options.contentSize !== undefined;
  const header = new Uint8Array(7 + (hasSize ? 8 : 0));
  const view = new DataView(header.buffer);
  view.setUint32(0, LZ4_MAGIC, true);
  header[4] =
    0x40 |
    FLAG_INDEPENDENT |
    (options.contentChecksum ? FLAG_CONTENT_CHECKSUM : 0) |
    (options.blockChecksum ? FLAG_BLOCK_CHECKSUM : 0) |
    (hasSize ? FLAG_CONTENT_SIZE : 0);
  header[5] = blockSizeId << 4;
  if (hasSize) view.setBigUint64(6, BigInt(options.contentSize!), true);
  header[header.length - 1] = (headerChecksum(header.subarray(4, header.length - 1)) >>> 8) & 0xff;
  return header;
}

/** The 4-byte size word of a block. */
export function blockSizeWord(length: number, uncompressed: boolean): number {
  return (uncompressed ? (length | UNCOMPRESSED_BIT) : length) >>> 0;
}
