// The inflater against a corpus of edge cases (test/fixtures/deflate-corpus):
// zlib's own coverage vectors and hand-made edges of the gzip and zlib
// wrappers, each with what Node's zlib made of it. Whole and streamed in
// pieces of one byte and of a few, wyvern decodes the same bytes, or rejects
// the input with a CorruptDataError where zlib rejects it; the pool's memory
// is as before each call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorruptDataError, Pool, decompress, decompressStream, type Codec } from '../../src/index.js';
import cases from '../fixtures/deflate-corpus/cases.json' with { type: 'json' };
import { pipe } from '../stream-helpers.js';

const bytes = (hex: string) => new Uint8Array((hex.match(/../g) ?? []).map((pair) => parseInt(pair, 16)));
const hexOf = (data: Uint8Array) => Array.from(data, (value) => value.toString(16).padStart(2, '0')).join('');
const outcome = (promise: Promise<Uint8Array>) => promise.then((value) => ({ value, error: undefined }), (error: unknown) => ({ value: undefined, error }));

/** Pieces of `size` bytes (the last shorter). */
const split = (data: Uint8Array, size: number) => Array.from({ length: Math.ceil(data.length / size) }, (_, i) => data.subarray(i * size, (i + 1) * size));

describe('DEFLATE corpus', () => {
  const pool = new Pool({ workers: 1 });
  afterAll(() => pool.terminate());
  const decodings = (data: Uint8Array, codec: Codec) => ({
    whole: outcome(decompress(data, { pool, codec })),
    'byte by byte': outcome(pipe(split(data, 1), decompressStream({ pool, codec }))),
    'in pieces of 5': outcome(pipe(split(data, 5), decompressStream({ pool, codec }))),
  });
  // Every path once before any baseline: the workers' and this thread's kernel scratch is taken on first use and kept.
  beforeAll(async () => {
    for (const { codec, input } of cases) await Promise.all(Object.values(decodings(bytes(input), codec as Codec)));
  });

  it('holds cases that zlib accepts and cases it rejects', () => {
    expect(cases.filter((c) => c.expected === null).length).toBeGreaterThan(20);
    expect(cases.filter((c) => c.expected !== null).length).toBeGreaterThan(10);
  });

  for (const { name, codec, input, expected } of cases) {
    it(`${codec}: ${name}`, async () => {
      const data = bytes(input);
      const baseline = pool.heapStatistics().usedBytes;
      const runs = decodings(data, codec as Codec);
      for (const [how, run] of Object.entries(runs)) {
        const { value, error } = await run;
        if (expected === null) expect(error, `${how}: zlib rejects it`).toBeInstanceOf(CorruptDataError);
        else expect(error === undefined ? hexOf(value!) : error, how).toBe(expected);
      }
      expect(pool.heapStatistics().usedBytes).toBe(baseline);
    });
  }
});
