// The seed's compressor comparison (joblib dump/load of a large array: raw,
// zlib, LZMA, LZ4), reproduced: wyvern's dump/load (raw, zlib level 3 as
// joblib's default, LZ4; LZMA is not implemented, see docs/architecture.md),
// Node's zlib on the same bytes, and joblib itself (Debian's python3-joblib)
// when present.
// Dump and load durations (medians of repeats), file sizes; wyvern's loads into new
// ordinary arrays and into the pool's shared memory (`load(path, { shared: true })`).
//
//   node bench/dump.bench.mjs [--mb 167] [--repeats 3]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';
import { Pool, dump, load } from '../build/dist/node.js';
import { describeMachine, median, printTable, saveResults } from './lib.mjs';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '167' }, repeats: { type: 'string', default: '3' } } });
const REPEATS = Number(values.repeats);
const length = Math.floor((Number(values.mb) * 1e6) / 8);
// A table-like array: a few categorical columns and a slowly varying measurement, interleaved.
const data = new Float64Array(length);
for (let i = 0; i < length; i++) data[i] = i % 4 === 3 ? Math.round(i / 4000) / 10 : (i * 7 + (i >> 12)) % (i % 4 === 0 ? 3 : 23);
const dir = mkdtempSync(join(tmpdir(), 'wyvern-dump-bench-'));
const pool = new Pool({ memory: { maximumBytes: 2 ** 31 - 2 ** 16 } });
await pool.ready;

const time = async (fn) => {
  const samples = [];
  let result;
  for (let r = 0; r < REPEATS; r++) {
    const start = performance.now();
    result = await fn();
    samples.push(performance.now() - start);
  }
  return { seconds: median(samples) / 1000, result };
};

const rows = [];
for (const compress of [false, 'zlib', 'lz4']) {
  const path = join(dir, `wyvern-${compress || 'raw'}.wyvn`);
  const dumped = await time(() => dump({ data }, path, { pool, compress }));
  const loaded = await time(() => load(path, { pool }));
  if (!loaded.result.data.every((v, i) => v === data[i])) throw new Error('wyvern load differs');
  // Into the pool's memory (`shared: true`, freed after each load): memory already touched is reused.
  const loadedShared = await time(async () => {
    const value = await load(path, { pool, shared: true });
    pool.free(value.data);
  });
  rows.push({ tool: 'wyvern', codec: compress || 'raw', 'dump s': dumped.seconds.toFixed(3), 'file MB': (statSync(path).size / 1e6).toFixed(3), 'load s': loaded.seconds.toFixed(3), 'load s, shared': loadedShared.seconds.toFixed(3) });
}
{
  const path = join(dir, 'node-zlib.bin');
  const bytes = new Uint8Array(data.buffer);
  const dumped = await time(() => writeFileSync(path, zlib.deflateSync(bytes, { level: 3 })));
  const loaded = await time(() => {
    const inflated = zlib.inflateSync(readFileSync(path));
    return new Float64Array(inflated.buffer, inflated.byteOffset, inflated.length / 8);
  });
  if (!loaded.result.every((v, i) => v === data[i])) throw new Error('node:zlib load differs');
  rows.push({ tool: 'peer-node:zlib', codec: 'zlib 3', 'dump s': dumped.seconds.toFixed(3), 'file MB': (statSync(path).size / 1e6).toFixed(3), 'load s': loaded.seconds.toFixed(3) });
}
if (existsSync('/usr/bin/python3')) {
  const raw = join(dir, 'array.f64');
  writeFileSync(raw, new Uint8Array(data.buffer));
  try {
    const joblib = JSON.parse(execFileSync('/usr/bin/python3', [new URL('./reference/joblib_compressors.py', import.meta.url).pathname, raw, dir, String(REPEATS)]).toString());
    for (const [codec, r] of Object.entries(joblib)) {
      rows.push(r.skipped ? { tool: 'peer-joblib', codec, 'dump s': 'n/a', 'file MB': 'n/a', 'load s': `skipped: ${r.skipped.slice(0, 40)}` } : { tool: 'peer-joblib', codec, 'dump s': r.dump.toFixed(3), 'file MB': (r.bytes / 1e6).toFixed(3), 'load s': r.load.toFixed(3) });
    }
  } catch (error) {
    console.warn(`joblib reference skipped: ${error.message.split('\n')[0]}`);
  }
}
console.log(`\nCompressor comparison: dump/load of a ${(data.byteLength / 1e6).toFixed(0)} MB float64 array, median of ${REPEATS} (${pool.workers} workers; ${describeMachine()})\n`);
printTable(rows);
console.log('\nseed (joblib on its runtime): raw 1.458 s / 167.2 MB / 0.061 s; zlib 0.624 s / 3.9 MB / 0.210 s; LZMA 1.640 s / 2.1 MB / 0.349 s');
saveResults('dump', { megabytes: data.byteLength / 1e6, repeats: REPEATS, rows });
rmSync(dir, { recursive: true, force: true });
await pool.terminate();
