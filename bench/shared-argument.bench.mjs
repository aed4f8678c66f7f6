// A 1 MiB Float64Array argument: by reference through wyvern's shared heap,
// copied by wyvern (an ordinary typed array), and a raw worker postMessage
// that copies (structured clone) or transfers it. Each call reads two
// elements and returns; the array comes back in the transfer case so that
// it can be sent again. Median round trip per call.
//
//   node bench/shared-argument.bench.mjs [--calls 200]
import { Worker } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { Pool, task } from '../build/dist/node.js';
import { describeMachine, printTable, saveResults } from './lib.mjs';

const { values: args } = parseArgs({ options: { calls: { type: 'string', default: '200' } } });
const CALLS = Number(args.calls);
const LENGTH = (1024 * 1024) / 8;

const pool = new Pool({ workers: 1 });
const sumEnds = task(new URL('../examples/node/tasks.mjs', import.meta.url), 'sumEnds');
const shared = pool.alloc(Float64Array, LENGTH);
const plain = new Float64Array(LENGTH);
for (const a of [shared, plain]) {
  a[0] = 1;
  a[LENGTH - 1] = 2;
}
await pool.apply(sumEnds, [shared]);

const worker = new Worker(new URL('./peers/transfer-worker.mjs', import.meta.url));
let transferable = new Float64Array(LENGTH);
transferable[0] = 1;
transferable[LENGTH - 1] = 2;
const roundTrip = (array, transfer) =>
  new Promise((resolve) => {
    worker.once('message', resolve);
    worker.postMessage(array, transfer ? [array.buffer] : []);
  });

async function repeat(call) {
  for (let i = 0; i < CALLS; i++) if ((await call()) !== 3) throw new Error('wrong result');
}

const bench = new Bench({ iterations: 10, warmupIterations: 2, time: 0, warmupTime: 0 });
bench
  .add('wyvern/shared-reference', () => repeat(() => pool.apply(sumEnds, [shared])))
  .add('wyvern/copy', () => repeat(() => pool.apply(sumEnds, [plain])))
  .add('peer-postMessage/copy', () => repeat(async () => (await roundTrip(plain, false)).value))
  .add('peer-postMessage/transfer', () =>
    repeat(async () => {
      const { value, array } = await roundTrip(transferable, true);
      transferable = array;
      return value;
    }),
  );
await bench.run();

const rows = bench.tasks.map((t) => ({ name: t.name, usPerCall: (t.result.latency.p50 * 1000) / CALLS }));
const reference = rows[0].usPerCall;
console.log(`\n1 MiB Float64Array argument, ${CALLS} calls per round, median of 10 rounds (${describeMachine()})\n`);
printTable(rows.map((r) => ({ name: r.name, 'µs/call': r.usPerCall.toFixed(1), 'vs shared reference': (r.usPerCall / reference).toFixed(1) + 'x' })));
saveResults('shared-argument', { calls: CALLS, bytes: LENGTH * 8, rows });
await pool.terminate();
await worker.terminate();
