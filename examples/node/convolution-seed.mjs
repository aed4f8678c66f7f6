// The seed's scipy_scale_work.py, on wyvern, with its command-line options.
//
//   node examples/node/convolution-seed.mjs --num_workers 2 --iterations 10 --burns 2 --size 1000 --mem 33554432
import { parseArgs } from 'node:util';
import { runSeedWorkload } from './seed-workload.mjs';

const { values } = parseArgs({
  options: {
    num_workers: { type: 'string', default: '4' },
    iterations: { type: 'string', default: '10' },
    burns: { type: 'string', default: '2' },
    size: { type: 'string', default: '1000' },
    mem: { type: 'string', default: String(32 * 1024 * 1024) },
  },
});
const options = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Number(v)]));
for (const [name, value] of Object.entries(options)) {
  if (!Number.isInteger(value) || value < (name === 'burns' ? 0 : 1)) {
    console.error(`--${name} must be a ${name === 'burns' ? 'non-negative' : 'positive'} integer; got ${values[name]}`);
    process.exit(2);
  }
}
console.log(`Number of workers: ${options.num_workers}`);
const result = await runSeedWorkload({ workers: options.num_workers, iterations: options.iterations, burns: options.burns, size: options.size, mem: options.mem });
console.log(`Number of images: ${result.nimages}`);
console.log(`Average time: ${result.mean.toFixed(4)} second(s)`);
console.log(`Standard deviation: ${result.std.toFixed(4)} second(s)`);
console.log(`Check against the reference: ${result.check.ok ? 'ok' : 'FAILED'} (${result.check.checked} outputs, max relative error ${result.check.maxError.toExponential(1)})`);
if (!result.check.ok) process.exitCode = 1;
