// The resumable DEFLATE decoder (inflate_stream, the streaming path) against
// hostile input: random bytes and bit flips of valid streams, started at
// random bit offsets, with a random amount of earlier output as history
// (streams made with that history as a preset dictionary reach back into it).
// Whatever the input, it returns a length within the capacity or a negative
// error code, writes nothing outside its output (the history before the
// output is one of the guards: it must stay as it was), and where it stops
// inside a block the boundary it reports lies within what it was given.
import * as fflate from 'fflate';
import { describe, expect, it } from 'vitest';
import { GUARD, GUARD_BYTE, fuzzArea, fuzzDecoder } from '../fuzz-harness.js';
import { bareKernels } from '../helpers.js';

const FUZZ_INPUTS = 300_000;

describe('streaming DEFLATE decoder fuzz', () => {
  it(`survives ${FUZZ_INPUTS.toLocaleString('en-US')} random and mutated parts without writing outside its output`, { timeout: 180_000 }, async () => {
    const { views, heap, kernels: k } = await bareKernels();
    const scratch = heap.allocate(k.inflateScratchBytes());
    const capacity = 8192;
    const { srcPtr, outPtr, dst } = fuzzArea(heap, capacity);
    // The harness fills the guards with GUARD_BYTE: as history, they are this dictionary.
    const dictionary = new Uint8Array(GUARD).fill(GUARD_BYTE);
    const text = (n: number, level: number) => new TextEncoder().encode(`part ${n}: ` + '\u00a5\u00a5 abcabd xyz '.repeat(n / 10) + String(level).repeat(n % 97));
    const seeds = [0, 1, 6, 9].flatMap((level) =>
      [12, 200, 3000].flatMap((n) => [
        fflate.deflateSync(text(n, level), { level: level as 0 | 1 | 6 | 9 }),
        fflate.deflateSync(new Uint8Array([...dictionary.subarray(0, 20), ...text(n, level)]), { level: level as 0 | 1 | 6 | 9, dictionary }),
      ]),
    );
    // The dictionary streams do reach into the history: whole with it, a distance error without.
    const reaching = new Uint8Array([...dictionary.subarray(0, 20), ...text(200, 6)]);
    const reachingStream = fflate.deflateSync(reaching, { level: 6, dictionary });
    views.u8.set(reachingStream, srcPtr);
    views.u8.fill(0xa5, outPtr, dst);
    expect(k.inflate_stream(srcPtr, reachingStream.length, 0, dst, capacity, GUARD, scratch)).toBe(reaching.length);
    expect(views.u8.subarray(dst, dst + reaching.length)).toEqual(reaching);
    expect(k.inflate_stream(srcPtr, reachingStream.length, 0, dst, capacity, 0, scratch)).toBe(-7);
    let state = 24681357;
    const next = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
    let stoppedInside = 0;
    const decoded = fuzzDecoder(
      {
        views,
        srcPtr,
        outPtr,
        capacity,
        seeds,
        lowestError: -7,
        decode: (length, cap) => {
          // Mostly whole streams from their first bit (valid seeds go deep), sometimes from bit 1-7.
          const startBit = length > 0 && next() % 4 === 0 ? next() % 8 : 0;
          const history = next() % 2 === 0 ? GUARD : next() % (GUARD + 1);
          const result = k.inflate_stream(srcPtr, length, startBit, dst, cap, history, scratch);
          if (result === -1 || result === -2) {
            stoppedInside++;
            const bits = k.inflateBoundaryBits(scratch);
            expect(bits).toBeGreaterThanOrEqual(startBit);
            expect(bits).toBeLessThanOrEqual(8 * length);
            expect(k.inflateBoundaryOutput(scratch)).toBeGreaterThanOrEqual(0);
            expect(k.inflateBoundaryOutput(scratch)).toBeLessThanOrEqual(cap);
          } else if (result >= 0) {
            expect(k.inflateConsumed(scratch)).toBeLessThanOrEqual(length);
          }
          return result;
        },
      },
      FUZZ_INPUTS,
      135792468,
    );
    expect(decoded).toBeGreaterThan(0);
    expect(stoppedInside).toBeGreaterThan(0);
  });
});
