// The SciPy image-convolution workload of seed 002, on wyvern: a pool maps
// convolve2d(image, random 4 × 4 filter)[::5, ::5] over size × size float64
// images (mem / size² of them: 33 for the defaults). Images, filters and
// outputs live in the pool's shared memory, allocated once; each map is one
// conv2d task per image, computing only the kept (strided) outputs. Several
// worker counts can run interleaved (runSeedWorkloads), for fair ratios.
import { Pool, conv2d } from '../../build/dist/node.js';

/** A seeded normal generator (mulberry32 + Box–Muller), so runs are repeatable. */
export function normalRandom(seed) {
  let state = seed | 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) | 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return (((x ^ (x >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** Output (i, j) of convolve2d(image, filter)[::5, ::5], straight from the definition. */
export function referenceOutput(image, size, filter, i, j, stride = 5) {
  let sum = 0;
  for (let p = 0; p < 4; p++)
    for (let q = 0; q < 4; q++) {
      const y = i * stride - p;
      const x = j * stride - q;
      if (y >= 0 && y < size && x >= 0 && x < size) sum += filter[p][q] * image[y * size + x];
    }
  return sum;
}

/** The seed's `mem`: values (float64) in all the images together, 33 images of 1000 × 1000. */
export const SEED_MEM = 32 * 1024 * 1024;
/** A pool's memory holds at most 2 GiB − 64 KiB; the run asks for its arrays plus 64 MiB. */
const MAXIMUM_POOL_BYTES = 2 ** 31 - 2 ** 16;
const SPARE_BYTES = 64 * 2 ** 20;
/** Bytes of one image and its output, float64, as the pool allocates them (16-byte header, 16-byte steps). */
const blockBytes = (values) => Math.max(32, Math.ceil((values * 8) / 16) * 16 + 16);
const imageBytes = (size) => blockBytes(size * size) + blockBytes(Math.ceil((size + 3) / 5) ** 2);

/** Largest `size` for `mem`: at least one size × size image must fit in `mem` and in a pool's memory. */
export function maximumSeedSize(mem = SEED_MEM) {
  let size = Math.floor(Math.sqrt(Math.min(mem, (MAXIMUM_POOL_BYTES - SPARE_BYTES) / 8)));
  while (size > 0 && (size * size > mem || imageBytes(size) + SPARE_BYTES > MAXIMUM_POOL_BYTES)) size--;
  return size;
}

/** Largest `mem` for `size`: the images (mem / size² of them) and their outputs must fit in a pool's memory. */
export function maximumSeedMem(size = 1000) {
  const images = Math.floor((MAXIMUM_POOL_BYTES - SPARE_BYTES) / imageBytes(size));
  return (images + 1) * size * size - 1;
}

/**
 * A pool of `workers` with the seed's images, filters and outputs in its
 * memory: `map()` runs one map (a conv2d task per image) and returns its
 * seconds; `check()` compares sampled outputs with `referenceOutput`;
 * `close()` ends the pool. A RangeError if no image fits in `mem` or the
 * images do not fit in a pool (maximumSeedSize, maximumSeedMem).
 */
export async function prepareSeedRun({ workers, size = 1000, mem = SEED_MEM }) {
  if (!Number.isSafeInteger(mem) || mem < 1) throw new RangeError(`mem must be a positive integer; got ${mem}`);
  if (!Number.isSafeInteger(size) || size < 1 || size > maximumSeedSize(mem)) {
    throw new RangeError(`size must be an integer from 1 to ${maximumSeedSize(mem)} for mem ${mem} (at least one size × size image must fit); got ${size}`);
  }
  if (mem > maximumSeedMem(size)) throw new RangeError(`mem must be at most ${maximumSeedMem(size)} for size ${size} (the images must fit in a pool's memory); got ${mem}`);
  const nimages = Math.floor(mem / (size * size));
  const outSize = Math.ceil((size + 3) / 5);
  const bytes = nimages * imageBytes(size);
  const pool = new Pool({ workers, memory: { initialBytes: bytes + SPARE_BYTES, maximumBytes: Math.min(MAXIMUM_POOL_BYTES, bytes + 256 * 2 ** 20) } });
  try {
    await pool.ready;
  } catch (error) {
    await pool.terminate();
    throw error;
  }
  const random = normalRandom(2026);
  const images = Array.from({ length: nimages }, () => {
    const image = pool.allocMatrix(Float64Array, size, size);
    for (let k = 0; k < image.data.length; k++) image.data[k] = random();
    return image;
  });
  const filters = Array.from({ length: nimages }, () => Array.from({ length: 4 }, () => Array.from({ length: 4 }, random)));
  const outputs = images.map(() => pool.allocMatrix(Float64Array, outSize, outSize));
  return {
    workers,
    nimages,
    async map() {
      const start = performance.now();
      await Promise.all(images.map((image, k) => conv2d(image, filters[k], { pool, stride: 5, out: outputs[k], bands: 1 })));
      return (performance.now() - start) / 1000;
    },
    check() {
      // Every output of the first and last image, and a diagonal of the others.
      let maxError = 0;
      let checked = 0;
      images.forEach((image, k) => {
        for (let i = 0; i < outSize; i++)
          for (let j = 0; j < outSize; j++) {
            if (k !== 0 && k !== nimages - 1 && i !== j) continue;
            const expected = referenceOutput(image.data, size, filters[k], i, j);
            maxError = Math.max(maxError, Math.abs(outputs[k].get(i, j) - expected) / (1 + Math.abs(expected)));
            checked++;
          }
      });
      return { checked, maxError, ok: maxError < 1e-12 };
    },
    close: () => pool.terminate(),
  };
}

/** A mean needs at least one timed map; burn-in maps may be none. */
function checkMapCounts(iterations, burns) {
  if (!Number.isSafeInteger(iterations) || iterations < 1) throw new RangeError(`iterations must be a positive integer; got ${iterations}`);
  if (!Number.isSafeInteger(burns) || burns < 0) throw new RangeError(`burns must be a non-negative integer; got ${burns}`);
}

function summary(run, times, check) {
  const mean = times.reduce((s, t) => s + t, 0) / times.length;
  const std = Math.sqrt(times.reduce((s, t) => s + (t - mean) ** 2, 0) / times.length);
  return { workers: run.workers, nimages: run.nimages, times, mean, std, check };
}

/**
 * Runs `burns + iterations` maps and returns the timings (seconds) of the
 * timed ones and a check of sampled outputs against `referenceOutput`.
 * `onIteration(index, seconds)` is called after each map.
 */
export async function runSeedWorkload({ workers, iterations = 10, burns = 2, size = 1000, mem = SEED_MEM, onIteration = () => {} }) {
  const [result] = await runSeedWorkloads({ workerCounts: [workers], iterations, burns, size, mem, onIteration: (_, index, seconds) => onIteration(index, seconds) });
  return result;
}

/**
 * The workload on a pool per entry of `workerCounts`, all prepared first and
 * their maps interleaved (see interleaveRuns). Returns one result per count,
 * as runSeedWorkload's. `onIteration(workers, index, seconds)`.
 */
export async function runSeedWorkloads({ workerCounts, iterations = 10, burns = 2, size = 1000, mem = SEED_MEM, onIteration = () => {} }) {
  checkMapCounts(iterations, burns); // before the pools fill their images
  const runs = [];
  try {
    for (const workers of workerCounts) runs.push(await prepareSeedRun({ workers, size, mem }));
    return await interleaveRuns(runs, { iterations, burns, onIteration: (run, index, seconds) => onIteration(run.workers, index, seconds) });
  } finally {
    await Promise.all(runs.map((run) => run.close()));
  }
}

/**
 * Runs `burns + iterations` maps of each prepared run (prepareSeedRun's
 * interface: map(), check(), workers, nimages), interleaved: map i on every
 * run, then map i + 1. A machine whose speed drifts during the run (a shared
 * VM) then weighs on every run alike, so their ratios stay fair. Returns one
 * result per run (timed maps' seconds, mean, std, check); does not close them.
 * `onIteration(run, index, seconds)` is called after each map.
 */
export async function interleaveRuns(runs, { iterations = 10, burns = 2, onIteration = () => {} } = {}) {
  checkMapCounts(iterations, burns);
  const times = runs.map(() => []);
  for (let iteration = 0; iteration < burns + iterations; iteration++) {
    for (const [r, run] of runs.entries()) {
      // A pause between runs: the previous run's workers poll for a while after their last task (see
      // spinMicros) and would compete with this map for the cores.
      if (runs.length > 1) await new Promise((resolve) => setTimeout(resolve, 5));
      const seconds = await run.map();
      if (iteration >= burns) times[r].push(seconds);
      onIteration(run, iteration, seconds);
    }
  }
  return runs.map((run, r) => summary(run, times[r], run.check()));
}
