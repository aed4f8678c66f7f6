// Compression throughput and ratio, side by side in one run, on three inputs
// (a text corpus, a numeric array like the seed's, incompressible bytes):
// wyvern's LZ4 (fast, and high compression at level 9) and gzip (levels 1, 6) on 1 and N workers, lz4-wasm, lz4js,
// Node's zlib (gzip levels 1, 6; brotli qualities 1, 5), pako and fflate (gzip, levels 1, 6); streams (64 KiB pieces) against Node's web
// CompressionStream. MB/s = uncompressed bytes per second, both ways; medians of repeats. wyvern's LZ4 in 1 MiB
// blocks on 1 and N workers alike (the default, 4 MiB, would leave 16 MiB four blocks to share).
//
//   node bench/compression.bench.mjs [--mib 32] [--repeats 3]
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import * as fflate from 'fflate';
import * as pako from 'pako';
import { Pool, compress, compressStream, decompress, decompressStream } from '../build/dist/node.js';
import { describeMachine, median, printTable, saveResults, textCorpusInto } from './lib.mjs';

const require = createRequire(import.meta.url);
const lz4wasm = require('lz4-wasm-nodejs');
const lz4js = require('lz4js');

const { values } = parseArgs({ options: { mib: { type: 'string', default: '32' }, repeats: { type: 'string', default: '3' } } });
const SIZE = Number(values.mib) * 2 ** 20;
const REPEATS = Number(values.repeats);
const cores = availableParallelism();

// Inputs. Text: the sources under node_modules (see lib.mjs).
const textCorpus = () => textCorpusInto(new Uint8Array(SIZE), 0, SIZE);
function numericArray() {
  // A smooth signal with noise in the low bits, as float64: the kind of array joblib dumps.
  const values = new Float64Array(SIZE / 8);
  for (let i = 0; i < values.length; i++) values[i] = Math.round(1000 * Math.sin(i / 1000) + ((i * 2654435761) % 7)) / 8;
  return new Uint8Array(values.buffer);
}
function randomBytes() {
  const out = new Uint8Array(SIZE);
  let x = 88172645;
  for (let i = 0; i < SIZE; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}

// Streams: 64 KiB pieces in, as a file or socket delivers them; output gathered.
async function throughStream(bytes, transform) {
  const writer = transform.writable.getWriter();
  const writing = (async () => {
    for (let at = 0; at < bytes.length; at += 65536) await writer.write(bytes.subarray(at, at + 65536));
    await writer.close();
  })();
  const parts = [];
  let length = 0;
  for await (const part of transform.readable) {
    parts.push(part);
    length += part.length;
  }
  await writing;
  return Buffer.concat(parts, length);
}

const pools = { 1: new Pool({ workers: 1, memory: { maximumBytes: 2 ** 31 - 2 ** 16 } }), [cores]: new Pool({ workers: cores, memory: { maximumBytes: 2 ** 31 - 2 ** 16 } }) };
// Outputs written into arrays allocated once (decompress's `out`, fflate's `out`): without the cost of
// new memory per call, which on some VMs (first touch of a page) dominates decompression.
const reusable = new Uint8Array(SIZE).fill(0);
// Room for any of the compressed streams (incompressible input grows by a few bytes per block).
const reusablePacked = new Uint8Array(Math.ceil(SIZE * 1.01) + (1 << 20)).fill(0);
const reusableForPeer = new Uint8Array(SIZE).fill(0);
const codecs = [
  // LZ4 rows on 1 and N workers alike in 1 MiB blocks, so that their ratio measures the workers alone.
  ['wyvern lz4, 1 worker', (d) => compress(d, { pool: pools[1], blockSize: 1 << 20 }), (c) => decompress(c, { pool: pools[1] })],
  [`wyvern lz4, ${cores} workers`, (d) => compress(d, { pool: pools[cores], blockSize: 1 << 20 }), (c) => decompress(c, { pool: pools[cores] })],
  [`wyvern lz4 L9 (HC), ${cores} workers`, (d) => compress(d, { pool: pools[cores], level: 9, blockSize: 1 << 20 }), (c) => decompress(c, { pool: pools[cores] })],
  ['wyvern gzip L1, 1 worker', (d) => compress(d, { pool: pools[1], codec: 'gzip', level: 1 }), (c) => decompress(c, { pool: pools[1], codec: 'gzip' })],
  [`wyvern gzip L1, ${cores} workers`, (d) => compress(d, { pool: pools[cores], codec: 'gzip', level: 1 }), (c) => decompress(c, { pool: pools[cores], codec: 'gzip' })],
  ['wyvern gzip L6, 1 worker', (d) => compress(d, { pool: pools[1], codec: 'gzip', level: 6 }), (c) => decompress(c, { pool: pools[1], codec: 'gzip' })],
  [`wyvern gzip L6, ${cores} workers`, (d) => compress(d, { pool: pools[cores], codec: 'gzip', level: 6 }), (c) => decompress(c, { pool: pools[cores], codec: 'gzip' })],
  ['wyvern zlib L6, 1 worker', (d) => compress(d, { pool: pools[1], codec: 'zlib', level: 6 }), (c) => decompress(c, { pool: pools[1], codec: 'zlib' })],
  [`wyvern zlib L6, ${cores} workers (parts joined by sync flushes)`, (d) => compress(d, { pool: pools[cores], codec: 'zlib', level: 6 }), (c) => decompress(c, { pool: pools[cores], codec: 'zlib' })],
  [`wyvern lz4 stream, ${cores} workers`, (d) => throughStream(d, compressStream({ pool: pools[cores] })), (c) => throughStream(c, decompressStream({ pool: pools[cores] }))],
  [`wyvern gzip L6 stream, ${cores} workers`, (d) => throughStream(d, compressStream({ pool: pools[cores], codec: 'gzip', level: 6 })), (c) => throughStream(c, decompressStream({ pool: pools[cores], codec: 'gzip' }))],
  ['wyvern lz4 into out, 1 worker', (d) => compress(d, { pool: pools[1], blockSize: 1 << 20, out: reusablePacked }), (c) => decompress(c, { pool: pools[1], out: reusable })],
  [`wyvern lz4 into out, ${cores} workers`, (d) => compress(d, { pool: pools[cores], blockSize: 1 << 20, out: reusablePacked }), (c) => decompress(c, { pool: pools[cores], out: reusable })],
  [`wyvern gzip L6 into out, ${cores} workers`, (d) => compress(d, { pool: pools[cores], codec: 'gzip', level: 6, out: reusablePacked }), (c) => decompress(c, { pool: pools[cores], codec: 'gzip', out: reusable })],
  ['peer-lz4-wasm', (d) => lz4wasm.compress(d), (c) => lz4wasm.decompress(c)],
  ['peer-lz4js', (d) => lz4js.compress(d), (c) => lz4js.decompress(c)],
  ['peer-node:zlib gzip L1', (d) => zlib.gzipSync(d, { level: 1 }), (c) => zlib.gunzipSync(c)],
  ['peer-node:zlib gzip L6', (d) => zlib.gzipSync(d, { level: 6 }), (c) => zlib.gunzipSync(c)],
  ['peer-node:zlib deflate (zlib) L6', (d) => zlib.deflateSync(d, { level: 6 }), (c) => zlib.inflateSync(c)],
  ['peer-pako gzip L1', (d) => pako.gzip(d, { level: 1 }), (c) => pako.ungzip(c)],
  ['peer-pako gzip L6', (d) => pako.gzip(d, { level: 6 }), (c) => pako.ungzip(c)],
  ['peer-node:zlib brotli Q1', (d) => zlib.brotliCompressSync(d, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } }), (c) => zlib.brotliDecompressSync(c)],
  ['peer-node:zlib brotli Q5', (d) => zlib.brotliCompressSync(d, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } }), (c) => zlib.brotliDecompressSync(c)],
  ['peer-CompressionStream gzip (zlib L6)', (d) => throughStream(d, new CompressionStream('gzip')), (c) => throughStream(c, new DecompressionStream('gzip'))],
  ['peer-fflate gzip L1', (d) => fflate.gzipSync(d, { level: 1 }), (c) => fflate.gunzipSync(c)],
  ['peer-fflate gzip L6', (d) => fflate.gzipSync(d, { level: 6 }), (c) => fflate.gunzipSync(c)],
  ['peer-fflate gzip L6 into out', (d) => fflate.gzipSync(d, { level: 6 }), (c) => fflate.gunzipSync(c, { out: reusableForPeer })],
];

// One untimed call first, for every row alike: a first call pays for what later ones reuse (memory a
// pool's heap or a peer's wasm memory touches for the first time, code being optimised). Measured: wyvern's
// LZ4 on one worker, the first row, ran at ~260 MB/s without it and ~400 with it. Then every codec once per
// round, in turn: the cost of new memory on this kind of VM moves within a minute, and a codec timed in a
// block of its own would carry whatever minute it drew.
async function timeRounds(data) {
  const entries = [];
  for (const [name, pack, unpack] of codecs) {
    // A copy: a codec compressing into a reused `out` overwrites it in later calls.
    const packed = (await pack(data)).slice();
    const out = await unpack(packed);
    if (out.length !== data.length || !Buffer.from(out.buffer, out.byteOffset, out.length).equals(Buffer.from(data.buffer, data.byteOffset, data.length))) {
      throw new Error(`${name} did not round-trip`);
    }
    entries.push({ name, pack, unpack, packed, packMs: [], unpackMs: [] });
  }
  for (let r = 0; r < REPEATS; r++) {
    for (const entry of entries) {
      let start = performance.now();
      await entry.pack(data);
      entry.packMs.push(performance.now() - start);
      start = performance.now();
      await entry.unpack(entry.packed);
      entry.unpackMs.push(performance.now() - start);
    }
  }
  return entries;
}

const mbps = (ms) => SIZE / 1e6 / (median(ms) / 1000);
const rows = [];
const scaling = [];
for (const [inputName, make] of [['text', textCorpus], ['numeric', numericArray], ['random', randomBytes]]) {
  const entries = await timeRounds(make());
  for (const { name, packed, packMs, unpackMs } of entries) {
    rows.push({
      input: inputName,
      codec: name,
      'compress MB/s': mbps(packMs).toFixed(0),
      'decompress MB/s': mbps(unpackMs).toFixed(0),
      ratio: (SIZE / packed.length).toFixed(2),
    });
  }
  // The comparison the parallel codecs exist for: N workers against one, compressing, in the same rounds.
  const speed = (name) => mbps(entries.find((entry) => entry.name.startsWith(name)).packMs);
  for (const codec of ['lz4', 'lz4 into out', 'gzip L1', 'gzip L6', 'zlib L6']) {
    scaling.push(`${inputName} ${codec} ${(speed(`wyvern ${codec}, ${cores} workers`) / speed(`wyvern ${codec}, 1 worker`)).toFixed(2)}x`);
  }
}
console.log(`\nCompression, ${values.mib} MiB inputs, median of ${REPEATS} (${describeMachine()})\n`);
printTable(rows);
console.log(`\ncompress, ${cores} workers against 1 (same rounds): ${scaling.join(', ')}`);
console.log('\nanchors (100 MiB text, one thread): lz4-wasm ~370 / 860 MB/s, native lz4 ~460 / 750, zlib L1 170 / 437, L6 46 / 386, fflate L1 55 / 149;');
console.log('targets: wyvern LZ4 on one worker >= 450 MB/s compress and >= 1000 MB/s decompress on text; 2 workers >= 1.8x one;');
console.log('DEFLATE L1 >= 2x fflate speed, ratio within 3% of zlib L1; L6 >= fflate speed, ratio within 2% of zlib L6; inflate >= 2x fflate; parallel gzip faster than node:zlib');
saveResults('compression', { mib: Number(values.mib), repeats: REPEATS, rows });
for (const pool of Object.values(pools)) await pool.terminate();
