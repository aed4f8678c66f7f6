import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ArgumentTypeError, KernelError, Pool, kernels } from '../../src/index.js';
import { HEAP_START } from '../../src/memory/layout.js';

const sumReference = (x: ArrayLike<number>): number => {
  let total = 0;
  for (let i = 0; i < x.length; i++) total += x[i]!;
  return total;
};

describe('vector kernels in the pool', () => {
  const pool = new Pool({ workers: 2 });
  afterAll(() => pool.terminate());

  it('sumF64, fillF64 and axpyF64 agree with plain loops for every length and offset', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { maxLength: 67 }),
        fc.integer({ min: 0, max: 3 }),
        fc.double({ min: -10, max: 10, noNaN: true }),
        async (values, offset, alpha) => {
          using scope = pool.scope();
          const base = scope.alloc(Float64Array, values.length + offset);
          const x = base.subarray(offset); // unaligned to 16 bytes when offset is odd
          x.set(values);
          const sum = await pool.apply(kernels.sumF64, [x]);
          expect(sum).toBeCloseTo(sumReference(values), 6);

          const y = scope.alloc(Float64Array, values.length);
          y.set(values.map((v) => v / 2));
          const expected = values.map((v, i) => y[i]! + alpha * v);
          await pool.apply(kernels.axpyF64, [alpha, x, y]);
          for (let i = 0; i < values.length; i++) expect(y[i]).toBeCloseTo(expected[i]!, 6);

          await pool.apply(kernels.fillF64, [x, alpha]);
          expect(Array.from(x)).toEqual(values.map(() => alpha));
          if (offset > 0) expect(base[offset - 1]).toBe(0); // nothing written before the view
        },
      ),
      { numRuns: 40 },
    );
  });

  it('refuses arrays that are not in the shared memory, naming the argument', async () => {
    const error = (await pool.apply(kernels.sumF64, [new Float64Array(4)]).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(ArgumentTypeError);
    expect(error.message).toMatch(/`x` must be a Float64Array in the pool's shared memory/);
  });

  it('refuses mismatched lengths with a KernelError', async () => {
    using scope = pool.scope();
    const error = (await pool.apply(kernels.axpyF64, [1, scope.alloc(Float64Array, 4), scope.alloc(Float64Array, 5)]).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(KernelError);
    expect(error.message).toMatch(/kernel axpyF64: `y.length` must match/);
  });

  it('refuses a view into the runtime’s control region: kernels only touch the heap', async () => {
    const control = new Float64Array(pool.memory.buffer, HEAP_START - 4096, 16);
    const error = (await pool.apply(kernels.fillF64, [control, 1]).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(KernelError);
    expect(error.message).toMatch(/`x` .* does not lie inside the shared heap/);
  });
});
