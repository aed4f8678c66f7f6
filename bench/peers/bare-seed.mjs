// The seed workload on bare threads: the same conv2d kernel (the same wasm
// build the pools run) on the same images, with none of a pool's machinery.
// One futex word starts a map in every worker at once, workers take images
// from an atomic counter, the last one to finish wakes the main thread. It
// shows what this machine allows for 1 → N workers (memory bandwidth, how the
// OS places threads), so the pool's ratio can be read against it.
//
// prepareBareSeedRun() returns the interface of prepareSeedRun() in
// examples/node/seed-workload.mjs, so both interleave in one run.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { normalRandom, referenceOutput } from '../../examples/node/seed-workload.mjs';
import { poolKernelModule } from '../lib.mjs';

// Control words: [0] map number (workers wait on it), [1] next image, [2] images done.
const MAP = 0;
const NEXT = 1;
const DONE = 2;

/** A bare-threads run of the seed workload: `map()` returns its seconds. */
export async function prepareBareSeedRun({ workers, size = 1000, mem = 32 * 1024 * 1024 }) {
  const nimages = Math.floor(mem / (size * size));
  const outSize = Math.ceil((size + 3) / 5);
  const imageBytes = size * size * 8;
  const outBytes = outSize * outSize * 8;
  // Above the kernels' reserved low memory (they refuse pointers below HEAP_START).
  const base = 16 * 2 ** 20;
  const filterBase = base;
  const imageBase = base + 2 ** 20;
  const outBase = imageBase + nimages * imageBytes;
  const pages = Math.ceil((outBase + nimages * outBytes) / 65536);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });

  // The same images and filters as prepareSeedRun (same generator, same order), flipped as conv2d() does.
  const random = normalRandom(2026);
  const f64 = new Float64Array(memory.buffer);
  const images = [];
  for (let k = 0; k < nimages; k++) {
    const image = f64.subarray((imageBase + k * imageBytes) / 8, (imageBase + (k + 1) * imageBytes) / 8);
    for (let i = 0; i < image.length; i++) image[i] = random();
    images.push(image);
  }
  const filters = Array.from({ length: nimages }, () => Array.from({ length: 4 }, () => Array.from({ length: 4 }, random)));
  filters.forEach((filter, k) => filter.flat().forEach((value, i) => (f64[filterBase / 8 + k * 16 + 15 - i] = value)));

  const module = poolKernelModule();
  const control = new Int32Array(new SharedArrayBuffer(64));
  const layout = { nimages, size, outSize, imageBase, imageBytes, outBase, outBytes, filterBase };
  // A thread that fails (or exits) after starting ends the map in progress with its error, not a hang.
  let failure;
  const fail = (error) => {
    failure ??= error;
    Atomics.store(control, DONE, nimages);
    Atomics.notify(control, DONE);
  };
  const threads = [];
  try {
    for (let t = 0; t < workers; t++) {
      const worker = new Worker(new URL(import.meta.url), { workerData: { module, memory, control, layout } });
      threads.push(worker);
      await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`bare thread exited (code ${code})`)));
    }
  } catch (error) {
    await Promise.all(threads.map((thread) => thread.terminate()));
    throw error;
  }

  return {
    workers,
    nimages,
    async map() {
      if (failure) throw failure;
      const start = performance.now();
      // DONE before NEXT: a thread's last (failed) take of the previous map may still land on NEXT.
      Atomics.store(control, DONE, 0);
      Atomics.store(control, NEXT, 0);
      Atomics.add(control, MAP, 1);
      Atomics.notify(control, MAP);
      for (;;) {
        const done = Atomics.load(control, DONE);
        if (done >= nimages) break;
        await Atomics.waitAsync(control, DONE, done).value;
      }
      if (failure) throw failure;
      return (performance.now() - start) / 1000;
    },
    check() {
      let maxError = 0;
      let checked = 0;
      images.forEach((image, k) => {
        // Every 7th row and column, and the last ones (full mode's bottom and right edges).
        const sampled = [...Array.from({ length: Math.ceil(outSize / 7) }, (_, n) => n * 7), outSize - 1];
        for (const i of sampled)
          for (const j of sampled) {
            const expected = referenceOutput(image, size, filters[k], i, j);
            const actual = f64[(outBase + k * outBytes) / 8 + i * outSize + j];
            maxError = Math.max(maxError, Math.abs(actual - expected) / (1 + Math.abs(expected)));
            checked++;
          }
      });
      return { checked, maxError, ok: maxError < 1e-12 };
    },
    close: () => {
      failure ??= new Error('closed');
      return Promise.all(threads.map((thread) => thread.removeAllListeners('exit').terminate()));
    },
  };
}

if (!isMainThread && workerData?.layout) {
  const { module, memory, control, layout } = workerData;
  const instance = await WebAssembly.instantiate(module, {
    env: { memory },
    wyvern: {
      kernelError(code, argument) {
        throw new Error(`conv2d kernel refused argument ${argument} (check ${code})`);
      },
    },
  });
  const conv2d = instance.exports.conv2d_f64;
  const { nimages, size, outSize, imageBase, imageBytes, outBase, outBytes, filterBase } = layout;
  parentPort.postMessage('ready');
  let seen = 0;
  for (;;) {
    Atomics.wait(control, MAP, seen);
    seen = Atomics.load(control, MAP);
    for (let k = Atomics.add(control, NEXT, 1); k < nimages; k = Atomics.add(control, NEXT, 1)) {
      // conv2d_f64(image, rows, cols, filter, kh, kw, out, outRows, outCols, rowBegin, rowEnd,
      //            originRow, originCol, strideRow, strideCol, boundary (0: fill), fillValue)
      conv2d(imageBase + k * imageBytes, size, size, filterBase + k * 128, 4, 4, outBase + k * outBytes, outSize, outSize, 0, outSize, 0, 0, 5, 5, 0, 0);
      if (Atomics.add(control, DONE, 1) === nimages - 1) Atomics.notify(control, DONE);
    }
  }
}
