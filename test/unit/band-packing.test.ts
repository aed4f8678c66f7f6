// Kernel bands travel as flat number lists (src/wasm/kernels.ts); the packing
// on the main thread and the unpacking in the worker must agree field by field.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packConv2dBand, packMatmulTile, unpackConv2dBand, unpackMatmulTile } from '../../src/wasm/kernels.js';

const integer = fc.integer({ min: 0, max: 1 << 30 });
const real = fc.double({ noNaN: true });

describe('band packing', () => {
  it('unpacks a matmul tile as it was packed', () => {
    fc.assert(
      fc.property(
        fc.record({ m: integer, n: integer, k: integer, lda: integer, ldb: integer, ldc: integer, transA: fc.boolean(), transB: fc.boolean(), alpha: real, beta: real }),
        fc.tuple(integer, integer, integer, integer),
        (geometry, [rowBegin, rowEnd, colBegin, colEnd]) => {
          expect(unpackMatmulTile(packMatmulTile(geometry, rowBegin, rowEnd, colBegin, colEnd))).toEqual({ ...geometry, rowBegin, rowEnd, colBegin, colEnd });
        },
      ),
    );
  });

  it('unpacks a conv2d band as it was packed', () => {
    fc.assert(
      fc.property(
        fc.record({
          rows: integer, cols: integer, filterRows: integer, filterCols: integer, outRows: integer, outCols: integer,
          originRow: integer, originCol: integer, strideRow: integer, strideCol: integer, boundary: fc.constantFrom(0, 1, 2), fillValue: real,
        }),
        integer,
        integer,
        (geometry, rowBegin, rowEnd) => {
          expect(unpackConv2dBand(packConv2dBand(geometry, rowBegin, rowEnd))).toEqual({ ...geometry, rowBegin, rowEnd });
        },
      ),
    );
  });
});
