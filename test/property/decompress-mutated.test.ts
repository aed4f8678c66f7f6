// decompress() as a whole against damaged input: concatenated LZ4 frames and gzip members (wyvern's and
// BGZF's, whose members record their length, and fflate's, which do not), with bits flipped, the tail zeroed
// or cut off, a tight maxOutputLength, into new arrays or into an `out` (ordinary or in the pool's
// memory). The kernels are fuzzed on their own (lz4-fuzz, inflate-fuzz); this covers the paths around
// them: frames of known size handed over in order, members decoded at once or one at a time, the
// member-by-member and streamed fallbacks. Whatever the input: the exact output, or a CorruptDataError
// or OutputLimitError; undamaged input with checksums decodes exactly; and the pool's memory is as
// before the call.
import fc from 'fast-check';
import * as fflate from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorruptDataError, OutputLimitError, Pool, compress, decompress } from '../../src/index.js';
import bgzfBase64 from '../fixtures/bgzf/text.txt.gz.b64?raw';

type Codec = 'lz4' | 'gzip';
interface Member {
  plain: Uint8Array;
  packed: Uint8Array;
  /** Damage may go unnoticed: an LZ4 frame without a content checksum. */
  unchecked: boolean;
}

const RUNS = 1500;
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);
const join = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  parts.reduce((at, part) => (out.set(part, at), at + part.length), 0);
  return out;
};
const text = (n: number): Uint8Array => new TextEncoder().encode(Array.from({ length: n }, (_, i) => `mutated member ${i % 13}`).join(' ').slice(0, n));

describe('decompress() of damaged frames and members', () => {
  const pool = new Pool({ workers: 2, memory: { maximumBytes: 32 * 2 ** 20 } });
  const members: Record<Codec, Member[]> = { lz4: [], gzip: [] };
  afterAll(() => pool.terminate());

  beforeAll(async () => {
    for (const n of [0, 100, 70_000, 200_000]) {
      const plain = text(n);
      // 64 KiB blocks: several per frame, so the in-order hand-over has something to do.
      members.lz4.push({ plain, packed: await compress(plain, { pool, blockSize: 65536 }), unchecked: false });
      members.lz4.push({ plain, packed: await compress(plain, { pool, blockSize: 65536, level: 9 }), unchecked: false });
      members.lz4.push({ plain, packed: await compress(plain, { pool, blockSize: 65536, contentChecksum: false }), unchecked: true });
      members.gzip.push({ plain, packed: await compress(plain, { pool, codec: 'gzip', level: 1 }), unchecked: false });
      members.gzip.push({ plain, packed: fflate.gzipSync(plain, { level: 6 }), unchecked: false });
    }
    // BGZF, as bgzip writes it (test/fixtures/bgzf/make.sh): members recording their length in another field.
    const bgzfText = new TextEncoder().encode(Array.from({ length: 9000 }, (_, i) => `bgzf line ${i} ${(i * 7919) % 10007}`).join('\n') + '\n');
    members.gzip.push({ plain: bgzfText, packed: Uint8Array.from(atob(bgzfBase64), (char) => char.charCodeAt(0)), unchecked: false });
  });

  // Each kind of damage now and then, so that about a third of the inputs are whole.
  const sometimes = <T>(arbitrary: fc.Arbitrary<T>, weight: number): fc.Arbitrary<T | null> =>
    fc.oneof({ arbitrary: fc.constant(null), weight: 10 - weight }, { arbitrary, weight });
  const fraction = (max = 1) => fc.double({ min: 0, max, maxExcluded: true, noNaN: true });
  const damage = fc.record({
    picks: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
    flips: sometimes(fc.array(fc.record({ at: fraction(), bit: fc.integer({ min: 0, max: 7 }) }), { minLength: 1, maxLength: 3 }), 4),
    zeroFrom: sometimes(fraction(), 1),
    cutAt: sometimes(fraction(), 1),
    limit: sometimes(fraction(1.2), 2),
    out: fc.constantFrom('none', 'none', 'array', 'pool'),
  });

  for (const codec of ['lz4', 'gzip'] as const) {
    it(`${codec}: the exact output or a typed error, for ${RUNS} damaged inputs`, { timeout: 120_000 }, async () => {
      // The workers' scratch is taken and grown on first use: every kind of input, several times, before the baseline.
      const everything = join(members[codec].filter((member) => !member.unchecked).map((member) => member.packed));
      for (let round = 0; round < 3; round++) await decompress(everything, { pool, codec });
      const baseline = pool.heapStatistics().usedBytes;
      await fc.assert(
        fc.asyncProperty(damage, async ({ picks, flips, zeroFrom, cutAt, limit, out: outKind }) => {
          const chosen = picks.map((pick) => members[codec][pick % members[codec].length]!);
          const plain = join(chosen.map((member) => member.plain));
          // Where a stream of the first i frames or members would end.
          const boundaries = chosen.reduce((ends, member) => [...ends, ends.at(-1)! + member.plain.length], [0]);
          let input = join(chosen.map((member) => member.packed));
          for (const { at, bit } of flips ?? []) input[Math.floor(at * input.length)]! ^= 1 << bit;
          if (zeroFrom !== null) input.fill(0, Math.floor(zeroFrom * input.length));
          if (cutAt !== null) input = input.subarray(0, Math.floor(cutAt * input.length));
          const maxOutputLength = limit === null ? undefined : Math.floor(limit * plain.length);
          const out = outKind === 'array' ? new Uint8Array(plain.length + 7) : outKind === 'pool' ? pool.alloc(Uint8Array, plain.length + 7) : undefined;
          const undamaged = flips === null && zeroFrom === null && cutAt === null;
          try {
            const result = await decompress(input, { pool, codec, maxOutputLength, out });
            if (maxOutputLength !== undefined) expect(result.length).toBeLessThanOrEqual(maxOutputLength);
            if (undamaged || !chosen.some((member) => member.unchecked)) {
              // Input cut, or zeroed (gzip's padding), right after a whole frame or member is a shorter
              // stream: that many whole ones then. Flipped bits are caught by the checksums.
              if (zeroFrom === null && cutAt === null) expect(sameBytes(result, plain)).toBe(true);
              else {
                expect(boundaries).toContain(result.length);
                expect(sameBytes(result, plain.subarray(0, result.length))).toBe(true);
              }
            }
          } catch (error) {
            if (!(error instanceof CorruptDataError || error instanceof OutputLimitError)) throw error;
            // Undamaged input fails only for the limit it was given.
            if (undamaged) {
              expect(error).toBeInstanceOf(OutputLimitError);
              expect(maxOutputLength).toBeLessThan(plain.length);
            }
          } finally {
            if (out !== undefined && pool.isShared(out)) pool.free(out);
          }
          expect(pool.heapStatistics().usedBytes).toBe(baseline);
        }),
        { numRuns: RUNS, seed: 20261202 },
      );
    });
  }
});
