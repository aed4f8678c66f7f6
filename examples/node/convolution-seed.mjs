// The seed's scipy_scale_work.py, on wyvern, with its command-line options.
//
//   node examples/node/convolution-seed.mjs --num_workers 2 --iterations 10 --burns 2 --size 1000 --mem 33554432
import { MAX_POOL_WORKERS, integer, parseCommandLine } from './cli.mjs';
import { SEED_MEM, maximumSeedMem, maximumSeedSize, runSeedWorkload } from './seed-workload.mjs';

const { values: options, badValue } = parseCommandLine({
  usage: 'node examples/node/convolution-seed.mjs [options]',
  description:
    "The seed's scipy_scale_work.py on wyvern: convolve2d(image, random 4 × 4 filter)[::5, ::5] over\n" +
    'mem / size² images of size × size (33 of 1000 × 1000 by default) on a pool, timed per map, checked.',
  options: {
    num_workers: { ...integer({ min: 1, max: MAX_POOL_WORKERS }), default: '4', help: 'worker threads' },
    iterations: { ...integer({ min: 1 }), default: '10', help: 'timed maps' },
    burns: { ...integer({ min: 0 }), default: '2', help: 'burn-in maps before them (not timed)' },
    size: { ...integer({ min: 1 }), default: '1000', help: 'image side; size² at most mem' },
    mem: { ...integer({ min: 1 }), default: String(SEED_MEM), help: 'values in all the images together' },
  },
});
// At least one image must fit in --mem, and all of them in a pool's memory (2 GiB).
const maxSize = maximumSeedSize(options.mem);
if (options.size > maxSize) badValue('--size', `an integer from 1 to ${maxSize} for --mem ${options.mem} (one size × size image must fit in --mem and in a pool's 2 GiB of shared memory)`, options.size);
const maxMem = maximumSeedMem(options.size);
if (options.mem > maxMem) badValue('--mem', `at most ${maxMem} for --size ${options.size} (the images must fit in a pool's 2 GiB of shared memory)`, options.mem);

console.log(`Number of workers: ${options.num_workers}`);
const result = await runSeedWorkload({ workers: options.num_workers, iterations: options.iterations, burns: options.burns, size: options.size, mem: options.mem });
console.log(`Number of images: ${result.nimages}`);
console.log(`Average time: ${result.mean.toFixed(4)} second(s)`);
console.log(`Standard deviation: ${result.std.toFixed(4)} second(s)`);
console.log(`Check against the reference: ${result.check.ok ? 'ok' : 'FAILED'} (${result.check.checked} outputs, max relative error ${result.check.maxError.toExponential(1)})`);
if (!result.check.ok) process.exitCode = 1;
