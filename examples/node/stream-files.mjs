// Files through wyvern's compression streams with Node's own streams: a file
// is gzipped (or LZ4-framed) on the pool's workers as it is read, written out,
// then decompressed as it is read back — neither side holds a whole file.
// Node streams and web streams meet through Readable.toWeb / Writable.toWeb.
// The .gz file is an ordinary gzip file (gzip -d and zcat read it).
//
//   node examples/node/stream-files.mjs <input file> [--codec gzip|lz4] [--level 6]
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { Pool, compressStream, decompressStream } from '../../build/dist/node.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { codec: { type: 'string', default: 'gzip' }, level: { type: 'string' } } });
const input = positionals[0];
if (!input || !['gzip', 'lz4'].includes(values.codec)) {
  console.error('usage: node examples/node/stream-files.mjs <input file> [--codec gzip|lz4] [--level N]');
  process.exit(2);
}
const packedPath = `${input}.${values.codec === 'gzip' ? 'gz' : 'lz4'}`;
const restoredPath = `${input}.restored`;
const level = values.level === undefined ? undefined : Number(values.level);

const pool = new Pool();
try {
  let start = performance.now();
  await Readable.toWeb(createReadStream(input))
    .pipeThrough(compressStream({ pool, codec: values.codec, level }))
    .pipeTo(Writable.toWeb(createWriteStream(packedPath)));
  const packSeconds = (performance.now() - start) / 1000;

  start = performance.now();
  await Readable.toWeb(createReadStream(packedPath))
    .pipeThrough(decompressStream({ pool, codec: values.codec }))
    .pipeTo(Writable.toWeb(createWriteStream(restoredPath)));
  const unpackSeconds = (performance.now() - start) / 1000;

  const [size, packed, restored] = [input, packedPath, restoredPath].map((path) => statSync(path).size);
  const mb = size / 1e6;
  console.log(`${input}: ${size} bytes → ${packedPath}: ${packed} bytes (ratio ${(size / Math.max(1, packed)).toFixed(2)}) in ${packSeconds.toFixed(3)} s (${(mb / packSeconds).toFixed(0)} MB/s)`);
  console.log(`${packedPath} → ${restoredPath}: ${restored} bytes in ${unpackSeconds.toFixed(3)} s (${(mb / unpackSeconds).toFixed(0)} MB/s)`);
  if (restored !== size) {
    console.error('the restored file differs in size');
    process.exitCode = 1;
  }
} finally {
  await pool.terminate();
}
