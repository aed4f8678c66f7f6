// The LZ4 block kernels alone, on one thread, over a text corpus already in
// wasm memory: no frame, no copies, no checksum, no tasks. Separates the
// codec's speed from the pipeline's (bench/compression.bench.mjs).
//
//   node bench/lz4-kernel.bench.mjs [--mib 32] [--repeats 5]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { describeMachine, median, printTable, saveResults, textCorpusInto } from './lib.mjs';

const { values } = parseArgs({ options: { mib: { type: 'string', default: '32' }, repeats: { type: 'string', default: '5' } } });
const SIZE = Number(values.mib) * 2 ** 20;
const module = new WebAssembly.Module(readFileSync(new URL('../build/wasm/kernels.wasm', import.meta.url)));
const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
const { exports: k } = new WebAssembly.Instance(module, { env: { memory }, wyvern: { kernelError: (code) => { throw new Error(`kernel error ${code}`); } } });
const HEAP_START = k.heapStart();
memory.grow(HEAP_START / 65536 + Math.ceil((SIZE * 3.1) / 65536) + 8);
const bytes = textCorpusInto(new Uint8Array(memory.buffer), HEAP_START, SIZE);

const BLOCK = 4 << 20;
const bound = k.lz4CompressBound(BLOCK);
const src = HEAP_START;
const dst = src + SIZE;
const table = dst + Math.ceil(SIZE / BLOCK) * bound;
const out = table + k.lz4HashBytes();
const lengths = [];
const compressMs = [], decompressMs = [], hashMs = [];
for (let r = 0; r < Number(values.repeats) + 1; r++) {
  let start = performance.now();
  for (let i = 0; i * BLOCK < SIZE; i++) lengths[i] = k.lz4_compress_block(src + i * BLOCK, Math.min(BLOCK, SIZE - i * BLOCK), dst + i * bound, bound, table, 1);
  const c = performance.now() - start;
  start = performance.now();
  for (let i = 0; i * BLOCK < SIZE; i++) k.lz4_decompress_block(dst + i * bound, lengths[i], out + i * BLOCK, BLOCK, 0);
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
console.log('\nanchors: lz4-wasm ~370 / 860 MB/s, native lz4 ~460 / 750; targets (one worker, text): >= 450 compress, >= 1000 decompress');
saveResults('lz4-kernel', rows);
