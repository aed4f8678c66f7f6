// LZ4 end to end, as a user calls it: compress(text) and decompress(frame)
// on 1 and N workers, next to lz4-wasm and native LZ4 (Python's lz4.frame,
// when Debian's python3-lz4 is installed) in the same run, median of
// --repeats. What the kernels' speed becomes once the input is copied in,
// the frame assembled and the result written out: into a new array each call
// (as every peer does), or into an array of the caller's (`out`, reused).
// A new array's first touch dominates on some VMs; the bench measures that
// cost itself (a new array of the size, filled), which caps every "new array"
// figure alike. Run it also under the settings the README describes
// (GLIBC_TUNABLES=glibc.malloc.hugetlb=1, or glibc's MALLOC_*) to see that
// cost go; the settings in force are printed with the machine.
//
//   node bench/lz4-end-to-end.bench.mjs [--mib 32] [--repeats 9]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool, compress, decompress } from '../build/dist/node.js';
import { describeMachine, median, printTable, saveResults, textCorpusInto } from './lib.mjs';

const lz4wasm = createRequire(import.meta.url)('lz4-wasm-nodejs');

const { values } = parseArgs({ options: { mib: { type: 'string', default: '32' }, repeats: { type: 'string', default: '9' } } });
const SIZE = Number(values.mib) * 2 ** 20;
const REPEATS = Number(values.repeats);
const text = textCorpusInto(new Uint8Array(SIZE), 0, SIZE);
const mbps = (ms) => (SIZE / 1e6 / (median(ms) / 1000)).toFixed(0);

/** Median milliseconds of `repeats` calls of `fn`. */
function timed(fn, repeats = REPEATS) {
  const ms = [];
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    fn();
    ms.push(performance.now() - start);
  }
  return ms;
}

// What a new array of SIZE bytes costs before anything is decoded into it: allocated and written once.
const firstTouchMs = timed(() => new Uint8Array(SIZE).fill(1));

const rows = [];
for (const workers of [...new Set([1, availableParallelism()])]) {
  const pool = new Pool({ workers, memory: { maximumBytes: 2 ** 31 - 2 ** 16 } });
  try {
    await pool.ready;
    const frame = await compress(text, { pool });
    const out = new Uint8Array(SIZE);
    // One untimed round: the pool's heap is touched for the first time then.
    await decompress(frame, { pool });
    await decompress(frame, { pool, out });
    const compressMs = [];
    const decompressMs = [];
    const intoOutMs = [];
    for (let r = 0; r < REPEATS; r++) {
      let start = performance.now();
      await compress(text, { pool });
      compressMs.push(performance.now() - start);
      start = performance.now();
      const back = await decompress(frame, { pool });
      decompressMs.push(performance.now() - start);
      start = performance.now();
      await decompress(frame, { pool, out });
      intoOutMs.push(performance.now() - start);
      if (r === 0 && (back.length !== SIZE || back[SIZE >> 1] !== text[SIZE >> 1] || out[SIZE - 1] !== text[SIZE - 1])) throw new Error('round trip failed');
    }
    rows.push({
      codec: `wyvern, ${workers} worker${workers > 1 ? 's' : ''}`,
      'compress MB/s': mbps(compressMs),
      'decompress MB/s': mbps(decompressMs),
      'into out MB/s': mbps(intoOutMs),
      ratio: (SIZE / frame.length).toFixed(2),
    });
  } finally {
    await pool.terminate();
  }
}

// lz4-wasm (one thread, this thread): its frame, its new arrays.
{
  const frame = lz4wasm.compress(text);
  const back = lz4wasm.decompress(frame);
  if (back.length !== SIZE || back[SIZE >> 1] !== text[SIZE >> 1]) throw new Error('lz4-wasm round trip failed');
  rows.push({
    codec: 'lz4-wasm, 1 thread',
    'compress MB/s': mbps(timed(() => lz4wasm.compress(text))),
    'decompress MB/s': mbps(timed(() => lz4wasm.decompress(frame))),
    'into out MB/s': '-',
    ratio: (SIZE / frame.length).toFixed(2),
  });
}

// Native LZ4 through Python's lz4.frame (the anchor), on the same text.
const native = nativeLz4();
if (native) rows.push({ codec: 'native lz4.frame (Python), 1 thread', ...native, 'into out MB/s': '-' });

console.log(`\nLZ4 end to end, ${values.mib} MiB text, median of ${REPEATS} (${describeMachine()})\n`);
printTable(rows);
console.log(
  `\na new ${values.mib} MiB array, written once, takes ${median(firstTouchMs).toFixed(1)} ms here (${mbps(firstTouchMs)} MB/s): ` +
    'the ceiling of every decompression into new arrays above, wyvern\'s and the peers\' alike',
);
console.log('targets (text): one worker >= 450 MB/s compress, >= 1000 decompress; anchors (100 MiB, one thread): lz4-wasm ~370 / 860, native ~460 / 750');
console.log('the kernels alone: node bench/lz4-kernel.bench.mjs');
saveResults('lz4-end-to-end', { mib: Number(values.mib), repeats: REPEATS, firstTouchMs: median(firstTouchMs), rows });

/** { 'compress MB/s', 'decompress MB/s', ratio } from Python's lz4.frame, or undefined without it. */
function nativeLz4() {
  if (!existsSync('/usr/bin/python3')) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'wyvern-lz4-'));
  try {
    const input = join(dir, 'text.bin');
    writeFileSync(input, text);
    const script = [
      'import json, sys, time',
      'import lz4.frame',
      'data = open(sys.argv[1], "rb").read()',
      'def timed(fn):',
      '    ms = []',
      '    for _ in range(int(sys.argv[2])):',
      '        start = time.perf_counter(); out = fn(); ms.append((time.perf_counter() - start) * 1000)',
      '    return sorted(ms)[len(ms) // 2], out',
      'c, frame = timed(lambda: lz4.frame.compress(data))',
      'd, back = timed(lambda: lz4.frame.decompress(frame))',
      'assert back == data',
      'print(json.dumps({"c": c, "d": d, "size": len(frame)}))',
    ].join('\n');
    const result = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, input, String(REPEATS)], { stdio: ['ignore', 'pipe', 'ignore'] }).toString());
    return {
      'compress MB/s': (SIZE / 1e6 / (result.c / 1000)).toFixed(0),
      'decompress MB/s': (SIZE / 1e6 / (result.d / 1000)).toFixed(0),
      ratio: (SIZE / result.size).toFixed(2),
    };
  } catch {
    return undefined; // no lz4 module for Python here
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
