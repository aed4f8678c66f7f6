// 2-D convolution, scipy.signal.convolve2d semantics, over shared memory.
//
// The caller (src/kernels/conv2d.ts) flips the filter 180° beforehand, so this
// kernel computes a correlation: with g the flipped filter (kh × kw) and
// (y0, x0) = (originRow + i·strideRow − (kh−1), originCol + j·strideCol − (kw−1)),
//
//     out[i, j] = Σ_{p<kh, q<kw} g[p, q] · image~[y0 + p, x0 + q]
//
// where image~ extends the image past its edges as `boundary` says:
// FILL (fillValue), WRAP (circular) or SYMM (mirror with the edge sample
// repeated: x[-1] = x[0]). originRow/Col pick the mode ('full': 0, 'same':
// (k−1)/2, 'valid': k−1) and the strides pick every k-th output, so that
// out equals full[origin::stride] exactly, without computing the rest.
//
// Phases per output row: rows whose window lies inside the image take the
// interior path for the columns whose window does too (no boundary logic;
// SIMD across 8 outputs for stride 1, SIMD along the filter row otherwise);
// everything else takes the edge path (scalar, boundary-aware).
// Rows [rowBegin, rowEnd) only: the pool splits one image into row bands.

import { checkRange, fail, E_BAD_DIMENSION } from "./guard";

export const BOUNDARY_FILL: i32 = 0;
export const BOUNDARY_WRAP: i32 = 1;
export const BOUNDARY_SYMM: i32 = 2;

/** Maps an index outside [0, n) into it, for WRAP and SYMM. */
@inline
function extendIndex(index: i32, n: i32, boundary: i32): i32 {
  if (boundary == BOUNDARY_WRAP) {
    const m = index % n;
    return m < 0 ? m + n : m;
  }
  // SYMM: period 2n, the second half mirrored (x[-1] = x[0], x[n] = x[n-1]).
  const period = n << 1;
  let m = index % period;
  if (m < 0) m += period;
  return m < n ? m : period - 1 - m;
}

/** One output by the edge path: every sample goes through the boundary rule. */
@inline
function edgeSample<T>(
  image: usize, rows: i32, cols: i32, g: usize, kh: i32, kw: i32,
  y0: i32, x0: i32, boundary: i32, fillValue: T,
): T {
  let acc: T = <T>0;
  for (let p = 0; p < kh; p++) {
    let y = y0 + p;
    let rowOutside = y < 0 || y >= rows;
    if (rowOutside && boundary == BOUNDARY_FILL) {
      for (let q = 0; q < kw; q++) acc += load<T>(g + ((<usize>(p * kw + q)) * sizeof<T>())) * fillValue;
      continue;
    }
    if (rowOutside) y = extendIndex(y, rows, boundary);
    const rowPtr = image + <usize>y * <usize>cols * sizeof<T>();
    for (let q = 0; q < kw; q++) {
      let x = x0 + q;
      const weight = load<T>(g + ((<usize>(p * kw + q)) * sizeof<T>()));
      if (x < 0 || x >= cols) {
        if (boundary == BOUNDARY_FILL) {
          acc += weight * fillValue;
          continue;
        }
        x = extendIndex(x, cols, boundary);
      }
      acc += weight * load<T>(rowPtr + <usize>x * sizeof<T>());
    }
  }
  return acc;
}

/**
 * One output by the edge path for boundary 'fill', without a branch per tap:
 * the taps inside the image as a plain sum, those outside as a sum of
 * weight × fillValue (SciPy pads with fillValue: the same terms, added in
 * another order; a sum of the weights first, times fillValue, overflowed
 * where the terms do not: weights of 1e308 gave NaN with a fill of 0).
 */
@inline
function edgeSampleFill<T>(image: usize, rows: i32, cols: i32, g: usize, kh: i32, kw: i32, y0: i32, x0: i32, fillValue: T): T {
  const size = <usize>sizeof<T>();
  // Filter rows p in [pLo, pHi) and columns q in [qLo, qHi) fall inside the image (either may be empty).
  const pLo = y0 < 0 ? -y0 : 0;
  const pHi = rows - y0 < kh ? rows - y0 : kh;
  const qLo = x0 < 0 ? -x0 : 0;
  const qHi = cols - x0 < kw ? cols - x0 : kw;
  let inside: T = <T>0;
  let outside: T = <T>0;
  let weightPtr = g;
  for (let p = 0; p < kh; p++) {
    if (p < pLo || p >= pHi || qLo >= qHi) {
      for (let q = 0; q < kw; q++) outside += load<T>(weightPtr + <usize>q * size) * fillValue;
    } else {
      for (let q = 0; q < qLo; q++) outside += load<T>(weightPtr + <usize>q * size) * fillValue;
      let sample = image + (<usize>(y0 + p) * <usize>cols + <usize>(x0 + qLo)) * size;
      for (let q = qLo; q < qHi; q++) {
        inside += load<T>(weightPtr + <usize>q * size) * load<T>(sample);
        sample += size;
      }
      for (let q = qHi; q < kw; q++) outside += load<T>(weightPtr + <usize>q * size) * fillValue;
    }
    weightPtr += <usize>kw * size;
  }
  return inside + outside;
}

/** Checks sizes and ranges shared by both element types; returns nothing, traps on error. */
function checkArguments(
  image: usize, rows: i32, cols: i32, g: usize, kh: i32, kw: i32,
  out: usize, outRows: i32, outCols: i32, rowBegin: i32, rowEnd: i32,
  originRow: i32, originCol: i32, strideRow: i32, strideCol: i32, boundary: i32, elementBytes: u32,
): void {
  if (rows <= 0) fail(E_BAD_DIMENSION, 1, <f64>rows);
  if (cols <= 0) fail(E_BAD_DIMENSION, 2, <f64>cols);
  if (kh <= 0) fail(E_BAD_DIMENSION, 4, <f64>kh);
  if (kw <= 0) fail(E_BAD_DIMENSION, 5, <f64>kw);
  if (outRows < 0) fail(E_BAD_DIMENSION, 7, <f64>outRows);
  if (outCols < 0) fail(E_BAD_DIMENSION, 8, <f64>outCols);
  if (rowBegin < 0 || rowBegin > rowEnd) fail(E_BAD_DIMENSION, 9, <f64>rowBegin);
  if (rowEnd > outRows) fail(E_BAD_DIMENSION, 10, <f64>rowEnd);
  if (strideRow <= 0) fail(E_BAD_DIMENSION, 13, <f64>strideRow);
  if (strideCol <= 0) fail(E_BAD_DIMENSION, 14, <f64>strideCol);
  if (boundary < 0 || boundary > 2) fail(E_BAD_DIMENSION, 15, <f64>boundary);
  // Every mode's origin lies within the filter ('full' 0, 'same' the centre, 'valid' the last tap).
  if (originRow < 0 || originRow >= kh) fail(E_BAD_DIMENSION, 11, <f64>originRow);
  if (originCol < 0 || originCol >= kw) fail(E_BAD_DIMENSION, 12, <f64>originCol);
  // Products in 64 bits, before any 32-bit one is used: a wrapped size or position would pass the range
  // checks below and address memory outside the arrays.
  if (<i64>rows * <i64>cols > 0x7fffffff) fail(E_BAD_DIMENSION, 1, <f64>rows);
  if (<i64>kh * <i64>kw > 0x7fffffff) fail(E_BAD_DIMENSION, 4, <f64>kh);
  if (<i64>outRows * <i64>outCols > 0x7fffffff) fail(E_BAD_DIMENSION, 7, <f64>outRows);
  // The last output's window end (origin + (n − 1)·stride + k) must be a 32-bit position, as the loops compute it.
  if (outRows > 0 && <i64>originRow + <i64>(outRows - 1) * <i64>strideRow + <i64>kh > 0x7fffffff) fail(E_BAD_DIMENSION, 13, <f64>strideRow);
  if (outCols > 0 && <i64>originCol + <i64>(outCols - 1) * <i64>strideCol + <i64>kw > 0x7fffffff) fail(E_BAD_DIMENSION, 14, <f64>strideCol);
  checkRange(image, rows * cols, elementBytes, 0);
  checkRange(g, kh * kw, elementBytes, 3);
  checkRange(out, outRows * outCols, elementBytes, 6);
}

/** float64 convolution; see the file comment for the arguments. */
export function conv2d_f64(
  image: usize, rows: i32, cols: i32,
  g: usize, kh: i32, kw: i32,
  out: usize, outRows: i32, outCols: i32,
  rowBegin: i32, rowEnd: i32,
  originRow: i32, originCol: i32, strideRow: i32, strideCol: i32,
  boundary: i32, fillValue: f64,
): void {
  checkArguments(image, rows, cols, g, kh, kw, out, outRows, outCols, rowBegin, rowEnd, originRow, originCol, strideRow, strideCol, boundary, 8);
  convolve<f64>(image, rows, cols, g, kh, kw, out, outRows, outCols, rowBegin, rowEnd, originRow, originCol, strideRow, strideCol, boundary, fillValue);
}

/** float32 convolution; the same arguments as conv2d_f64 with float32 arrays. */
export function conv2d_f32(
  image: usize, rows: i32, cols: i32,
  g: usize, kh: i32, kw: i32,
  out: usize, outRows: i32, outCols: i32,
  rowBegin: i32, rowEnd: i32,
  originRow: i32, originCol: i32, strideRow: i32, strideCol: i32,
  boundary: i32, fillValue: f64,
): void {
  checkArguments(image, rows, cols, g, kh, kw, out, outRows, outCols, rowBegin, rowEnd, originRow, originCol, strideRow, strideCol, boundary, 4);
  convolve<f32>(image, rows, cols, g, kh, kw, out, outRows, outCols, rowBegin, rowEnd, originRow, originCol, strideRow, strideCol, boundary, <f32>fillValue);
}

// The row loop shared by both element types: edge path, interior path, edge path.
@inline
function convolve<T>(
  image: usize, rows: i32, cols: i32,
  g: usize, kh: i32, kw: i32,
  out: usize, outRows: i32, outCols: i32,
  rowBegin: i32, rowEnd: i32,
  originRow: i32, originCol: i32, strideRow: i32, strideCol: i32,
  boundary: i32, fillValue: T,
): void {
  const size = <usize>sizeof<T>();
  // Columns j whose window [x0, x0 + kw) lies inside the image: x0 = originCol + j·strideCol − (kw − 1).
  const shift = originCol - (kw - 1);
  let jFirst = shift >= 0 ? 0 : (-shift + strideCol - 1) / strideCol;
  let jEnd = cols - kw - shift < 0 ? 0 : (cols - kw - shift) / strideCol + 1; // last j with x0 + kw <= cols, plus one
  if (jEnd > outCols) jEnd = outCols;
  if (jFirst > jEnd) jFirst = jEnd;

  for (let i = rowBegin; i < rowEnd; i++) {
    const y0 = originRow + i * strideRow - (kh - 1);
    const outRow = out + <usize>i * <usize>outCols * size;
    const rowInside = y0 >= 0 && y0 + kh <= rows;
    const interiorBegin = rowInside ? jFirst : outCols;
    const interiorEnd = rowInside ? jEnd : outCols;
    // The interior first: its streams bring the rows' first and last bytes into the cache, where the
    // edge columns after it find them (edges first began each row with cold misses: with a stride, a
    // quarter of the seed workload's time).
    if (interiorBegin < interiorEnd) {
      const top = image + <usize>y0 * <usize>cols * size;
      if (sizeof<T>() == 8) {
        if (strideCol == 1) interiorRowF64(top, cols, g, kh, kw, outRow, shift, interiorBegin, interiorEnd);
        else stridedRowF64(top, cols, g, kh, kw, outRow, shift, strideCol, interiorBegin, interiorEnd);
      } else {
        if (strideCol == 1) interiorRowF32(top, cols, g, kh, kw, outRow, shift, interiorBegin, interiorEnd);
        else stridedRowF32(top, cols, g, kh, kw, outRow, shift, strideCol, interiorBegin, interiorEnd);
      }
    }
    // Edge path: the columns before and after the interior (the whole row if it is not inside).
    if (boundary == BOUNDARY_FILL) {
      for (let j = 0; j < interiorBegin; j++) store<T>(outRow + <usize>j * size, edgeSampleFill<T>(image, rows, cols, g, kh, kw, y0, shift + j * strideCol, fillValue));
      for (let j = max(interiorEnd, interiorBegin); j < outCols; j++) store<T>(outRow + <usize>j * size, edgeSampleFill<T>(image, rows, cols, g, kh, kw, y0, shift + j * strideCol, fillValue));
    } else {
      for (let j = 0; j < interiorBegin; j++) store<T>(outRow + <usize>j * size, edgeSample<T>(image, rows, cols, g, kh, kw, y0, shift + j * strideCol, boundary, fillValue));
      for (let j = max(interiorEnd, interiorBegin); j < outCols; j++) store<T>(outRow + <usize>j * size, edgeSample<T>(image, rows, cols, g, kh, kw, y0, shift + j * strideCol, boundary, fillValue));
    }
  }
}

// The interior paths come twice, for f64x2 and f32x4: the lane type changes every SIMD instruction, and
// AssemblyScript generics cannot abstract over v128 lane operations without a call per operation.

// Stride 1: twelve outputs at a time in six f64x2 accumulators (then eight,
// two, one); each filter weight is splatted once per block and multiplied into
// unaligned loads of the image row. Twelve is the most that stays in
// registers: V8 issues an iteration's loads before its arithmetic, so six
// accumulators, six loads and the weight are live together. Sixteen outputs
// spilled two vectors per tap (1000² full, one thread: 4×4 3.2 ms against
// 2.25 with twelve; 16×16 43 against 42). Sharing loads between neighbouring
// taps through shuffles needs more registers still and measured slower.
function interiorRowF64(top: usize, cols: i32, g: usize, kh: i32, kw: i32, outRow: usize, shift: i32, jBegin: i32, jEnd: i32): void {
  const rowBytes = <usize>cols << 3;
  let j = jBegin;
  for (; j + 12 <= jEnd; j += 12) {
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
    let a4 = f64x2.splat(0), a5 = f64x2.splat(0);
    let rowPtr = top + (<usize>(shift + j) << 3);
    let weightPtr = g;
    for (let p = 0; p < kh; p++) {
      let src = rowPtr;
      for (let q = 0; q < kw; q++) {
        const w = f64x2.splat(load<f64>(weightPtr));
        a0 = f64x2.add(a0, f64x2.mul(w, v128.load(src)));
        a1 = f64x2.add(a1, f64x2.mul(w, v128.load(src, 16)));
        a2 = f64x2.add(a2, f64x2.mul(w, v128.load(src, 32)));
        a3 = f64x2.add(a3, f64x2.mul(w, v128.load(src, 48)));
        a4 = f64x2.add(a4, f64x2.mul(w, v128.load(src, 64)));
        a5 = f64x2.add(a5, f64x2.mul(w, v128.load(src, 80)));
        src += 8;
        weightPtr += 8;
      }
      rowPtr += rowBytes;
    }
    const dst = outRow + (<usize>j << 3);
    v128.store(dst, a0);
    v128.store(dst, a1, 16);
    v128.store(dst, a2, 32);
    v128.store(dst, a3, 48);
    v128.store(dst, a4, 64);
    v128.store(dst, a5, 80);
  }
  for (; j + 8 <= jEnd; j += 8) {
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
    let rowPtr = top + (<usize>(shift + j) << 3);
    let weightPtr = g;
    for (let p = 0; p < kh; p++) {
      let src = rowPtr;
      for (let q = 0; q < kw; q++) {
        const w = f64x2.splat(load<f64>(weightPtr));
        a0 = f64x2.add(a0, f64x2.mul(w, v128.load(src)));
        a1 = f64x2.add(a1, f64x2.mul(w, v128.load(src, 16)));
        a2 = f64x2.add(a2, f64x2.mul(w, v128.load(src, 32)));
        a3 = f64x2.add(a3, f64x2.mul(w, v128.load(src, 48)));
        src += 8;
        weightPtr += 8;
      }
      rowPtr += rowBytes;
    }
    const dst = outRow + (<usize>j << 3);
    v128.store(dst, a0);
    v128.store(dst, a1, 16);
    v128.store(dst, a2, 32);
    v128.store(dst, a3, 48);
  }
  for (; j + 2 <= jEnd; j += 2) {
    let a = f64x2.splat(0);
    let rowPtr = top + (<usize>(shift + j) << 3);
    let weightPtr = g;
    for (let p = 0; p < kh; p++) {
      for (let q = 0; q < kw; q++) {
        a = f64x2.add(a, f64x2.mul(f64x2.splat(load<f64>(weightPtr)), v128.load(rowPtr + (<usize>q << 3))));
        weightPtr += 8;
      }
      rowPtr += rowBytes;
    }
    v128.store(outRow + (<usize>j << 3), a);
  }
  for (; j < jEnd; j++) store<f64>(outRow + (<usize>j << 3), windowDotF64(top + (<usize>(shift + j) << 3), rowBytes, g, kh, kw));
}

// Stride > 1: SIMD along each filter row, four outputs per step in four
// accumulators that share each weight load (one output's sum is a chain of
// dependent adds: one at a time ran at the adder's latency, not its
// throughput), one pass per filter row (below).
function stridedRowF64(top: usize, cols: i32, g: usize, kh: i32, kw: i32, outRow: usize, shift: i32, strideCol: i32, jBegin: i32, jEnd: i32): void {
  const rowBytes = <usize>cols << 3;
  const step = <usize>strideCol << 3;
  const pairs = kw & ~1;
  let j = jBegin;
  if (kh == 4 && kw == 4) j = strided4x4F64(top, rowBytes, g, outRow, shift, strideCol, step, j, jEnd);
  // Then a pass per filter row over the output row's steps, adding into the outputs: each pass reads one
  // image row front to back, a stream the CPU's prefetcher follows (a step reading every filter row in
  // turn made the same load instructions jump between rows, and out of cache that cost ~40%).
  const steps = (jEnd - j) >> 2;
  if (steps > 0) {
    let rowSrc = top + (<usize>(shift + j * strideCol) << 3);
    let weightPtr = g;
    for (let p = 0; p < kh; p++) {
      let src = rowSrc;
      let dst = outRow + (<usize>j << 3);
      for (let n = 0; n < steps; n++) {
        let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
        let t0: f64 = 0, t1: f64 = 0, t2: f64 = 0, t3: f64 = 0;
        let q = 0;
        for (; q < pairs; q += 2) {
          const w = v128.load(weightPtr + (<usize>q << 3));
          const at = src + (<usize>q << 3);
          a0 = f64x2.add(a0, f64x2.mul(w, v128.load(at)));
          a1 = f64x2.add(a1, f64x2.mul(w, v128.load(at + step)));
          a2 = f64x2.add(a2, f64x2.mul(w, v128.load(at + 2 * step)));
          a3 = f64x2.add(a3, f64x2.mul(w, v128.load(at + 3 * step)));
        }
        for (; q < kw; q++) {
          const w = load<f64>(weightPtr + (<usize>q << 3));
          const at = src + (<usize>q << 3);
          t0 += w * load<f64>(at);
          t1 += w * load<f64>(at + step);
          t2 += w * load<f64>(at + 2 * step);
          t3 += w * load<f64>(at + 3 * step);
        }
        const s0 = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1) + t0;
        const s1 = f64x2.extract_lane(a1, 0) + f64x2.extract_lane(a1, 1) + t1;
        const s2 = f64x2.extract_lane(a2, 0) + f64x2.extract_lane(a2, 1) + t2;
        const s3 = f64x2.extract_lane(a3, 0) + f64x2.extract_lane(a3, 1) + t3;
        if (p == 0) {
          store<f64>(dst, s0);
          store<f64>(dst, s1, 8);
          store<f64>(dst, s2, 16);
          store<f64>(dst, s3, 24);
        } else {
          store<f64>(dst, load<f64>(dst) + s0);
          store<f64>(dst, load<f64>(dst, 8) + s1, 8);
          store<f64>(dst, load<f64>(dst, 16) + s2, 16);
          store<f64>(dst, load<f64>(dst, 24) + s3, 24);
        }
        src += step << 2;
        dst += 32;
      }
      weightPtr += <usize>kw << 3;
      rowSrc += rowBytes;
    }
    j += steps << 2;
  }
  for (; j < jEnd; j++) {
    store<f64>(outRow + (<usize>j << 3), windowDotF64(top + (<usize>(shift + j * strideCol) << 3), rowBytes, g, kh, kw));
  }
}

// 4 × 4 filters (the seed workload's), rows unrolled: each row's loads are their own instructions, so the
// CPU's per-instruction stride prefetcher sees steady streams instead of one load jumping between rows.
// With a stride the kernel reads far more bytes per output than it computes, and out of cache this is
// what counts: the seed map (33 images, stride 5) on one worker 20-21 → 12-13 ms, in cache 7.4-8.8 → 6.2-6.7
// (A/B, one session). Two outputs per step (16 weights stay in 8 registers). Returns where it stopped.
function strided4x4F64(top: usize, rowBytes: usize, g: usize, outRow: usize, shift: i32, strideCol: i32, step: usize, jBegin: i32, jEnd: i32): i32 {
  const w00 = v128.load(g), w01 = v128.load(g, 16);
  const w10 = v128.load(g, 32), w11 = v128.load(g, 48);
  const w20 = v128.load(g, 64), w21 = v128.load(g, 80);
  const w30 = v128.load(g, 96), w31 = v128.load(g, 112);
  let j = jBegin;
  let src = top + (<usize>(shift + j * strideCol) << 3);
  const r1 = rowBytes, r2 = rowBytes * 2, r3 = rowBytes * 3;
  for (; j + 2 <= jEnd; j += 2) {
    let a = f64x2.mul(w00, v128.load(src));
    let b = f64x2.mul(w00, v128.load(src + step));
    a = f64x2.add(a, f64x2.mul(w01, v128.load(src, 16)));
    b = f64x2.add(b, f64x2.mul(w01, v128.load(src + step, 16)));
    a = f64x2.add(a, f64x2.mul(w10, v128.load(src + r1)));
    b = f64x2.add(b, f64x2.mul(w10, v128.load(src + r1 + step)));
    a = f64x2.add(a, f64x2.mul(w11, v128.load(src + r1, 16)));
    b = f64x2.add(b, f64x2.mul(w11, v128.load(src + r1 + step, 16)));
    a = f64x2.add(a, f64x2.mul(w20, v128.load(src + r2)));
    b = f64x2.add(b, f64x2.mul(w20, v128.load(src + r2 + step)));
    a = f64x2.add(a, f64x2.mul(w21, v128.load(src + r2, 16)));
    b = f64x2.add(b, f64x2.mul(w21, v128.load(src + r2 + step, 16)));
    a = f64x2.add(a, f64x2.mul(w30, v128.load(src + r3)));
    b = f64x2.add(b, f64x2.mul(w30, v128.load(src + r3 + step)));
    a = f64x2.add(a, f64x2.mul(w31, v128.load(src + r3, 16)));
    b = f64x2.add(b, f64x2.mul(w31, v128.load(src + r3 + step, 16)));
    const dst = outRow + (<usize>j << 3);
    store<f64>(dst, f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1));
    store<f64>(dst, f64x2.extract_lane(b, 0) + f64x2.extract_lane(b, 1), 8);
    src += step * 2;
  }
  return j;
}

/** Σ g[p, q] · window[p, q] for a window wholly inside the image, starting at `src`. */
@inline
function windowDotF64(src: usize, rowBytes: usize, g: usize, kh: i32, kw: i32): f64 {
  let acc = f64x2.splat(0);
  let tail: f64 = 0;
  const pairs = kw & ~1;
  let weightPtr = g;
  for (let p = 0; p < kh; p++) {
    let q = 0;
    for (; q < pairs; q += 2) acc = f64x2.add(acc, f64x2.mul(v128.load(weightPtr + (<usize>q << 3)), v128.load(src + (<usize>q << 3))));
    for (; q < kw; q++) tail += load<f64>(weightPtr + (<usize>q << 3)) * load<f64>(src + (<usize>q << 3));
    weightPtr += <usize>kw << 3;
    src += rowBytes;
  }
  return f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1) + tail;
}

// Stride 1: sixteen outputs at a time in four f32x4 accumulators (six, for
// 24 outputs, measured no faster).
function interiorRowF32(top: usize, cols: i32, g: usize, kh: i32, kw: i32, outRow: usize, shift: i32, jBegin: i32, jEnd: i32): void {
  const rowBytes = <usize>cols << 2;
  let j = jBegin;
  for (; j + 16 <= jEnd; j += 16) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let rowPtr = top + (<usize>(shift + j) << 2);
    let weightPtr = g;
    for (let p = 0; p < kh; p++) {
      let src = rowPtr;
      for (let q = 0; q < kw; q++) {
        const w = f32x4.splat(load<f32>(weightPtr));
        a0 = f32x4.add(a0, f32x4.mul(w, v128.load(src)));
        a1 = f32x4.add(a1, f32x4.mul(w, v128.load(src, 16)));
        a2 = f32x4.add(a2, f32x4.mul(w, v128.load(src, 32)));
        a3 = f32x4.add(a3, f32x4.mul(w, v128.load(src, 48)));
        src += 4;
        weightPtr += 4;
      }
      rowPtr += rowBytes;
    }
    const dst = outRow + (<usize>j << 2);
    v128.store(dst, a0);
    v128.store(dst, a1, 16);
    v128.store(dst, a2, 32);
    v128.store(dst, a3, 48);
  }
  for (; j + 4 <= jEnd; j += 4) {
    let a = f32x4.splat(0);
    let rowPtr = top + (<usize>(shift + j) << 2);
    let weightPtr = g;
    for (let p = 0; p < kh; p++) {
      for (let q = 0; q < kw; q++) {
        a = f32x4.add(a, f32x4.mul(f32x4.splat(load<f32>(weightPtr)), v128.load(rowPtr + (<usize>q << 2))));
        weightPtr += 4;
      }
      rowPtr += rowBytes;
    }
    v128.store(outRow + (<usize>j << 2), a);
  }
  for (; j < jEnd; j++) store<f32>(outRow + (<usize>j << 2), windowDotF32(top + (<usize>(shift + j) << 2), rowBytes, g, kh, kw));
}

// Four outputs per step, as stridedRowF64.
function stridedRowF32(top: usize, cols: i32, g: usize, kh: i32, kw: i32, outRow: usize, shift: i32, strideCol: i32, jBegin: i32, jEnd: i32): void {
  const rowBytes = <usize>cols << 2;
  const step = <usize>strideCol << 2;
  const quads = kw & ~3;
  let j = jBegin;
  if (kh == 4 && kw == 4) j = strided4x4F32(top, rowBytes, g, outRow, shift, strideCol, step, j, jEnd);
  // A pass per filter row, as stridedRowF64.
  const steps = (jEnd - j) >> 2;
  if (steps > 0) {
    let rowSrc = top + (<usize>(shift + j * strideCol) << 2);
    let weightPtr = g;
    for (let p = 0; p < kh; p++) {
      let src = rowSrc;
      let dst = outRow + (<usize>j << 2);
      for (let n = 0; n < steps; n++) {
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
        let t0: f32 = 0, t1: f32 = 0, t2: f32 = 0, t3: f32 = 0;
        let q = 0;
        for (; q < quads; q += 4) {
          const w = v128.load(weightPtr + (<usize>q << 2));
          const at = src + (<usize>q << 2);
          a0 = f32x4.add(a0, f32x4.mul(w, v128.load(at)));
          a1 = f32x4.add(a1, f32x4.mul(w, v128.load(at + step)));
          a2 = f32x4.add(a2, f32x4.mul(w, v128.load(at + 2 * step)));
          a3 = f32x4.add(a3, f32x4.mul(w, v128.load(at + 3 * step)));
        }
        for (; q < kw; q++) {
          const w = load<f32>(weightPtr + (<usize>q << 2));
          const at = src + (<usize>q << 2);
          t0 += w * load<f32>(at);
          t1 += w * load<f32>(at + step);
          t2 += w * load<f32>(at + 2 * step);
          t3 += w * load<f32>(at + 3 * step);
        }
        const s0 = horizontalSum32(a0) + t0;
        const s1 = horizontalSum32(a1) + t1;
        const s2 = horizontalSum32(a2) + t2;
        const s3 = horizontalSum32(a3) + t3;
        if (p == 0) {
          store<f32>(dst, s0);
          store<f32>(dst, s1, 4);
          store<f32>(dst, s2, 8);
          store<f32>(dst, s3, 12);
        } else {
          store<f32>(dst, load<f32>(dst) + s0);
          store<f32>(dst, load<f32>(dst, 4) + s1, 4);
          store<f32>(dst, load<f32>(dst, 8) + s2, 8);
          store<f32>(dst, load<f32>(dst, 12) + s3, 12);
        }
        src += step << 2;
        dst += 16;
      }
      weightPtr += <usize>kw << 2;
      rowSrc += rowBytes;
    }
    j += steps << 2;
  }
  for (; j < jEnd; j++) {
    store<f32>(outRow + (<usize>j << 2), windowDotF32(top + (<usize>(shift + j * strideCol) << 2), rowBytes, g, kh, kw));
  }
}

// 4 × 4 filters, rows unrolled, as strided4x4F64: a filter row is one f32x4; four outputs per step.
function strided4x4F32(top: usize, rowBytes: usize, g: usize, outRow: usize, shift: i32, strideCol: i32, step: usize, jBegin: i32, jEnd: i32): i32 {
  const w0 = v128.load(g), w1 = v128.load(g, 16), w2 = v128.load(g, 32), w3 = v128.load(g, 48);
  let j = jBegin;
  let src = top + (<usize>(shift + j * strideCol) << 2);
  const r1 = rowBytes, r2 = rowBytes * 2, r3 = rowBytes * 3;
  const s2 = step * 2, s3 = step * 3;
  for (; j + 4 <= jEnd; j += 4) {
    let a = f32x4.mul(w0, v128.load(src));
    let b = f32x4.mul(w0, v128.load(src + step));
    let c = f32x4.mul(w0, v128.load(src + s2));
    let d = f32x4.mul(w0, v128.load(src + s3));
    a = f32x4.add(a, f32x4.mul(w1, v128.load(src + r1)));
    b = f32x4.add(b, f32x4.mul(w1, v128.load(src + r1 + step)));
    c = f32x4.add(c, f32x4.mul(w1, v128.load(src + r1 + s2)));
    d = f32x4.add(d, f32x4.mul(w1, v128.load(src + r1 + s3)));
    a = f32x4.add(a, f32x4.mul(w2, v128.load(src + r2)));
    b = f32x4.add(b, f32x4.mul(w2, v128.load(src + r2 + step)));
    c = f32x4.add(c, f32x4.mul(w2, v128.load(src + r2 + s2)));
    d = f32x4.add(d, f32x4.mul(w2, v128.load(src + r2 + s3)));
    a = f32x4.add(a, f32x4.mul(w3, v128.load(src + r3)));
    b = f32x4.add(b, f32x4.mul(w3, v128.load(src + r3 + step)));
    c = f32x4.add(c, f32x4.mul(w3, v128.load(src + r3 + s2)));
    d = f32x4.add(d, f32x4.mul(w3, v128.load(src + r3 + s3)));
    const dst = outRow + (<usize>j << 2);
    store<f32>(dst, horizontalSum32(a));
    store<f32>(dst, horizontalSum32(b), 4);
    store<f32>(dst, horizontalSum32(c), 8);
    store<f32>(dst, horizontalSum32(d), 12);
    src += step * 4;
  }
  return j;
}

@inline
function windowDotF32(src: usize, rowBytes: usize, g: usize, kh: i32, kw: i32): f32 {
  let acc = f32x4.splat(0);
  let tail: f32 = 0;
  const quads = kw & ~3;
  let weightPtr = g;
  for (let p = 0; p < kh; p++) {
    let q = 0;
    for (; q < quads; q += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(weightPtr + (<usize>q << 2)), v128.load(src + (<usize>q << 2))));
    for (; q < kw; q++) tail += load<f32>(weightPtr + (<usize>q << 2)) * load<f32>(src + (<usize>q << 2));
    weightPtr += <usize>kw << 2;
    src += rowBytes;
  }
  return horizontalSum32(acc) + tail;
}

@inline
function horizontalSum32(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}
