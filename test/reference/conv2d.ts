// A plain TypeScript scipy.signal.convolve2d, written from the definition
// (no flipping tricks, no fast paths): the reference the kernels are tested against.

export interface Matrix {
  rows: number;
  cols: number;
  data: ArrayLike<number>;
}

function padded(image: Matrix, r: number, c: number, boundary: string, fillvalue: number): number {
  const extend = (i: number, n: number): number => {
    if (boundary === 'wrap') return ((i % n) + n) % n;
    const period = 2 * n; // symm: ... x1 x0 | x0 x1 ... x(n-1) | x(n-1) ...
    const m = ((i % period) + period) % period;
    return m < n ? m : period - 1 - m;
  };
  if (r < 0 || r >= image.rows || c < 0 || c >= image.cols) {
    if (boundary === 'fill') return fillvalue;
    r = extend(r, image.rows);
    c = extend(c, image.cols);
  }
  return image.data[r * image.cols + c]!;
}

export function convolve2dReference(
  image: Matrix,
  filter: Matrix,
  { mode = 'full', boundary = 'fill', fillvalue = 0, stride = [1, 1] as [number, number] } = {},
): { rows: number; cols: number; data: number[] } {
  // SciPy's 'valid' with the second input the larger in both dimensions: the two swapped (convolution commutes).
  if (mode === 'valid' && filter.rows >= image.rows && filter.cols >= image.cols && (filter.rows > image.rows || filter.cols > image.cols)) {
    return convolve2dReference(filter, image, { mode, boundary, fillvalue, stride });
  }
  const fullRows = image.rows + filter.rows - 1;
  const fullCols = image.cols + filter.cols - 1;
  const full = (y: number, x: number): number => {
    let sum = 0;
    for (let p = 0; p < filter.rows; p++) {
      for (let q = 0; q < filter.cols; q++) sum += filter.data[p * filter.cols + q]! * padded(image, y - p, x - q, boundary, fillvalue);
    }
    return sum;
  };
  let [offsetRow, offsetCol, rows, cols] = [0, 0, fullRows, fullCols];
  if (mode === 'same') [offsetRow, offsetCol, rows, cols] = [(filter.rows - 1) >> 1, (filter.cols - 1) >> 1, image.rows, image.cols];
  if (mode === 'valid') [offsetRow, offsetCol, rows, cols] = [filter.rows - 1, filter.cols - 1, image.rows - filter.rows + 1, image.cols - filter.cols + 1];
  const out: number[] = [];
  const outRows = Math.ceil(rows / stride[0]);
  const outCols = Math.ceil(cols / stride[1]);
  for (let i = 0; i < outRows; i++) for (let j = 0; j < outCols; j++) out.push(full(offsetRow + i * stride[0], offsetCol + j * stride[1]));
  return { rows: outRows, cols: outCols, data: out };
}
