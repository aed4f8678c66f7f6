// The LZ4 block kernels alone, on one thread, over a text corpus already in
// wasm memory: no frame, no copies, no checksum, no tasks. Separates the
// codec's speed from the pipeline's (bench/compression.bench.mjs); the high-compression levels next to
// the lz4 tool (size and speed); then the same blocks as pool tasks on 1 and N workers, for the scaling
// of chunked LZ4.
//
//   node bench/lz4-kernel.bench.mjs [--mib 32] [--repeats 5]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { availableParallelism } from 'node:os';
import { Pool, kernels } from '../build/dist/node.js';
import { describeMachine, median, poolKernelModule, printTable, saveResults, textCorpusInto } from './lib.mjs';

const { values } = parseArgs({ options: { mib: { type: 'string', default: '32' }, repeats: { type: 'string', default: '5' } } });
const SIZE = Number(values.mib) * 2 ** 20;
// The build pools run here, compiled as they compile it.
const module = poolKernelModule();
const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
const { exports: k } = new WebAssembly.Instance(module, { env: { memory }, wyvern: { kernelError: (code) => { throw new Error(`kernel error ${code}`); } } });
const HEAP_START = k.heapStart();
// Layout: the text, each block's compressed form (a whole bound apiece), the hash table, the decoded copy.
const BLOCK = 4 << 20;
const bound = k.lz4CompressBound(BLOCK);
const src = HEAP_START;
const dst = src + SIZE;
const table = dst + Math.ceil(SIZE / BLOCK) * bound;
const out = table + k.lz4HashBytes();
// The high-compression levels below use the decoded copy's area as their scratch: at least 32 MiB there.
memory.grow(Math.ceil((out + Math.max(SIZE, 32 << 20)) / 65536) + 1 - memory.buffer.byteLength / 65536);
const bytes = textCorpusInto(new Uint8Array(memory.buffer), HEAP_START, SIZE);
const lengths = [];
const compressMs = [], decompressMs = [], hashMs = [];
for (let r = 0; r < Number(values.repeats) + 1; r++) {
  let start = performance.now();
  for (let i = 0; i * BLOCK < SIZE; i++) lengths[i] = k.lz4_compress_block(src + i * BLOCK, Math.min(BLOCK, SIZE - i * BLOCK), dst + i * bound, bound, table, 1);
  const c = performance.now() - start;
  start = performance.now();
  for (let i = 0; i * BLOCK < SIZE; i++) k.lz4_decompress_block(dst + i * bound, lengths[i], out + i * BLOCK, Math.min(BLOCK, SIZE - i * BLOCK), 0);
  const d = performance.now() - start;
  start = performance.now();
  k.xxhash32(src, SIZE, 0);
  const h = performance.now() - start;
  if (r > 0) compressMs.push(c), decompressMs.push(d), hashMs.push(h); // the first round warms V8's optimising tier
}
if (!bytes.subarray(out, out + SIZE).every((v, i) => v === bytes[src + i])) throw new Error('round trip failed');
const mbps = (ms) => (SIZE / 1e6 / (median(ms) / 1000)).toFixed(0);
const rows = [{ 'compress MB/s': mbps(compressMs), 'decompress MB/s': mbps(decompressMs), 'xxHash32 MB/s': mbps(hashMs), ratio: (SIZE / lengths.reduce((s, n) => s + n, 0)).toFixed(2) }];
console.log(`\nLZ4 block kernels alone, ${values.mib} MiB text, 4 MiB blocks, one thread (${describeMachine()})\n`);
printTable(rows);

// High-compression levels, one thread, on the first 8 MiB of the text: the kernels next to the lz4 tool at
// the same level (timed as a process reading a file, so a few ms of start-up are in its figure).
const HC_SIZE = Math.min(SIZE, 8 << 20);
const hcRows = [];
const tool = (() => {
  try {
    execFileSync('lz4', ['--version'], { stdio: 'ignore' });
    const dir = mkdtempSync(join(tmpdir(), 'wyvern-lz4hc-'));
    writeFileSync(join(dir, 'text'), bytes.subarray(src, src + HC_SIZE));
    return join(dir, 'text');
  } catch {
    return undefined;
  }
})();
for (const level of [3, 6, 9, 10, 11, 12]) {
  const scratch = out; // reused: the decompression area is free again
  const times = [];
  let length = 0;
  for (let r = 0; r < 3; r++) {
    const start = performance.now();
    length = 0;
    for (let i = 0; i * BLOCK < HC_SIZE; i++) {
      const n = Math.min(BLOCK, HC_SIZE - i * BLOCK);
      length += level >= 10 ? k.lz4_compress_block_opt(src + i * BLOCK, n, dst + i * bound, bound, scratch, level) : k.lz4_compress_block_hc(src + i * BLOCK, n, dst + i * bound, bound, scratch, 2 ** (level - 1));
    }
    times.push(performance.now() - start);
  }
  const row = { level, 'wyvern MB/s': (HC_SIZE / 1e6 / (median(times) / 1000)).toFixed(1), 'wyvern ratio': (HC_SIZE / length).toFixed(3) };
  if (tool) {
    const toolTimes = [];
    let packed;
    for (let r = 0; r < 3; r++) {
      const start = performance.now();
      packed = execFileSync('lz4', [`-${level}`, '-B7', '--no-frame-crc', '-c', tool], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
      toolTimes.push(performance.now() - start);
    }
    row['lz4 tool MB/s'] = (HC_SIZE / 1e6 / (median(toolTimes) / 1000)).toFixed(1);
    row['lz4 tool ratio'] = (HC_SIZE / packed.length).toFixed(3);
    // Ours as the same frame: a 7-byte header, a size word per block, the end mark.
    const frame = length + 7 + 4 * Math.ceil(HC_SIZE / BLOCK) + 4;
    row['size vs tool'] = `${((frame / packed.length - 1) * 100).toFixed(3)}%`;
  }
  hcRows.push(row);
}
if (tool) rmSync(dirname(tool), { recursive: true, force: true });
console.log(`\nLZ4 high compression, ${HC_SIZE / 2 ** 20} MiB text, 4 MiB blocks, one thread${tool ? ', next to the lz4 tool' : ''}\n`);
printTable(hcRows);

// The same blocks as pool tasks on 1 and N workers, input and output already in the pool's memory (what
// compress() does between copying in and copying out): how chunked LZ4 scales with workers.
const cores = availableParallelism();
const scaling = [];
for (const workers of [...new Set([1, cores])]) {
  const pool = new Pool({ workers, memory: { maximumBytes: 2 ** 31 - 2 ** 16 } });
  await pool.ready;
  const input = textCorpusInto(pool.alloc(Uint8Array, SIZE), 0, SIZE);
  const packed = pool.alloc(Uint8Array, Math.ceil(SIZE / BLOCK) * bound);
  const output = pool.alloc(Uint8Array, SIZE);
  const blocks = Array.from({ length: Math.ceil(SIZE / BLOCK) }, (_, i) => i);
  const time = async (fn) => {
    const samples = [];
    for (const warmUntil = performance.now() + 300; performance.now() < warmUntil; ) await fn();
    for (let r = 0; r < Number(values.repeats); r++) {
      const start = performance.now();
      await fn();
      samples.push(performance.now() - start);
    }
    return median(samples);
  };
  let sizes = [];
  const c = await time(async () => {
    sizes = await pool.starmap(kernels.lz4CompressBlock, blocks.map((i) => [input.subarray(i * BLOCK, Math.min(SIZE, (i + 1) * BLOCK)), packed.subarray(i * bound, (i + 1) * bound), 1]), { chunksize: 1 });
  });
  const d = await time(() =>
    pool.starmap(kernels.lz4DecompressBlock, blocks.map((i) => [packed.subarray(i * bound, i * bound + sizes[i]), output.subarray(i * BLOCK, Math.min(SIZE, (i + 1) * BLOCK)), 0, 0]), { chunksize: 1 }),
  );
  if (!output.every((v, i) => v === input[i])) throw new Error('pool round trip failed');
  scaling.push({ workers, compressMs: c, decompressMs: d });
  await pool.terminate();
}
const base = scaling[0];
const scalingRows = scaling.map(({ workers, compressMs, decompressMs }) => ({
  workers,
  'compress MB/s': (SIZE / 1e6 / (compressMs / 1000)).toFixed(0),
  'decompress MB/s': (SIZE / 1e6 / (decompressMs / 1000)).toFixed(0),
  'compress speedup': `${(base.compressMs / compressMs).toFixed(2)}x`,
  'decompress speedup': `${(base.decompressMs / decompressMs).toFixed(2)}x`,
}));
const blockCount = Math.ceil(SIZE / BLOCK);
const fewBlocks = blockCount < 2 * cores ? ` (only ${blockCount} block${blockCount === 1 ? '' : 's'}: too few to share among ${cores} workers; use --mib ${8 * cores} or more)` : '';
console.log(`\nThe same ${blockCount} block${blockCount === 1 ? "" : "s"} as pool tasks, in and out of the pool's memory, medians of ${values.repeats}${fewBlocks}\n`);
printTable(scalingRows);
rows.push(...scalingRows);
console.log('\nanchors: lz4-wasm ~370 / 860 MB/s, native lz4 ~460 / 750; targets (text): one worker >= 450 compress, >= 1000 decompress; 2 workers >= 1.8x one');

saveResults('lz4-kernel', { rows, highCompression: hcRows });
