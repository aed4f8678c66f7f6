// Dispatch overhead: N no-op tasks (each returns its small integer argument)
// submitted at once to 2 workers, for wyvern, piscina and a raw postMessage
// round robin, in one run. Reports tasks/s and µs per task (median of the
// timed rounds) and wyvern's throughput ratio over each peer.
//
//   node bench/dispatch.bench.mjs [--tasks 20000] [--rounds 15] [--workers 2]
import { Worker } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { Piscina } from 'piscina';
import { Pool } from '../build/dist/node.js';
import { describeMachine, printTable, saveResults } from './lib.mjs';

const { values: args } = parseArgs({ options: { tasks: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '15' }, workers: { type: 'string', default: '2' } } });
const TASKS = Number(args.tasks);
const WORKERS = Number(args.workers);
const ROUNDS = Number(args.rounds);

const wyvern = new Pool({ workers: WORKERS });
await wyvern.ready;
const noop = (value) => value;

const piscina = new Piscina({ filename: new URL('./peers/piscina-tasks.mjs', import.meta.url).href, minThreads: WORKERS, maxThreads: WORKERS, idleTimeout: 60_000 });

// Raw postMessage round robin: one pending-resolver queue per worker (messages come back in order).
const raw = Array.from({ length: WORKERS }, () => {
  const worker = new Worker(new URL('./peers/noop-worker.mjs', import.meta.url));
  const pending = [];
  worker.on('message', (value) => pending.shift()(value));
  return { worker, pending };
});
const rawCall = (i) => new Promise((resolve) => {
  const w = raw[i % WORKERS];
  w.pending.push(resolve);
  w.worker.postMessage(i);
});

async function runAll(submit) {
  const promises = new Array(TASKS);
  for (let i = 0; i < TASKS; i++) promises[i] = submit(i);
  const results = await Promise.all(promises);
  if (results[TASKS - 1] !== TASKS - 1) throw new Error('wrong result');
}

const bench = new Bench({ iterations: ROUNDS, warmupIterations: 3, time: 0, warmupTime: 0 });
bench
  .add('wyvern', () => runAll((i) => wyvern.apply(noop, [i])))
  .add('peer-piscina', () => runAll((i) => piscina.run(i)))
  .add('peer-postMessage', () => runAll(rawCall));
await bench.run();

const rows = bench.tasks.map((task) => {
  const medianMs = task.result.latency.p50;
  return { name: task.name, medianMs, usPerTask: (medianMs * 1000) / TASKS, tasksPerSecond: TASKS / (medianMs / 1000) };
});
const wyvernRow = rows[0];
console.log(`\nDispatch of ${TASKS} no-op tasks to ${WORKERS} workers, median of ${ROUNDS} rounds (${describeMachine()})\n`);
printTable(rows.map((r) => ({
  name: r.name,
  'µs/task': r.usPerTask.toFixed(2),
  'tasks/s': Math.round(r.tasksPerSecond).toLocaleString('en-US'),
  'wyvern speedup': (r.usPerTask / wyvernRow.usPerTask).toFixed(1) + 'x',
})));
console.log(`\nanchors on this kind of machine: piscina ~39 µs/task, raw postMessage ~4.3, bare SAB queue ~0.8; target wyvern >= 10x piscina`);
saveResults('dispatch', { tasks: TASKS, workers: WORKERS, rounds: ROUNDS, rows });

await wyvern.terminate();
await piscina.destroy();
for (const { worker } of raw) await worker.terminate();
