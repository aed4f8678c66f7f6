// LZ4 end to end, as a user calls it: compress(text) and decompress(frame)
// returning new arrays, on 1 and N workers, alternated call by call (median
// of --repeats). What the kernels' speed becomes once the input is copied in,
// the frame assembled and the result written into new memory — whose first
// touch dominates on some VMs: run it also under the settings the README
// describes (GLIBC_TUNABLES=glibc.malloc.hugetlb=1, or glibc's MALLOC_*) to
// see that cost go; the settings in force are printed with the machine.
//
//   node bench/lz4-end-to-end.bench.mjs [--mib 32] [--repeats 9]
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Pool, compress, decompress } from '../build/dist/node.js';
import { describeMachine, median, printTable, saveResults, textCorpusInto } from './lib.mjs';

const { values } = parseArgs({ options: { mib: { type: 'string', default: '32' }, repeats: { type: 'string', default: '9' } } });
const SIZE = Number(values.mib) * 2 ** 20;
const REPEATS = Number(values.repeats);
const text = textCorpusInto(new Uint8Array(SIZE), 0, SIZE);

const rows = [];
for (const workers of [...new Set([1, availableParallelism()])]) {
  const pool = new Pool({ workers, memory: { maximumBytes: 2 ** 31 - 2 ** 16 } });
  try {
    await pool.ready;
    const frame = await compress(text, { pool });
    // One untimed round: the pool's heap is touched for the first time then.
    await decompress(frame, { pool });
    const compressMs = [];
    const decompressMs = [];
    for (let r = 0; r < REPEATS; r++) {
      let start = performance.now();
      await compress(text, { pool });
      compressMs.push(performance.now() - start);
      start = performance.now();
      const back = await decompress(frame, { pool });
      decompressMs.push(performance.now() - start);
      if (r === 0 && (back.length !== SIZE || back[SIZE >> 1] !== text[SIZE >> 1])) throw new Error('round trip failed');
    }
    rows.push({
      workers,
      'compress MB/s': (SIZE / 1e6 / (median(compressMs) / 1000)).toFixed(0),
      'decompress MB/s': (SIZE / 1e6 / (median(decompressMs) / 1000)).toFixed(0),
      ratio: (SIZE / frame.length).toFixed(2),
    });
  } finally {
    await pool.terminate();
  }
}

console.log(`\nLZ4 end to end, ${values.mib} MiB text, results in new arrays, median of ${REPEATS} (${describeMachine()})\n`);
printTable(rows);
console.log('\ntargets (text): one worker >= 450 MB/s compress, >= 1000 decompress; the kernels alone: node bench/lz4-kernel.bench.mjs');
saveResults('lz4-end-to-end', { mib: Number(values.mib), repeats: REPEATS, rows });
