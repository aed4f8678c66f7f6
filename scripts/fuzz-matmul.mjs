// Long fuzz runs of the matmul kernels, on demand (the test suite runs a few hundred shapes per build).
//   node --experimental-wasm-relaxed-simd scripts/fuzz-matmul.mjs [--cases 5000] [--seed 1]
//        [--build both|relaxed|baseline] [--shapes mixed|wide|groups|dot|narrow]
// Calls matmul_f32 / matmul_f64 of build/wasm directly, on random shapes, transposes, padded strides
// (lda, ldb, ldc), alpha, beta and tiles of C, and checks three things of every call:
// - reads stay inside A, B and C: one of them ends exactly where the memory ends (a read past it traps),
//   and everything around them, their rows' padding included, is NaN (a stray read shows in C);
// - writes stay inside C's tile: all memory but the tile and the scratch is compared before and after;
// - the tile equals the definition (float64 sums), beta = 0 never reading C (C NaN half of those times).
// `--shapes` steers the kernel paths (assembly/kernels/matmul.ts): `wide` few rows over many columns
// (B streamed in several passes), `groups` 5-64 rows over several column passes and k blocks (B streamed
// by groups of four rows), `dot` B transposed with up to 66 rows and long k (dot products in k
// blocks; A's rows gathered when A is transposed too), `narrow` many rows times a few columns (A read
// in place); `mixed` all of them and more.
// Prints each failing case as JSON (replay it with --case '<json>') and exits 1 if any failed.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '5000' },
    seed: { type: 'string', default: '1' },
    build: { type: 'string', default: 'both' },
    shapes: { type: 'string', default: 'mixed' },
    case: { type: 'string' },
  },
});
const BUILDS = { relaxed: 'kernels-relaxed.wasm', baseline: 'kernels.wasm' };
const builds = values.build === 'both' ? Object.keys(BUILDS) : [values.build];
for (const build of builds) if (!BUILDS[build]) throw new Error(`--build must be both, relaxed or baseline; got ${build}`);
if (!['mixed', 'wide', 'groups', 'dot', 'narrow'].includes(values.shapes)) throw new Error(`--shapes must be mixed, wide, groups, dot or narrow; got ${values.shapes}`);

const PAGES = 256; // 16 MiB, all of it the fuzzer's: large enough for the largest shapes below
const MEMORY_BYTES = PAGES * 65536;
const TOO_LARGE = 'too large for the fuzzer memory';

let state = Number(values.seed) >>> 0 || 1;
const random = () => {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 2 ** 32;
};
const integer = (low, high) => low + Math.floor(random() * (high - low + 1));
const pick = (choices) => choices[integer(0, choices.length - 1)];

function randomCase() {
  const float32 = random() < 0.5;
  let transA = random() < 0.5;
  let transB = random() < 0.5;
  let m, n, k;
  const kind = values.shapes === 'mixed' ? pick(['small', 'small', 'wide', 'groups', 'dot', 'narrow', 'tall-k']) : values.shapes;
  if (kind === 'small') [m, n, k] = [integer(1, 20), integer(1, 40), integer(1, 40)];
  else if (kind === 'tall-k') [m, n, k] = [integer(1, 70), integer(1, 20), integer(1, 2500)];
  else if (kind === 'wide') [m, n, k, transB] = [integer(1, 6), integer(1000, 5000), integer(1, 12), false];
  else if (kind === 'groups') [m, n, k, transB] = [integer(5, 64), integer(300, 2100), integer(60, 320), false];
  // k up to 5,000: 16 float32 rows gathered (A transposed too) take k blocks of 4,096.
  else if (kind === 'dot') [m, n, k, transB] = [integer(1, 66), integer(1, 24), integer(200, 5000), true];
  else [m, n, k] = [integer(17, 200), integer(1, 70), integer(1, 700)];
  const lda = (transA ? m : k) + pick([0, 0, 1, 3, 5]);
  const ldb = (transB ? k : n) + pick([0, 0, 1, 3, 5]);
  const ldc = n + pick([0, 0, 1, 3]);
  let rowBegin = integer(0, m), rowEnd = integer(rowBegin, m);
  let colBegin = integer(0, n), colEnd = integer(colBegin, n);
  if (random() < 0.4) [rowBegin, rowEnd] = [0, m];
  if (random() < 0.4) [colBegin, colEnd] = [0, n];
  const alpha = pick([1, -0.5, 3, 0]);
  const beta = pick([0, 0, 1, -2, 0.5]);
  const nanC = beta === 0 && random() < 0.5;
  const atEnd = pick(['a', 'b', 'c']); // the array that ends where the memory ends
  return { float32, m, n, k, transA, transB, lda, ldb, ldc, alpha, beta, nanC, rowBegin, rowEnd, colBegin, colEnd, atEnd, seed: integer(1, 2 ** 30) };
}

function instantiate(build) {
  const memory = new WebAssembly.Memory({ initial: PAGES, maximum: PAGES, shared: true });
  let kernelError = null;
  const module = new WebAssembly.Module(readFileSync(new URL(`../build/wasm/${BUILDS[build]}`, import.meta.url)));
  const { exports } = new WebAssembly.Instance(module, { env: { memory }, wyvern: { kernelError: (...args) => (kernelError = args) } });
  return { memory, exports, takeError: () => [kernelError, (kernelError = null)][0] };
}

/** Runs one case; returns null when it holds, else what went wrong. */
function check({ memory, exports, takeError }, c) {
  const size = c.float32 ? 4 : 8;
  const Kind = c.float32 ? Float32Array : Float64Array;
  const [aRows, aCols] = c.transA ? [c.k, c.m] : [c.m, c.k];
  const [bRows, bCols] = c.transB ? [c.n, c.k] : [c.k, c.n];
  const extent = { a: (aRows - 1) * c.lda + aCols, b: (bRows - 1) * c.ldb + bCols, c: (c.m - 1) * c.ldc + c.n };
  // Exactly the scratch its type asks for: a write past it lands in memory that is compared.
  const scratchBytes = c.float32 ? exports.matmulScratchBytes_f32() : exports.matmulScratchBytes_f64();
  // A, B, C and the scratch one after another from the heap's start, 64 bytes apart; the one named by
  // atEnd instead ends at the memory's end.
  const base = exports.heapStart();
  const at = {};
  let next = base;
  for (const name of ['a', 'b', 'c', 'scratch']) {
    if (name === c.atEnd) continue;
    at[name] = next;
    next += (name === 'scratch' ? scratchBytes : extent[name] * size) + 64;
  }
  at[c.atEnd] = MEMORY_BYTES - extent[c.atEnd] * size;
  if (next > at[c.atEnd]) return TOO_LARGE;

  let seed = c.seed;
  const value = () => Math.fround(((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5);
  const all = new Kind(memory.buffer, base, (MEMORY_BYTES - base) / size);
  all.fill(Number.NaN);
  const view = (name) => new Kind(memory.buffer, at[name], extent[name]);
  const [A, B, C] = [view('a'), view('b'), view('c')];
  for (let i = 0; i < aRows; i++) for (let j = 0; j < aCols; j++) A[i * c.lda + j] = value();
  for (let i = 0; i < bRows; i++) for (let j = 0; j < bCols; j++) B[i * c.ldb + j] = value();
  for (let i = 0; i < c.m; i++) for (let j = 0; j < c.n; j++) C[i * c.ldc + j] = c.nanC ? Number.NaN : value();
  const words = new Uint32Array(memory.buffer, base, (MEMORY_BYTES - base) / 4);
  const before = words.slice();
  const cBefore = C.slice();

  const multiply = c.float32 ? exports.matmul_f32 : exports.matmul_f64;
  try {
    multiply(at.a, at.b, at.c, c.m, c.n, c.k, c.lda, c.ldb, c.ldc, +c.transA, +c.transB, c.alpha, c.beta, c.rowBegin, c.rowEnd, c.colBegin, c.colEnd, at.scratch);
  } catch (error) {
    return `trapped (${error.message}; kernelError ${JSON.stringify(takeError())})`;
  }
  // Outside C and the scratch, not a bit changed.
  const skipped = [[at.c, at.c + extent.c * size], [at.scratch, at.scratch + scratchBytes]].sort((x, y) => x[0] - y[0]);
  let word = 0;
  for (const [from, to] of [...skipped.map(([from, to]) => [from, to]), [MEMORY_BYTES, MEMORY_BYTES]]) {
    for (const end = (from - base) / 4; word < end; word++) {
      if (words[word] !== before[word]) return `wrote outside C at byte ${base + word * 4}`;
    }
    word = Math.max(word, (to - base) / 4);
  }
  // In C: the tile equals the definition, the rest (rows' padding included) is unchanged.
  const tolerance = (c.float32 ? 2e-6 : 1e-14) * c.k;
  for (let offset = 0; offset < extent.c; offset++) {
    const [i, j] = [Math.floor(offset / c.ldc), offset % c.ldc];
    const got = C[offset];
    if (!(j < c.n && i >= c.rowBegin && i < c.rowEnd && j >= c.colBegin && j < c.colEnd)) {
      if (!Object.is(got, cBefore[offset])) return `wrote C(${i}, ${j}) outside the tile`;
      continue;
    }
    let sum = 0;
    for (let p = 0; p < c.k; p++) sum += (c.transA ? A[p * c.lda + i] : A[i * c.lda + p]) * (c.transB ? B[j * c.ldb + p] : B[p * c.ldb + j]);
    const expected = c.alpha * sum + (c.beta !== 0 ? c.beta * cBefore[offset] : 0);
    if (!(Math.abs(got - expected) <= tolerance * (1 + Math.abs(expected)))) return `C(${i}, ${j}) = ${got}, expected ${expected}`;
  }
  return null;
}

let failures = 0;
for (const build of builds) {
  const kernels = instantiate(build);
  const cases = values.case ? [JSON.parse(values.case)] : Array.from({ length: Number(values.cases) }, randomCase);
  let [failed, skipped] = [0, 0];
  const started = performance.now();
  for (const c of cases) {
    const problem = check(kernels, c);
    if (problem === TOO_LARGE) skipped++;
    else if (problem) {
      failed++;
      if (failed <= 10) console.log(`${build}: ${problem}\n  --case '${JSON.stringify(c)}'`);
    }
  }
  console.log(`${build}: ${cases.length - skipped} cases, ${failed} failed, ${skipped} too large skipped (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  failures += failed;
}
process.exitCode = failures ? 1 : 0;
