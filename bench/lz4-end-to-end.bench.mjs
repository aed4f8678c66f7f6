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
import { assertSameBytes, describeMachine, median, printTable, saveResults, textCorpusInto } from './lib.mjs';

const lz4wasm = createRequire(import.meta.url)('lz4-wasm-nodejs');

const { values } = parseArgs({ options: { mib: { type: 'string', default: '32' }, repeats: { type: 'string', default: '9' } } });
const SIZE = Number(values.mib) * 2 ** 20;
const REPEATS = Number(values.repeats);
const text = textCorpusInto(new Uint8Array(SIZE), 0, SIZE);
const rows = [];
const mbps = (ms) => (SIZE / 1e6 / (median(ms) / 1000)).toFixed(0);

// Every contender in one loop, a round of each per repeat: this VM's cost of new memory moves a lot
// within a minute (whether the kernel has huge pages free, when V8 frees the last result), and a
// contender timed in a block of its own would carry whatever minute it drew.
const samples = new Map();
async function sample(key, fn) {
  const start = performance.now();
  await fn();
  if (!samples.has(key)) samples.set(key, []);
  samples.get(key).push(performance.now() - start);
}

const pools = [];
try {
  const wyvern = [];
  for (const workers of [...new Set([1, availableParallelism()])]) {
    const pool = new Pool({ workers, memory: { maximumBytes: 2 ** 31 - 2 ** 16 } });
    pools.push(pool);
    await pool.ready;
    const frame = await compress(text, { pool });
    const out = new Uint8Array(SIZE);
    assertSameBytes(await decompress(frame, { pool }), text, `wyvern, ${workers} workers`);
    await decompress(frame, { pool, out });
    assertSameBytes(out, text, `wyvern into out, ${workers} workers`);
    // The frame's own size and some: where compress({ out }) writes.
    const packedOut = new Uint8Array(frame.length + 65536);
    assertSameBytes(await decompress(await compress(text, { pool, out: packedOut }), { pool }), text, `wyvern compress into out, ${workers} workers`);
    wyvern.push({ workers, pool, frame, out, packedOut });
  }
  const wasmFrame = lz4wasm.compress(text);
  assertSameBytes(lz4wasm.decompress(wasmFrame), text, 'lz4-wasm');

  // Compression rounds, then decompression rounds: each phase's new arrays are of one size (the frames,
  // then the texts), as in a program that does one of the two in a loop; mixed, glibc's reuse of freed
  // memory (docs/performance.md) would depend on the order of the contenders.
  for (let r = 0; r < REPEATS; r++) {
    for (const { workers, pool, packedOut } of wyvern) {
      await sample(`${workers} compress`, () => compress(text, { pool }));
      await sample(`${workers} compress into out`, () => compress(text, { pool, out: packedOut }));
    }
    await sample('lz4-wasm compress', () => lz4wasm.compress(text));
  }
  for (let r = 0; r < REPEATS; r++) {
    // What a new array of SIZE bytes costs before anything is decoded into it: allocated and written once.
    await sample('touch', () => new Uint8Array(SIZE).fill(1));
    for (const { workers, pool, frame, out } of wyvern) {
      await sample(`${workers} decompress`, () => decompress(frame, { pool }));
      await sample(`${workers} into out`, () => decompress(frame, { pool, out }));
    }
    await sample('lz4-wasm decompress', () => lz4wasm.decompress(wasmFrame));
  }
  for (const { workers, frame } of wyvern) {
    rows.push({
      codec: `wyvern, ${workers} worker${workers > 1 ? 's' : ''}`,
      'compress MB/s': mbps(samples.get(`${workers} compress`)),
      'decompress MB/s': mbps(samples.get(`${workers} decompress`)),
      'compress into out MB/s': mbps(samples.get(`${workers} compress into out`)),
      'decompress into out MB/s': mbps(samples.get(`${workers} into out`)),
      ratio: (SIZE / frame.length).toFixed(2),
    });
  }
  rows.push({
    codec: 'lz4-wasm, 1 thread',
    'compress MB/s': mbps(samples.get('lz4-wasm compress')),
    'decompress MB/s': mbps(samples.get('lz4-wasm decompress')),
    'compress into out MB/s': '-',
    'decompress into out MB/s': '-',
    ratio: (SIZE / wasmFrame.length).toFixed(2),
  });
} finally {
  await Promise.all(pools.map((pool) => pool.terminate()));
}
const firstTouchMs = samples.get('touch');

// Native LZ4 through Python's lz4.frame (the anchor), on the same text: after the rounds, in its own
// process, with lz4.frame's defaults (64 KiB linked blocks, no content checksum; wyvern: 4 MiB independent
// blocks and an xxHash32 of the content).
const native = nativeLz4();
if (native) rows.push({ codec: 'native lz4.frame (Python), 1 thread', ...native, 'compress into out MB/s': '-', 'decompress into out MB/s': '-' });

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
      'import json, statistics, sys, time',
      'import lz4.frame',
      'data = open(sys.argv[1], "rb").read()',
      'def timed(fn):',
      '    ms = []',
      '    for _ in range(int(sys.argv[2])):',
      '        start = time.perf_counter(); out = fn(); ms.append((time.perf_counter() - start) * 1000)',
      '    return statistics.median(ms), out',
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
