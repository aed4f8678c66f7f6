/**
 * Decoding runs of LZ4 blocks on the pool, shared by decompress() (whole
 * frames) and the streaming decoder (blocks as they arrive): independent
 * blocks several at once, linked ones in order after the 64 KiB of output
 * they may refer to. Output goes to `emit` as views of the pool's memory, in
 * order, valid until the next call of `emit`'s wave.
 */

import { CorruptDataError, OutputLimitError } from '../errors.js';
import type { AllocationScope } from '../memory/allocator.js';
import type { Pool } from '../pool/pool.js';
import { allSettled } from '../pool/settle.js';
import { kernels } from '../wasm/kernels.js';
import { allocAreas } from './bytes.js';

/** A block's payload, in the pool's memory, and where it was in the input (for messages). */
export interface HeapBlock {
  payload: Uint8Array;
  /** Stored as is (the high bit of its size word was set). */
  uncompressed: boolean;
  offset: number;
}

/** `room`: the most output these blocks may produce; `max`: the caller's limit, for messages. */
export type OutputLimits = { room: number; max: number };
export type TaskSettings = { chunksize: number; signal?: AbortSignal; timeout?: number };

/** The last 64 KiB of output, which linked blocks may refer to. */
const HISTORY = 64 * 1024;

/** Independent blocks in waves of a few per worker (fewer if memory is short), each into its own slot of `blockMaxSize`. */
export async function decodeIndependent(
  pool: Pool, scope: AllocationScope, blocks: readonly HeapBlock[], blockMaxSize: number, emit: (view: Uint8Array) => void, limits: OutputLimits, taskOptions: TaskSettings,
): Promise<void> {
  if (blocks.length === 0) return;
  // Fewer blocks per wave, down to one, when the pool's memory cannot hold that many outputs.
  const { areas: buffer, count: wave } = allocAreas(pool, scope, Math.min(blocks.length, pool.workers * 4), blockMaxSize);
  let produced = 0;
  for (let first = 0; first < blocks.length; first += wave) {
    const batch = blocks.slice(first, first + wave);
    const calls: [Uint8Array, Uint8Array, number, number][] = [];
    const capacity = Math.min(blockMaxSize, Math.max(0, limits.room - produced));
    batch.forEach((block, i) => {
      if (!block.uncompressed) calls.push([block.payload, buffer.subarray(i * blockMaxSize, i * blockMaxSize + capacity), 0, 0]);
    });
    const lengths = await allSettled(calls.map((call) => pool.apply(kernels.lz4DecompressBlock, call, taskOptions)));
    let call = 0;
    batch.forEach((block, i) => {
      let bytes = block.payload;
      if (!block.uncompressed) {
        const length = lengths[call++]!;
        if (length < 0) throw blockError(length, block.offset, capacity < blockMaxSize, limits.max);
        bytes = buffer.subarray(i * blockMaxSize, i * blockMaxSize + length);
      }
      produced += bytes.length;
      emit(bytes);
    });
  }
}

/**
 * Linked blocks, one after another after `history` (the earlier output's last
 * ≤ 64 KiB). Returns the history after the last block, for a next run.
 */
export async function decodeLinked(
  pool: Pool, scope: AllocationScope, blocks: readonly HeapBlock[], blockMaxSize: number, emit: (view: Uint8Array) => void, limits: OutputLimits, taskOptions: TaskSettings,
  earlier: Uint8Array = new Uint8Array(0),
): Promise<Uint8Array> {
  // buffer = [history: up to 64 KiB of earlier output | this block's output]
  const buffer = scope.allocUninitialized(Uint8Array, HISTORY + blockMaxSize);
  let history = Math.min(HISTORY, earlier.length);
  buffer.set(earlier.subarray(earlier.length - history), HISTORY - history);
  let produced = 0;
  for (const block of blocks) {
    let length: number;
    if (block.uncompressed) {
      length = block.payload.length;
      buffer.set(block.payload, HISTORY);
    } else {
      const capacity = Math.min(blockMaxSize, Math.max(0, limits.room - produced));
      const out = buffer.subarray(HISTORY - history, HISTORY + capacity);
      length = await pool.apply(kernels.lz4DecompressBlock, [block.payload, out, history, history], taskOptions);
      if (length < 0) throw blockError(length, block.offset, capacity < blockMaxSize, limits.max);
    }
    produced += length;
    emit(buffer.subarray(HISTORY, HISTORY + length));
    // The last 64 KiB of [history | block] move to just before the next block's start.
    const keep = Math.min(HISTORY, history + length);
    buffer.copyWithin(HISTORY - keep, HISTORY + length - keep, HISTORY + length);
    history = keep;
  }
  return buffer.slice(HISTORY - history, HISTORY);
}

/**
 * A block that reaches back before its output's start, in a frame that names a dictionary, most likely
 * reaches into that dictionary: the error says so (as `lz4 -d` without `-D` fails on such a frame).
 */
export function explainDictionary(error: unknown, dictionaryId: number | undefined): unknown {
  if (dictionaryId === undefined || !(error instanceof CorruptDataError) || !error.message.includes(BACK_BEFORE_START)) return error;
  return new CorruptDataError(`${error.message}: the frame was compressed with dictionary ${dictionaryId}, which is decoded without it (as lz4 -d without -D)`);
}

const BACK_BEFORE_START = 'refers back before the start of the output';

/** The error for a negative lz4_decompress_block result. */
export function blockError(code: number, offset: number, limited: boolean, limit: number): Error {
  if (code === -2 && limited) return new OutputLimitError(`LZ4 output passes \`options.maxOutputLength\` (${limit})`);
  const what = code === -1 ? 'ends in the middle of a sequence' : code === -2 ? 'decodes to more than the block maximum' : BACK_BEFORE_START;
  return new CorruptDataError(`LZ4 block at offset ${offset} is corrupted: it ${what}`);
}
