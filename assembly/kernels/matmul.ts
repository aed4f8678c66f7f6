// Matrix multiply C = alpha · op(A) · op(B) + beta · C over shared memory,
// after Goto and van de Geijn, "Anatomy of High-Performance Matrix
// Multiplication" (ACM TOMS 2008): blocks of KC along k and NC along n; B's
// block packed into NR-column panels, A's MC-row block into MR-row panels
// (zero-padded at the edges; read in place by narrow tiles); an MR × NR
// micro-kernel that keeps its tile of C in SIMD registers while it walks a
// KC-long panel pair, and one- and two-row kernels for C's last row or two.
// Tiles of up to 64 rows stream B instead (streamRows), or with B transposed
// take dot products (dotRows).
//
// op(A) is m × k: element (i, p) is A[i·lda + p], or A[p·lda + i] when transA.
// op(B) is k × n: element (p, j) is B[p·ldb + j], or B[j·ldb + p] when transB.
// Only the tile [rowBegin, rowEnd) × [colBegin, colEnd) of C is computed: the
// pool splits C into tiles (src/kernels/matmul.ts). `scratch` is caller-provided
// memory of matmulScratchBytes_*() bytes: kernels never allocate.

import { checkRange, fail, E_BAD_DIMENSION } from "./guard";
import { madd32, madd64 } from "./simd";

// Tile and block sizes. Both element types use 4-row tiles and 32-byte rows
// of B panels (8 floats or 4 doubles), so packing is shared; see the micro-kernels.
// Four rows is the most V8 keeps in registers: its scheduler issues all of an
// iteration's loads first, so eight accumulators, two B vectors and four
// broadcast A values are live at once (14 of the 15 xmm registers it allocates).
// With five or six rows accumulators spill on every iteration, fused
// multiply-add or not, and matmul runs at half speed (measured: 21-25 GFLOP/s f32).
const MR: i32 = 4;
const PANEL_BYTES: i32 = 32;
const KC: i32 = 256;
const MC: i32 = 96;
const NC: i32 = 1024;
// Where C's tile is at most this many NR-column panels wide, each panel of A would be used that few
// times: full panels of A are read in place (four rows, lda apart) instead of packed. One thread, f32,
// packed → in place: 4096 × 1024 × 16 32.7 → 42.3 GFLOP/s, 20000 × 256 × 10 19.7 → 22.6, 4096 × 1024 × 32
// 37.9 → 41.7, 4096 × 4096 × 64 40.6 → 44.0 (f64 alike); from 12 panels on, the same either way, and
// squares unchanged by the micro-kernel's strides (46.5 / 46.0 at n = 512, 47.3 / 47.2 at 1024).
const A_IN_PLACE_PANELS: i32 = 8;

@inline function nr<T>(): i32 {
  return PANEL_BYTES / <i32>sizeof<T>();
}

function scratchBytes<T>(): i32 {
  return (MC * KC + KC * NC + MR * nr<T>()) * <i32>sizeof<T>();
}

/** Bytes of scratch matmul_f32 needs: packed A block, packed B block, one tile (the streamed and dot
 * paths use the same bytes for their accumulators and gathered rows of A, at most 256 KiB each). */
export function matmulScratchBytes_f32(): i32 {
  return scratchBytes<f32>();
}

/** Bytes of scratch matmul_f64 needs. */
export function matmulScratchBytes_f64(): i32 {
  return scratchBytes<f64>();
}

function checkArguments(
  a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, lda: i32, ldb: i32, ldc: i32,
  transA: i32, transB: i32, rowBegin: i32, rowEnd: i32, colBegin: i32, colEnd: i32, scratch: usize, scratchBytes: i32, bytes: u32,
): void {
  if (m <= 0) fail(E_BAD_DIMENSION, 3, <f64>m);
  if (n <= 0) fail(E_BAD_DIMENSION, 4, <f64>n);
  if (k <= 0) fail(E_BAD_DIMENSION, 5, <f64>k);
  const aRowLength = transA ? m : k;
  const bRowLength = transB ? k : n;
  if (aRowLength > lda) fail(E_BAD_DIMENSION, 6, <f64>lda);
  if (bRowLength > ldb) fail(E_BAD_DIMENSION, 7, <f64>ldb);
  if (ldc < n) fail(E_BAD_DIMENSION, 8, <f64>ldc);
  if (rowBegin < 0 || rowBegin > rowEnd) fail(E_BAD_DIMENSION, 13, <f64>rowBegin);
  if (rowEnd > m) fail(E_BAD_DIMENSION, 14, <f64>rowEnd);
  if (colBegin < 0 || colBegin > colEnd) fail(E_BAD_DIMENSION, 15, <f64>colBegin);
  if (colEnd > n) fail(E_BAD_DIMENSION, 16, <f64>colEnd);
  // Extents as the strides see them: (rows − 1) · ld + row length.
  const aRows = transA ? k : m, aCols = transA ? m : k;
  const bRows = transB ? n : k, bCols = transB ? k : n;
  if (<i64>(aRows - 1) * <i64>lda + <i64>aCols > 0x7fffffff) fail(E_BAD_DIMENSION, 6, <f64>lda);
  if (<i64>(bRows - 1) * <i64>ldb + <i64>bCols > 0x7fffffff) fail(E_BAD_DIMENSION, 7, <f64>ldb);
  if (<i64>(m - 1) * <i64>ldc + <i64>n > 0x7fffffff) fail(E_BAD_DIMENSION, 8, <f64>ldc);
  checkRange(a, (aRows - 1) * lda + aCols, bytes, 0);
  checkRange(b, (bRows - 1) * ldb + bCols, bytes, 1);
  checkRange(c, (m - 1) * ldc + n, bytes, 2);
  checkRange(scratch, scratchBytes / <i32>bytes, bytes, 17);
}

/** float32 C = alpha·op(A)·op(B) + beta·C for the tile [rowBegin, rowEnd) × [colBegin, colEnd) of C. */
export function matmul_f32(
  a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, lda: i32, ldb: i32, ldc: i32,
  transA: i32, transB: i32, alpha: f32, beta: f32, rowBegin: i32, rowEnd: i32, colBegin: i32, colEnd: i32, scratch: usize,
): void {
  checkArguments(a, b, c, m, n, k, lda, ldb, ldc, transA, transB, rowBegin, rowEnd, colBegin, colEnd, scratch, scratchBytes<f32>(), 4);
  multiply<f32>(a, b, c, k, lda, ldb, ldc, transA, transB, alpha, beta, rowBegin, rowEnd, colBegin, colEnd, scratch);
}

/** float64 C = alpha·op(A)·op(B) + beta·C for the tile [rowBegin, rowEnd) × [colBegin, colEnd) of C. */
export function matmul_f64(
  a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, lda: i32, ldb: i32, ldc: i32,
  transA: i32, transB: i32, alpha: f64, beta: f64, rowBegin: i32, rowEnd: i32, colBegin: i32, colEnd: i32, scratch: usize,
): void {
  checkArguments(a, b, c, m, n, k, lda, ldb, ldc, transA, transB, rowBegin, rowEnd, colBegin, colEnd, scratch, scratchBytes<f64>(), 8);
  multiply<f64>(a, b, c, k, lda, ldb, ldc, transA, transB, alpha, beta, rowBegin, rowEnd, colBegin, colEnd, scratch);
}

// The blocked loops (jc, pc, ic, jr, ir), shared by both element types.
@inline
function multiply<T>(
  a: usize, b: usize, c: usize, k: i32, lda: i32, ldb: i32, ldc: i32,
  transA: i32, transB: i32, alpha: T, beta: T, rowBegin: i32, rowEnd: i32, colBegin: i32, colEnd: i32, scratch: usize,
): void {
  const NR = nr<T>();
  const size = <usize>sizeof<T>();
  const packedA = scratch;
  const packedB = packedA + <usize>(MC * KC) * size;
  const tile = packedB + <usize>(KC * NC) * size;
  if (rowBegin == rowEnd || colBegin == colEnd) return; // an empty tile
  if (!transB && streams(rowEnd - rowBegin, colEnd - colBegin, NR)) {
    streamRows<T>(a, b, c, k, lda, ldb, ldc, transA, alpha, beta, rowBegin, rowEnd, colBegin, colEnd, scratch);
    return;
  }
  if (transB && rowEnd - rowBegin <= (transA ? DOT_ROWS_GATHERED : DOT_ROWS)) {
    dotRows<T>(a, b, c, k, lda, ldb, ldc, transA, alpha, beta, rowBegin, rowEnd, colBegin, colEnd, packedB);
    return;
  }
  const aInPlace = (colEnd - colBegin + NR - 1) / NR <= A_IN_PLACE_PANELS;
  const aRowStep = transA ? size : <usize>lda * size; // op(A)(i, p) to op(A)(i + 1, p)
  const aColumnStep = transA ? <usize>lda * size : size; // op(A)(i, p) to op(A)(i, p + 1)
  for (let jc = colBegin; jc < colEnd; jc += NC) {
    const nc = min(NC, colEnd - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      // Later k-blocks accumulate onto what the first one wrote.
      const betaNow: T = pc == 0 ? beta : <T>1;
      packB<T>(b, ldb, transB, pc, kc, jc, nc, packedB);
      for (let ic = rowBegin; ic < rowEnd; ic += MC) {
        const mc = min(MC, rowEnd - ic);
        const fullRows = aInPlace ? mc & ~(MR - 1) : 0; // rows read from A in place
        if (fullRows < mc) packA<T>(a, lda, transA, ic + fullRows, mc - fullRows, pc, kc, packedA + <usize>(fullRows * kc) * size);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const bPanel = packedB + <usize>(jr * kc) * size;
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            let aPanel = packedA + <usize>(ir * kc) * size;
            let aRow = size, aColumn = <usize>MR * size;
            if (ir < fullRows) {
              aPanel = a + <usize>(ic + ir) * aRowStep + <usize>pc * aColumnStep;
              aRow = aRowStep;
              aColumn = aColumnStep;
            }
            const cTile = c + (<usize>(ic + ir) * <usize>ldc + <usize>(jc + jr)) * size;
            if (mr == MR && nr == NR) {
              micro<T>(aPanel, aRow, aColumn, bPanel, kc, cTile, ldc, alpha, betaNow);
            } else if (mr <= 2 && nr == NR) {
              // C's last one or two rows: not padded to four rows
              // (4× or 2× the work). Three measured faster padded than as two and one (the panel read twice).
              if (mr == 1) microRow<T>(aPanel, bPanel, kc, cTile, alpha, betaNow);
              else microPair<T>(aPanel, bPanel, kc, cTile, ldc, alpha, betaNow);
            } else {
              // Edge tile: compute the whole zero-padded tile into scratch, then apply its valid part.
              micro<T>(aPanel, aRow, aColumn, bPanel, kc, tile, NR, <T>1, <T>0);
              for (let r = 0; r < mr; r++) {
                for (let s = 0; s < nr; s++) {
                  const dst = cTile + (<usize>r * <usize>ldc + <usize>s) * size;
                  const value: T = alpha * load<T>(tile + <usize>(r * NR + s) * size);
                  store<T>(dst, betaNow == 0 ? value : value + betaNow * load<T>(dst));
                }
              }
            }
          }
        }
      }
    }
  }
}

// Packs op(B)[pc : pc+kc, jc : jc+nc] into panels of NR columns: panel q
// holds, for each p, the NR values of row p (zero past column nc).
function packB<T>(b: usize, ldb: i32, transB: i32, pc: i32, kc: i32, jc: i32, nc: i32, out: usize): void {
  const NR = nr<T>();
  const size = <usize>sizeof<T>();
  for (let jr = 0; jr < nc; jr += NR) {
    const width = min(NR, nc - jr);
    let dst = out + <usize>(jr * kc) * size;
    for (let p = 0; p < kc; p++) {
      if (!transB && width == NR) {
        // A full row of the panel is 32 contiguous bytes of B.
        const src = b + (<usize>(pc + p) * <usize>ldb + <usize>(jc + jr)) * size;
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
      } else if (transB && width == NR && p + lanes<T>() <= kc) {
        // NR rows of Bᵀ, one vector of each, transposed into the panel's next rows.
        transposeIntoPanel<T>(b + (<usize>(jc + jr) * <usize>ldb + <usize>(pc + p)) * size, <usize>ldb * size, dst);
        dst += <usize>(PANEL_BYTES * (lanes<T>() - 1));
        p += lanes<T>() - 1;
      } else {
        for (let s = 0; s < NR; s++) {
          let value: T = <T>0;
          if (s < width) {
            const j = jc + jr + s;
            value = transB ? load<T>(b + (<usize>j * <usize>ldb + <usize>(pc + p)) * size) : load<T>(b + (<usize>(pc + p) * <usize>ldb + <usize>j) * size);
          }
          store<T>(dst + <usize>s * size, value);
        }
      }
      dst += <usize>PANEL_BYTES;
    }
  }
}

// Values in one vector: 4 f32, 2 f64 (so k steps in one vector of a row of Bᵀ or of A).
@inline function lanes<T>(): i32 {
  return 16 / <i32>sizeof<T>();
}

/** `count` rounded down to whole vectors. */
@inline function wholeVectors<T>(count: i32): i32 {
  return count & ~(lanes<T>() - 1);
}

// Writes `lanes` rows of a B panel (NR values each, 32 bytes apart) from one vector of each of NR rows
// of Bᵀ (bRow bytes apart), instead of NR · lanes scalar loads and stores.
@inline function transposeIntoPanel<T>(src: usize, bRow: usize, dst: usize): void {
  transposeFour<T>(src, bRow, dst, <usize>PANEL_BYTES);
  if (sizeof<T>() == 4) transposeFour<T>(src + 4 * bRow, bRow, dst + 16, <usize>PANEL_BYTES); // NR = 8 rows of Bᵀ
}

// Four rows (srcRow bytes apart) of `lanes` values each, written as `lanes` rows of four
// values (dstRow bytes apart): a 4 × 4 transpose in shuffles (f32), or two 2 × 2 ones (f64).
@inline function transposeFour<T>(src: usize, srcRow: usize, dst: usize, dstRow: usize): void {
  const r0 = v128.load(src), r1 = v128.load(src + srcRow), r2 = v128.load(src + 2 * srcRow), r3 = v128.load(src + 3 * srcRow);
  if (sizeof<T>() == 4) {
    const low01 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), low23 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
    const high01 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), high23 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
    v128.store(dst, v128.shuffle<i64>(low01, low23, 0, 2));
    v128.store(dst + dstRow, v128.shuffle<i64>(low01, low23, 1, 3));
    v128.store(dst + 2 * dstRow, v128.shuffle<i64>(high01, high23, 0, 2));
    v128.store(dst + 3 * dstRow, v128.shuffle<i64>(high01, high23, 1, 3));
  } else {
    v128.store(dst, v128.shuffle<f64>(r0, r1, 0, 2));
    v128.store(dst, v128.shuffle<f64>(r2, r3, 0, 2), 16);
    v128.store(dst + dstRow, v128.shuffle<f64>(r0, r1, 1, 3));
    v128.store(dst + dstRow, v128.shuffle<f64>(r2, r3, 1, 3), 16);
  }
}

// Packs op(A)[ic : ic+mc, pc : pc+kc] into panels of MR rows: panel r holds,
// for each p, the MR values of column p (zero past row mc).
function packA<T>(a: usize, lda: i32, transA: i32, ic: i32, mc: i32, pc: i32, kc: i32, out: usize): void {
  const size = <usize>sizeof<T>();
  for (let ir = 0; ir < mc; ir += MR) {
    const height = min(MR, mc - ir);
    let dst = out + <usize>(ir * kc) * size;
    let p = 0;
    if (height == MR) {
      // A full panel: a column of it is MR (= 4) contiguous values of A when A is transposed, and
      // otherwise comes out of a transpose of four rows of A.
      const first = ic + ir;
      if (transA) {
        for (; p < kc; p++) {
          const src = a + (<usize>(pc + p) * <usize>lda + <usize>first) * size;
          v128.store(dst, v128.load(src));
          if (sizeof<T>() == 8) v128.store(dst, v128.load(src, 16), 16);
          dst += <usize>MR * size;
        }
      } else {
        for (; p + lanes<T>() <= kc; p += lanes<T>()) {
          transposeFour<T>(a + (<usize>first * <usize>lda + <usize>(pc + p)) * size, <usize>lda * size, dst, <usize>MR * size);
          dst += <usize>(MR * lanes<T>()) * size;
        }
      }
    }
    for (; p < kc; p++) {
      for (let r = 0; r < MR; r++) {
        let value: T = <T>0;
        if (r < height) {
          const i = ic + ir + r;
          value = transA ? load<T>(a + (<usize>(pc + p) * <usize>lda + <usize>i) * size) : load<T>(a + (<usize>i * <usize>lda + <usize>(pc + p)) * size);
        }
        store<T>(dst + <usize>r * size, value);
      }
      dst += <usize>MR * size;
    }
  }
}


// Lane-typed steps for the kernels below, each a compile-time choice on T (one body per build of
// each kernel), so that the micro-kernel and the one- and two-row kernels are written once for both
// element types.
@inline function splatAt<T>(p: usize): v128 {
  return sizeof<T>() == 4 ? v128.load32_splat(p) : v128.load64_splat(p);
}
@inline function madd<T>(a: v128, b: v128, acc: v128): v128 {
  return sizeof<T>() == 4 ? madd32(a, b, acc) : madd64(a, b, acc);
}
@inline function sum<T>(a: v128, b: v128): v128 {
  return sizeof<T>() == 4 ? f32x4.add(a, b) : f64x2.add(a, b);
}
@inline function product<T>(a: v128, b: v128): v128 {
  return sizeof<T>() == 4 ? f32x4.mul(a, b) : f64x2.mul(a, b);
}
@inline function splatOf<T>(value: T): v128 {
  return sizeof<T>() == 4 ? f32x4.splat(<f32>value) : f64x2.splat(<f64>value);
}
/** Writes a row of a tile (two vectors) into C: alpha · row, plus beta · C when beta ≠ 0 (C is not read then). */
@inline function storeRow<T>(row: usize, left: v128, right: v128, alpha: T, beta: T): void {
  const va = splatOf<T>(alpha);
  if (beta == 0) {
    v128.store(row, product<T>(va, left));
    v128.store(row, product<T>(va, right), 16);
  } else {
    const vb = splatOf<T>(beta);
    v128.store(row, sum<T>(product<T>(va, left), product<T>(vb, v128.load(row))));
    v128.store(row, sum<T>(product<T>(va, right), product<T>(vb, v128.load(row, 16))), 16);
  }
}

// The micro-kernel: C[0:4, 0:NR] = alpha · Σ_p a[p, 0:4] ⊗ b[p, 0:NR] + beta · C, two vectors of
// accumulators per row (4 × 8 float32, 4 × 4 float64). Whole 1024³ products on one thread of a Zen 4
// VM: f32 40 GFLOP/s with multiply + add, 47 with fused multiply-add; f64 20 and 24. A function of
// its own, not inlined into the blocked loops: inlined twice (full and edge tiles) it shared one
// register allocation with them and spilled. Unrolling k measured slower (spills).
function micro<T>(aPanel: usize, aRow: usize, aColumn: usize, bPanel: usize, kc: i32, cTile: usize, ldc: i32, alpha: T, beta: T): void {
  const size = <usize>sizeof<T>();
  const aRow2 = aRow << 1, aRow3 = aRow2 + aRow;
  let c00 = i64x2.splat(0), c01 = i64x2.splat(0);
  let c10 = i64x2.splat(0), c11 = i64x2.splat(0);
  let c20 = i64x2.splat(0), c21 = i64x2.splat(0);
  let c30 = i64x2.splat(0), c31 = i64x2.splat(0);
  let ap = aPanel, bp = bPanel;
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    let a = splatAt<T>(ap);
    c00 = madd<T>(a, b0, c00); c01 = madd<T>(a, b1, c01);
    a = splatAt<T>(ap + aRow);
    c10 = madd<T>(a, b0, c10); c11 = madd<T>(a, b1, c11);
    a = splatAt<T>(ap + aRow2);
    c20 = madd<T>(a, b0, c20); c21 = madd<T>(a, b1, c21);
    a = splatAt<T>(ap + aRow3);
    c30 = madd<T>(a, b0, c30); c31 = madd<T>(a, b1, c31);
    ap += aColumn;
    bp += <usize>PANEL_BYTES;
  }
  const rowBytes = <usize>ldc * size;
  let row = cTile;
  storeRow<T>(row, c00, c01, alpha, beta); row += rowBytes;
  storeRow<T>(row, c10, c11, alpha, beta); row += rowBytes;
  storeRow<T>(row, c20, c21, alpha, beta); row += rowBytes;
  storeRow<T>(row, c30, c31, alpha, beta);
}

// One row of the micro-kernel's tile: C[r, 0:NR] from A's packed panel (column p's value for row r
// at aColumn + p·MR·size). Accumulators for even and odd k steps, so that consecutive multiply-adds
// do not wait on each other.
function microRow<T>(aColumn: usize, bPanel: usize, kc: i32, cRow: usize, alpha: T, beta: T): void {
  const column = <usize>MR * sizeof<T>(); // from one column of the A panel to the next
  let even0 = i64x2.splat(0), even1 = i64x2.splat(0);
  let odd0 = i64x2.splat(0), odd1 = i64x2.splat(0);
  let ap = aColumn, bp = bPanel;
  let p = 0;
  for (; p + 1 < kc; p += 2) {
    let a = splatAt<T>(ap);
    even0 = madd<T>(a, v128.load(bp), even0); even1 = madd<T>(a, v128.load(bp, 16), even1);
    a = splatAt<T>(ap + column);
    bp += <usize>PANEL_BYTES;
    odd0 = madd<T>(a, v128.load(bp), odd0); odd1 = madd<T>(a, v128.load(bp, 16), odd1);
    ap += column << 1;
    bp += <usize>PANEL_BYTES;
  }
  if (p < kc) {
    const a = splatAt<T>(ap);
    even0 = madd<T>(a, v128.load(bp), even0); even1 = madd<T>(a, v128.load(bp, 16), even1);
  }
  storeRow<T>(cRow, sum<T>(even0, odd0), sum<T>(even1, odd1), alpha, beta);
}

// Rows 0 and 1 of the micro-kernel's tile, as microRow does one.
function microPair<T>(aPanel: usize, bPanel: usize, kc: i32, cTile: usize, ldc: i32, alpha: T, beta: T): void {
  const size = <usize>sizeof<T>();
  const column = <usize>MR * size;
  let c00 = i64x2.splat(0), c01 = i64x2.splat(0), c10 = i64x2.splat(0), c11 = i64x2.splat(0);
  let d00 = i64x2.splat(0), d01 = i64x2.splat(0), d10 = i64x2.splat(0), d11 = i64x2.splat(0);
  let ap = aPanel, bp = bPanel;
  let p = 0;
  for (; p + 1 < kc; p += 2) {
    let b0 = v128.load(bp), b1 = v128.load(bp, 16);
    let a = splatAt<T>(ap);
    c00 = madd<T>(a, b0, c00); c01 = madd<T>(a, b1, c01);
    a = splatAt<T>(ap + size);
    c10 = madd<T>(a, b0, c10); c11 = madd<T>(a, b1, c11);
    bp += <usize>PANEL_BYTES;
    b0 = v128.load(bp); b1 = v128.load(bp, 16);
    a = splatAt<T>(ap + column);
    d00 = madd<T>(a, b0, d00); d01 = madd<T>(a, b1, d01);
    a = splatAt<T>(ap + column + size);
    d10 = madd<T>(a, b0, d10); d11 = madd<T>(a, b1, d11);
    ap += column << 1;
    bp += <usize>PANEL_BYTES;
  }
  if (p < kc) {
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    let a = splatAt<T>(ap);
    c00 = madd<T>(a, b0, c00); c01 = madd<T>(a, b1, c01);
    a = splatAt<T>(ap + size);
    c10 = madd<T>(a, b0, c10); c11 = madd<T>(a, b1, c11);
  }
  storeRow<T>(cTile, sum<T>(c00, d00), sum<T>(c01, d01), alpha, beta);
  storeRow<T>(cTile + <usize>ldc * size, sum<T>(c10, d10), sum<T>(c11, d11), alpha, beta);
}


// ---- Tiles of up to 64 rows: B streamed in its own order ----
//
// A few rows of C use each element of B once per row, so such a product is bound by reading B, and
// the blocked loops read it badly: NR-wide panels, one row of B after another, so a new page every
// few dozen bytes. Here B is read in its own order instead, whole rows (or wide column blocks of them)
// one after another, and each group of up to four rows of C accumulates in scratch (ACCUMULATOR_BYTES,
// in L1 while the group's pass runs) as sums of B's rows scaled by A's elements, written to C once at
// the end. One thread, f32, blocked → streamed: 1 × 4096 × 4096 5.7 → 10.6 GFLOP/s, 2 rows 9.0 → 15.5,
// 3 rows 10.3 → 13, 4 rows 13.6 → 18.5 (f64 alike, in GFLOP/s halved). Tiles of several groups take k
// in blocks whose slab of B (STREAM_SLAB_BYTES) stays in L2 while every group passes over it, so B
// comes from memory once: against the blocked loops 8 × 4096 × 4096 21.1 → 29.9, 64 × 1024 × 4096
// 39.3 → 48.8, 16 × 2048 × 2048 29.9 → 36.7 (f64 10.8 → 17.8), 8 × 1024 × 1024 35 → 50; 256 KiB slabs
// measured a little faster than 512 KiB at 32-64 rows. Streaming every tile in chunks of 64 rows
// measured the same on squares, better at 65 × 1024 × 4096 (37 → 45) but half as fast on a tall, narrow
// C (4096 × 1024 × 16: 40 → 21, each row's pass only 16 columns wide), so more rows keep the blocked loops.
const STREAM_ROWS: i32 = 64;
const STREAM_MIN_PANELS: i32 = 8;
const ACCUMULATOR_BYTES: i32 = 16384;
const STREAM_SLAB_BYTES: i32 = 262144;
const STREAM_TOUCH_BYTES: i64 = 8 << 20;

// Whether a tile of `rows` × `cols` of C (B not transposed) streams B. Up to four rows always; five to 64
// when the tile is at least STREAM_MIN_PANELS micro-kernel panels wide: a narrower pass over each row
// group is a few vectors long, its setup not paid back, and the blocked loops (reading A in place there)
// are faster: 32 × 1024 × 16 f32 27 → 45 GFLOP/s, 16 × 1024 × 16 24 → 39 blocked, while 8 × 4096 × 64 (8
// panels) ran 45 streamed against 30 blocked.
@inline function streams(rows: i32, cols: i32, nr: i32): bool {
  return rows <= 4 || (rows <= STREAM_ROWS && cols >= STREAM_MIN_PANELS * nr);
}

/** Columns of C one pass accumulates for `rows` rows: a whole number of vectors, ACCUMULATOR_BYTES in all. */
@inline function accumulatorWidth<T>(rows: i32): i32 {
  return wholeVectors<T>(ACCUMULATOR_BYTES / (rows * <i32>sizeof<T>()));
}

// C[rowBegin:rowEnd, colBegin:colEnd] = alpha · op(A) · B + beta · C, four rows of C at a time
// (three go as four with the third row repeated into a fourth accumulator, which is dropped: one
// pass over B instead of a pair's and a row's).
function streamRows<T>(
  a: usize, b: usize, c: usize, k: i32, lda: i32, ldb: i32, ldc: i32,
  transA: i32, alpha: T, beta: T, rowBegin: i32, rowEnd: i32, colBegin: i32, colEnd: i32, accumulators: usize,
): void {
  const size = <usize>sizeof<T>();
  const aStep = transA ? <usize>lda * size : size; // from op(A)(i, p) to op(A)(i, p + 1)
  const aNext = transA ? size : <usize>lda * size; // from op(A)(i, p) to op(A)(i + 1, p)
  const bRow = <usize>ldb * size;
  const rows = rowEnd - rowBegin;
  const groups = (rows + 3) >> 2;
  // One group: as wide as its rows allow, all of k at once. Several: four rows' width, and k in blocks
  // whose slab of B (kBlock × width) stays in L2 while every group passes over it.
  const width = groups == 1 ? accumulatorWidth<T>(rows == 3 ? 4 : rows) : accumulatorWidth<T>(4);
  const groupBytes = <usize>(4 * width) * size;
  // A B too large to stay cached between calls is read ahead, slab by slab, for three rows or more.
  const touch = rows >= 3 && <i64>k * <i64>(colEnd - colBegin) * <i64>size > STREAM_TOUCH_BYTES;
  for (let j0 = colBegin; j0 < colEnd; j0 += width) {
    const w = min(width, colEnd - j0);
    // k per block: a slab of B of w columns in at most STREAM_SLAB_BYTES, a multiple of 8 rows of it.
    const kBlock = groups == 1 && !touch ? k : max(8, (STREAM_SLAB_BYTES / (w * <i32>size)) & ~7);
    for (let g = 0; g < groups; g++) {
      const groupRows = min(4, rowEnd - rowBegin - (g << 2));
      memory.fill(accumulators + <usize>g * groupBytes, 0, <usize>((groupRows == 3 ? 4 : groupRows) * w) * size);
    }
    for (let pc = 0; pc < k; pc += kBlock) {
      const kc = min(kBlock, k - pc);
      const bSlab = b + <usize>pc * bRow + <usize>j0 * size;
      if (touch) touchSlab(bSlab, bRow, kc, <usize>w * size, accumulators + <usize>groups * groupBytes);
      for (let g = 0; g < groups; g++) {
        const i = rowBegin + (g << 2);
        const groupRows = min(4, rowEnd - i);
        const a0 = (transA ? a + <usize>i * size : a + <usize>i * <usize>lda * size) + <usize>pc * aStep;
        const a1 = a0 + aNext, a2 = a1 + aNext;
        const acc = accumulators + <usize>g * groupBytes;
        if (groupRows == 1) accumulateRow<T>(a0, aStep, bSlab, bRow, kc, acc, w);
        else if (groupRows == 2) accumulatePair<T>(a0, a1, aStep, bSlab, bRow, kc, acc, w);
        else accumulateQuad<T>(a0, a1, a2, groupRows == 4 ? a2 + aNext : a2, aStep, bSlab, bRow, kc, acc, w);
      }
    }
    for (let g = 0; g < groups; g++) {
      const i = rowBegin + (g << 2);
      writeRows<T>(accumulators + <usize>g * groupBytes, min(4, rowEnd - i), w, c + (<usize>i * <usize>ldc + <usize>j0) * size, ldc, alpha, beta);
    }
  }
}

// WebAssembly has no prefetch instruction: reading a slab of B from memory inside a group's pass runs at
// the pace of the few misses that pass keeps in flight (four rows: ~10 GB/s of B here, against ~33 for one
// plain stream). A pass that only loads one vector per cache line of the slab, nothing depending on the
// loads, keeps many more in flight; the groups' passes then find the slab in L2. One thread, f32, B of
// 4096 × 4096: 4 rows 22.6 → 29.3 GFLOP/s, 8 rows 29.8 → 36.6, 12 rows 33.5 → 36.8 (f64 10.9 → 14.4, 15.0
// → 18.1); 16 × 2048 × 2048 41.2 → 43.7. Not for one or two rows (1 × 4096 × 4096 13.6 → 12.8: their pass
// streams fast enough), nor for a B that stays in cache between calls (8 × 1024 × 1024 53.8 → 50.2).
function touchSlab(slab: usize, bRow: usize, rows: i32, rowBytes: usize, sink: usize): void {
  let any = i64x2.splat(0);
  let row = slab;
  const lines = rowBytes & ~(<usize>63);
  for (let p = 0; p < rows; p++) {
    for (let j: usize = 0; j < lines; j += 64) any = v128.or(any, v128.load(row + j));
    row += bRow;
  }
  v128.store(sink, any); // kept, so that the loads are
}

// Byte lengths of a row of w accumulators: its whole vectors, and all of it.
@inline function vectorBytesOf<T>(w: i32): usize {
  return <usize>wholeVectors<T>(w) * sizeof<T>();
}

/** acc[0:w] += A's element at `aValue` · b[0:w] (a k step the unrolled loops leave over). */
@inline function addScaledRow<T>(acc: usize, aValue: usize, bRow: usize, w: i32): void {
  const size = <usize>sizeof<T>();
  const vectorBytes = vectorBytesOf<T>(w), endBytes = <usize>w * size;
  const scale = splatAt<T>(aValue);
  let j: usize = 0;
  for (; j < vectorBytes; j += 16) v128.store(acc + j, madd<T>(scale, v128.load(bRow + j), v128.load(acc + j)));
  for (; j < endBytes; j += size) store<T>(acc + j, load<T>(acc + j) + load<T>(aValue) * load<T>(bRow + j));
}

// One row: eight rows of B per step (eight streams keep more reads in flight than four: 9.2 → 10.6
// GFLOP/s at 1 × 4096 × 4096 f32), each accumulator loaded and stored once per eight.
function accumulateRow<T>(a0: usize, aStep: usize, b: usize, bRow: usize, k: i32, acc: usize, w: i32): void {
  const size = <usize>sizeof<T>();
  const vectorBytes = vectorBytesOf<T>(w), endBytes = <usize>w * size;
  let p = 0, ap = a0, b0 = b;
  for (; p + 7 < k; p += 8) {
    const x0 = splatAt<T>(ap), x1 = splatAt<T>(ap + aStep), x2 = splatAt<T>(ap + 2 * aStep), x3 = splatAt<T>(ap + 3 * aStep);
    const x4 = splatAt<T>(ap + 4 * aStep), x5 = splatAt<T>(ap + 5 * aStep), x6 = splatAt<T>(ap + 6 * aStep), x7 = splatAt<T>(ap + 7 * aStep);
    const b1 = b0 + bRow, b2 = b1 + bRow, b3 = b2 + bRow, b4 = b3 + bRow, b5 = b4 + bRow, b6 = b5 + bRow, b7 = b6 + bRow;
    let j: usize = 0;
    for (; j < vectorBytes; j += 16) {
      let s = madd<T>(x0, v128.load(b0 + j), v128.load(acc + j));
      s = madd<T>(x1, v128.load(b1 + j), s);
      s = madd<T>(x2, v128.load(b2 + j), s);
      s = madd<T>(x3, v128.load(b3 + j), s);
      s = madd<T>(x4, v128.load(b4 + j), s);
      s = madd<T>(x5, v128.load(b5 + j), s);
      s = madd<T>(x6, v128.load(b6 + j), s);
      v128.store(acc + j, madd<T>(x7, v128.load(b7 + j), s));
    }
    for (; j < endBytes; j += size) {
      let s = load<T>(acc + j);
      for (let g: usize = 0; g < 8; g++) s += load<T>(ap + g * aStep) * load<T>(b0 + g * bRow + j);
      store<T>(acc + j, s);
    }
    ap += aStep << 3;
    b0 = b7 + bRow;
  }
  for (; p < k; p++) {
    addScaledRow<T>(acc, ap, b0, w);
    ap += aStep;
    b0 += bRow;
  }
}

// Two rows: four rows of B per step (2 × 4.4 → 15.5 GFLOP/s over two rows' passes at 2 × 4096 ×
// 4096 f32 as a pair of two k steps; eight broadcast values, four B vectors and two sums in registers).
function accumulatePair<T>(a0: usize, a1: usize, aStep: usize, b: usize, bRow: usize, k: i32, acc: usize, w: i32): void {
  const size = <usize>sizeof<T>();
  const vectorBytes = vectorBytesOf<T>(w), endBytes = <usize>w * size;
  const acc1 = acc + endBytes;
  let p = 0, ap = a0, aq = a1, b0 = b;
  for (; p + 3 < k; p += 4) {
    const x0 = splatAt<T>(ap), x1 = splatAt<T>(ap + aStep), x2 = splatAt<T>(ap + 2 * aStep), x3 = splatAt<T>(ap + 3 * aStep);
    const y0 = splatAt<T>(aq), y1 = splatAt<T>(aq + aStep), y2 = splatAt<T>(aq + 2 * aStep), y3 = splatAt<T>(aq + 3 * aStep);
    const b1 = b0 + bRow, b2 = b1 + bRow, b3 = b2 + bRow;
    let j: usize = 0;
    for (; j < vectorBytes; j += 16) {
      const r0 = v128.load(b0 + j), r1 = v128.load(b1 + j), r2 = v128.load(b2 + j), r3 = v128.load(b3 + j);
      v128.store(acc + j, madd<T>(x3, r3, madd<T>(x2, r2, madd<T>(x1, r1, madd<T>(x0, r0, v128.load(acc + j))))));
      v128.store(acc1 + j, madd<T>(y3, r3, madd<T>(y2, r2, madd<T>(y1, r1, madd<T>(y0, r0, v128.load(acc1 + j))))));
    }
    for (; j < endBytes; j += size) {
      let s = load<T>(acc + j), t = load<T>(acc1 + j);
      for (let g: usize = 0; g < 4; g++) {
        const value = load<T>(b0 + g * bRow + j);
        s += load<T>(ap + g * aStep) * value;
        t += load<T>(aq + g * aStep) * value;
      }
      store<T>(acc + j, s);
      store<T>(acc1 + j, t);
    }
    ap += aStep << 2;
    aq += aStep << 2;
    b0 = b3 + bRow;
  }
  for (; p < k; p++) {
    addScaledRow<T>(acc, ap, b0, w);
    addScaledRow<T>(acc1, aq, b0, w);
    ap += aStep;
    aq += aStep;
    b0 += bRow;
  }
}

// Four rows: two rows of B per step (eight broadcast values, two B vectors, four sums).
function accumulateQuad<T>(a0: usize, a1: usize, a2: usize, a3: usize, aStep: usize, b: usize, bRow: usize, k: i32, acc: usize, w: i32): void {
  const size = <usize>sizeof<T>();
  const vectorBytes = vectorBytesOf<T>(w), endBytes = <usize>w * size;
  const acc1 = acc + endBytes, acc2 = acc1 + endBytes, acc3 = acc2 + endBytes;
  let p = 0, b0 = b;
  let offset: usize = 0; // from each row's A(i, 0) to A(i, p)
  for (; p + 1 < k; p += 2) {
    const x0 = splatAt<T>(a0 + offset), x1 = splatAt<T>(a0 + offset + aStep);
    const y0 = splatAt<T>(a1 + offset), y1 = splatAt<T>(a1 + offset + aStep);
    const z0 = splatAt<T>(a2 + offset), z1 = splatAt<T>(a2 + offset + aStep);
    const u0 = splatAt<T>(a3 + offset), u1 = splatAt<T>(a3 + offset + aStep);
    const b1 = b0 + bRow;
    let j: usize = 0;
    for (; j < vectorBytes; j += 16) {
      const r0 = v128.load(b0 + j), r1 = v128.load(b1 + j);
      v128.store(acc + j, madd<T>(x1, r1, madd<T>(x0, r0, v128.load(acc + j))));
      v128.store(acc1 + j, madd<T>(y1, r1, madd<T>(y0, r0, v128.load(acc1 + j))));
      v128.store(acc2 + j, madd<T>(z1, r1, madd<T>(z0, r0, v128.load(acc2 + j))));
      v128.store(acc3 + j, madd<T>(u1, r1, madd<T>(u0, r0, v128.load(acc3 + j))));
    }
    for (; j < endBytes; j += size) {
      const r0 = load<T>(b0 + j), r1 = load<T>(b1 + j);
      store<T>(acc + j, load<T>(acc + j) + load<T>(a0 + offset) * r0 + load<T>(a0 + offset + aStep) * r1);
      store<T>(acc1 + j, load<T>(acc1 + j) + load<T>(a1 + offset) * r0 + load<T>(a1 + offset + aStep) * r1);
      store<T>(acc2 + j, load<T>(acc2 + j) + load<T>(a2 + offset) * r0 + load<T>(a2 + offset + aStep) * r1);
      store<T>(acc3 + j, load<T>(acc3 + j) + load<T>(a3 + offset) * r0 + load<T>(a3 + offset + aStep) * r1);
    }
    offset += aStep << 1;
    b0 = b1 + bRow;
  }
  if (p < k) {
    addScaledRow<T>(acc, a0 + offset, b0, w);
    addScaledRow<T>(acc1, a1 + offset, b0, w);
    addScaledRow<T>(acc2, a2 + offset, b0, w);
    addScaledRow<T>(acc3, a3 + offset, b0, w);
  }
}

/** C[r, 0:w] = alpha · acc[r, 0:w] + beta · C[r, 0:w] for the first `rows` rows (C not read when beta = 0). */
function writeRows<T>(acc: usize, rows: i32, w: i32, cRow: usize, ldc: i32, alpha: T, beta: T): void {
  const size = <usize>sizeof<T>();
  const vectorBytes = vectorBytesOf<T>(w), endBytes = <usize>w * size;
  const va = splatOf<T>(alpha), vb = splatOf<T>(beta);
  for (let r = 0; r < rows; r++) {
    const src = acc + <usize>r * endBytes, dst = cRow + <usize>r * <usize>ldc * size;
    let j: usize = 0;
    for (; j < vectorBytes; j += 16) {
      const value = product<T>(va, v128.load(src + j));
      v128.store(dst + j, beta == 0 ? value : sum<T>(value, product<T>(vb, v128.load(dst + j))));
    }
    for (; j < endBytes; j += size) {
      const value: T = alpha * load<T>(src + j);
      store<T>(dst + j, beta == 0 ? value : value + beta * load<T>(dst + j));
    }
  }
}

// ---- Tiles of up to 64 rows times Bᵀ: dot products ----
//
// With B transposed, each element of C is the dot product of a row of op(A) and a row of Bᵀ, both
// contiguous along k (op(A)'s gathered first when A is transposed). Tiles of up to DOT_ROWS rows compute
// them as such, two rows by four columns at a time in eight vector sums, B not packed: the blocked loops would
// first transpose Bᵀ into panels that so few rows use a few times each. The tile's rows of A stay in L2
// (k cut into blocks of at most DOT_A_BYTES of them, C accumulating across blocks), each four rows of
// Bᵀ in L1 while the tile's row pairs pass over them. One thread, f32, the blocked loops (with the
// vectorized transposing pack) → dot products: 1 × 4096 × 4096 4.3 → 10.5 GFLOP/s, 4 rows 14.7 → 24.9,
// 16 rows 29 → 38, 8 × 1024 × 1024 28 → 48, 64 × 1024 × 1024 41 → 44 (f64 alike); squares measured the
// same either way up to 1024 and slightly slower at 2048 (46 → 45), so larger tiles keep the blocked loops.
// A transposed as well, the gather of op(A)'s rows (a scalar loop) pays off for up to 16 rows (one
// thread, f32, blocked → dot: 1 × 4096 × 4096 5.3 → 9.9, 4 rows 16.6 → 24.5, 16 × 1024 × 1024 34.7 →
// 38.3, 16 × 512 × 512 41.5 → 48.2) but not for 32 or 64 (32 × 512 × 512 44.4 → 42.0, 64 rows 43.8 → 36.6).
const DOT_ROWS: i32 = 64;
const DOT_ROWS_GATHERED: i32 = 16;
const DOT_A_BYTES: i32 = 262144;

@inline function laneSum<T>(v: v128): T {
  if (sizeof<T>() == 4) {
    return <T>(f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3)));
  }
  return <T>(f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1));
}

@inline function storeDot<T>(dst: usize, dot: T, alpha: T, beta: T): void {
  const value: T = alpha * dot;
  store<T>(dst, beta == 0 ? value : value + beta * load<T>(dst));
}

// C[rowBegin:rowEnd, colBegin:colEnd] = alpha · op(A) · Bᵀ + beta · C, in blocks of k. With A
// transposed, a block's rows of op(A) are strided columns of A: they are gathered into `rowsOfA` first
// (rows × kd values, a small share of the block's rows × columns × kd multiply-adds).
function dotRows<T>(
  a: usize, b: usize, c: usize, k: i32, lda: i32, ldb: i32, ldc: i32, transA: i32,
  alpha: T, beta: T, rowBegin: i32, rowEnd: i32, colBegin: i32, colEnd: i32, rowsOfA: usize,
): void {
  const size = <i32>sizeof<T>();
  const rows = rowEnd - rowBegin;
  // k per block: the tile's rows of A in at most DOT_A_BYTES, a whole number of vectors each.
  const kd = min(k, max(lanes<T>(), wholeVectors<T>(DOT_A_BYTES / (rows * size))));
  const cFirst = c + <usize>rowBegin * <usize>ldc * <usize>size;
  for (let pc = 0; pc < k; pc += kd) {
    const kc = min(kd, k - pc);
    // Later k blocks add onto what the first one wrote.
    const betaNow: T = pc == 0 ? beta : <T>1;
    let aFirst = a + (<usize>rowBegin * <usize>lda + <usize>pc) * <usize>size;
    let aRow = <usize>lda * <usize>size;
    if (transA) {
      for (let p = 0; p < kc; p++) {
        const column = a + (<usize>(pc + p) * <usize>lda + <usize>rowBegin) * <usize>size; // op(A)(rowBegin.., pc + p)
        for (let r = 0; r < rows; r++) store<T>(rowsOfA + <usize>(r * kc + p) * <usize>size, load<T>(column + <usize>(r * size)));
      }
      aFirst = rowsOfA;
      aRow = <usize>(kc * size);
    }
    dotBlock<T>(aFirst, aRow, rows, b + <usize>(pc * size), <usize>ldb * <usize>size, kc, cFirst, <usize>ldc * <usize>size, colBegin, colEnd, alpha, betaNow);
  }
}

// `rows` rows of C from cFirst (cRow bytes apart), columns [colBegin, colEnd): dot products of op(A)'s
// rows from aFirst (aRow bytes apart) with Bᵀ's rows, k values each.
function dotBlock<T>(
  aFirst: usize, aRow: usize, rows: i32, b: usize, bRow: usize, k: i32, cFirst: usize, cRow: usize,
  colBegin: i32, colEnd: i32, alpha: T, beta: T,
): void {
  const size = <usize>sizeof<T>();
  let j = colBegin;
  if (rows == 1) {
    // A single row reads each row of Bᵀ once: eight at a time keep more reads in flight (+10-20%).
    for (; j + 7 < colEnd; j += 8) dotRow8<T>(aFirst, b + <usize>j * bRow, bRow, k, cFirst + <usize>j * size, alpha, beta);
  }
  for (; j + 3 < colEnd; j += 4) {
    const bColumns = b + <usize>j * bRow;
    let i = 0;
    for (; i + 1 < rows; i += 2) {
      dotPair<T>(aFirst + <usize>i * aRow, aRow, bColumns, bRow, k, cFirst + <usize>i * cRow + <usize>j * size, cRow, alpha, beta);
    }
    if (i < rows) dotRow<T>(aFirst + <usize>i * aRow, bColumns, bRow, k, cFirst + <usize>i * cRow + <usize>j * size, alpha, beta);
  }
  for (; j < colEnd; j++) {
    for (let i = 0; i < rows; i++) {
      storeDot<T>(cFirst + <usize>i * cRow + <usize>j * size, dot<T>(aFirst + <usize>i * aRow, b + <usize>j * bRow, k), alpha, beta);
    }
  }
}

/** Σ_p x[p] · y[p] over k elements. */
function dot<T>(x: usize, y: usize, k: i32): T {
  const size = <usize>sizeof<T>();
  const vectorBytes = vectorBytesOf<T>(k), endBytes = <usize>k * size;
  let s0 = i64x2.splat(0), s1 = i64x2.splat(0);
  let p: usize = 0;
  for (; p + 16 < vectorBytes; p += 32) {
    s0 = madd<T>(v128.load(x + p), v128.load(y + p), s0);
    s1 = madd<T>(v128.load(x + p, 16), v128.load(y + p, 16), s1);
  }
  if (p < vectorBytes) { s0 = madd<T>(v128.load(x + p), v128.load(y + p), s0); p += 16; }
  let total: T = laneSum<T>(sum<T>(s0, s1));
  for (; p < endBytes; p += size) total += load<T>(x + p) * load<T>(y + p);
  return total;
}

// Rows i, i+1 of A against rows j..j+3 of Bᵀ: eight dot products, eight vector sums.
function dotPair<T>(a0: usize, aRow: usize, b0: usize, bRow: usize, k: i32, cTile: usize, cRow: usize, alpha: T, beta: T): void {
  const size = <usize>sizeof<T>();
  const vectorBytes = vectorBytesOf<T>(k), endBytes = <usize>k * size;
  const a1 = a0 + aRow, b1 = b0 + bRow, b2 = b1 + bRow, b3 = b2 + bRow;
  let s00 = i64x2.splat(0), s01 = i64x2.splat(0), s02 = i64x2.splat(0), s03 = i64x2.splat(0);
  let s10 = i64x2.splat(0), s11 = i64x2.splat(0), s12 = i64x2.splat(0), s13 = i64x2.splat(0);
  let p: usize = 0;
  for (; p < vectorBytes; p += 16) {
    const x0 = v128.load(a0 + p), x1 = v128.load(a1 + p);
    let y = v128.load(b0 + p);
    s00 = madd<T>(x0, y, s00); s10 = madd<T>(x1, y, s10);
    y = v128.load(b1 + p);
    s01 = madd<T>(x0, y, s01); s11 = madd<T>(x1, y, s11);
    y = v128.load(b2 + p);
    s02 = madd<T>(x0, y, s02); s12 = madd<T>(x1, y, s12);
    y = v128.load(b3 + p);
    s03 = madd<T>(x0, y, s03); s13 = madd<T>(x1, y, s13);
  }
  let d00 = laneSum<T>(s00), d01 = laneSum<T>(s01), d02 = laneSum<T>(s02), d03 = laneSum<T>(s03);
  let d10 = laneSum<T>(s10), d11 = laneSum<T>(s11), d12 = laneSum<T>(s12), d13 = laneSum<T>(s13);
  for (; p < endBytes; p += size) {
    const x0 = load<T>(a0 + p), x1 = load<T>(a1 + p);
    const y0 = load<T>(b0 + p), y1 = load<T>(b1 + p), y2 = load<T>(b2 + p), y3 = load<T>(b3 + p);
    d00 += x0 * y0; d01 += x0 * y1; d02 += x0 * y2; d03 += x0 * y3;
    d10 += x1 * y0; d11 += x1 * y1; d12 += x1 * y2; d13 += x1 * y3;
  }
  storeDot<T>(cTile, d00, alpha, beta); storeDot<T>(cTile + size, d01, alpha, beta);
  storeDot<T>(cTile + 2 * size, d02, alpha, beta); storeDot<T>(cTile + 3 * size, d03, alpha, beta);
  const c1 = cTile + cRow;
  storeDot<T>(c1, d10, alpha, beta); storeDot<T>(c1 + size, d11, alpha, beta);
  storeDot<T>(c1 + 2 * size, d12, alpha, beta); storeDot<T>(c1 + 3 * size, d13, alpha, beta);
}

// Row i of A against rows j..j+3 of Bᵀ, two vector sums per product (alternate k steps).
function dotRow<T>(a0: usize, b0: usize, bRow: usize, k: i32, cTile: usize, alpha: T, beta: T): void {
  const size = <usize>sizeof<T>();
  const vectorBytes = vectorBytesOf<T>(k), endBytes = <usize>k * size;
  const b1 = b0 + bRow, b2 = b1 + bRow, b3 = b2 + bRow;
  let s0 = i64x2.splat(0), s1 = i64x2.splat(0), s2 = i64x2.splat(0), s3 = i64x2.splat(0);
  let t0 = i64x2.splat(0), t1 = i64x2.splat(0), t2 = i64x2.splat(0), t3 = i64x2.splat(0);
  let p: usize = 0;
  for (; p + 16 < vectorBytes; p += 32) {
    let x = v128.load(a0 + p);
    s0 = madd<T>(x, v128.load(b0 + p), s0); s1 = madd<T>(x, v128.load(b1 + p), s1);
    s2 = madd<T>(x, v128.load(b2 + p), s2); s3 = madd<T>(x, v128.load(b3 + p), s3);
    x = v128.load(a0 + p, 16);
    t0 = madd<T>(x, v128.load(b0 + p, 16), t0); t1 = madd<T>(x, v128.load(b1 + p, 16), t1);
    t2 = madd<T>(x, v128.load(b2 + p, 16), t2); t3 = madd<T>(x, v128.load(b3 + p, 16), t3);
  }
  if (p < vectorBytes) {
    const x = v128.load(a0 + p);
    s0 = madd<T>(x, v128.load(b0 + p), s0); s1 = madd<T>(x, v128.load(b1 + p), s1);
    s2 = madd<T>(x, v128.load(b2 + p), s2); s3 = madd<T>(x, v128.load(b3 + p), s3);
    p += 16;
  }
  let d0 = laneSum<T>(sum<T>(s0, t0)), d1 = laneSum<T>(sum<T>(s1, t1)), d2 = laneSum<T>(sum<T>(s2, t2)), d3 = laneSum<T>(sum<T>(s3, t3));
  for (; p < endBytes; p += size) {
    const x = load<T>(a0 + p);
    d0 += x * load<T>(b0 + p); d1 += x * load<T>(b1 + p); d2 += x * load<T>(b2 + p); d3 += x * load<T>(b3 + p);
  }
  storeDot<T>(cTile, d0, alpha, beta); storeDot<T>(cTile + size, d1, alpha, beta);
  storeDot<T>(cTile + 2 * size, d2, alpha, beta); storeDot<T>(cTile + 3 * size, d3, alpha, beta);
}

// Row i of A against rows j..j+7 of Bᵀ: eight vector sums.
function dotRow8<T>(a0: usize, b0: usize, bRow: usize, k: i32, cTile: usize, alpha: T, beta: T): void {
  const size = <usize>sizeof<T>();
  const vectorBytes = vectorBytesOf<T>(k), endBytes = <usize>k * size;
  const b1 = b0 + bRow, b2 = b1 + bRow, b3 = b2 + bRow, b4 = b3 + bRow, b5 = b4 + bRow, b6 = b5 + bRow, b7 = b6 + bRow;
  let s0 = i64x2.splat(0), s1 = i64x2.splat(0), s2 = i64x2.splat(0), s3 = i64x2.splat(0);
  let s4 = i64x2.splat(0), s5 = i64x2.splat(0), s6 = i64x2.splat(0), s7 = i64x2.splat(0);
  let p: usize = 0;
  for (; p < vectorBytes; p += 16) {
    const x = v128.load(a0 + p);
    s0 = madd<T>(x, v128.load(b0 + p), s0); s1 = madd<T>(x, v128.load(b1 + p), s1);
    s2 = madd<T>(x, v128.load(b2 + p), s2); s3 = madd<T>(x, v128.load(b3 + p), s3);
    s4 = madd<T>(x, v128.load(b4 + p), s4); s5 = madd<T>(x, v128.load(b5 + p), s5);
    s6 = madd<T>(x, v128.load(b6 + p), s6); s7 = madd<T>(x, v128.load(b7 + p), s7);
  }
  let d0 = laneSum<T>(s0), d1 = laneSum<T>(s1), d2 = laneSum<T>(s2), d3 = laneSum<T>(s3);
  let d4 = laneSum<T>(s4), d5 = laneSum<T>(s5), d6 = laneSum<T>(s6), d7 = laneSum<T>(s7);
  for (; p < endBytes; p += size) {
    const x = load<T>(a0 + p);
    d0 += x * load<T>(b0 + p); d1 += x * load<T>(b1 + p); d2 += x * load<T>(b2 + p); d3 += x * load<T>(b3 + p);
    d4 += x * load<T>(b4 + p); d5 += x * load<T>(b5 + p); d6 += x * load<T>(b6 + p); d7 += x * load<T>(b7 + p);
  }
  storeDot<T>(cTile, d0, alpha, beta); storeDot<T>(cTile + size, d1, alpha, beta);
  storeDot<T>(cTile + 2 * size, d2, alpha, beta); storeDot<T>(cTile + 3 * size, d3, alpha, beta);
  storeDot<T>(cTile + 4 * size, d4, alpha, beta); storeDot<T>(cTile + 5 * size, d5, alpha, beta);
  storeDot<T>(cTile + 6 * size, d6, alpha, beta); storeDot<T>(cTile + 7 * size, d7, alpha, beta);
}
