// Files through wyvern's compression streams with Node's own streams: a file
// is gzipped (or LZ4-framed) on the pool's workers as it is read, written out,
// then decompressed as it is read back — neither side holds a whole file.
// Node streams and web streams meet through Readable.toWeb / Writable.toWeb.
// The .gz file is an ordinary gzip file (gzip -d and zcat read it).
//
//   node examples/node/stream-files.mjs <input file> [--codec gzip|lz4] [--level N]
//   (N: gzip 0-9, 6 by default; lz4 1-12, 1 by default)
import { accessSync, constants, createReadStream, createWriteStream, rmSync, statSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { Pool, compressStream, decompressStream } from '../../build/dist/node.js';
import { integer, oneOf, parseCommandLine } from './cli.mjs';

/** Each codec's levels (as zlib's and the lz4 tool's). */
const LEVELS = { gzip: { min: 0, max: 9 }, lz4: { min: 1, max: 12 } };
const { values, positionals: [input], badValue, fail } = parseCommandLine({
  usage: 'node examples/node/stream-files.mjs <input file> [--codec gzip|lz4] [--level N]',
  description:
    'Compresses <input file> on a pool as it is read, into <input file>.gz (or .lz4), then decompresses\n' +
    'that into <input file>.restored, both streamed; prints the sizes and speeds.',
  positionals: ['<input file>'],
  options: {
    codec: { ...oneOf(['gzip', 'lz4']), arg: 'gzip|lz4', default: 'gzip', help: 'compression format' },
    // Its range depends on the codec: checked below.
    level: { expected: 'an integer from 0 to 9 for gzip, from 1 to 12 for lz4', parse: (text) => text, defaultText: '6 for gzip, 1 for lz4', help: 'compression level' },
  },
});
let level;
if (values.level !== undefined) {
  const levels = integer(LEVELS[values.codec]);
  level = levels.parse(values.level);
  if (level === undefined) badValue('--level', `${levels.expected} for ${values.codec}`, values.level);
}
// The input is checked before any output is created: a missing input would leave an empty one behind.
const unreadable = (path) => {
  try {
    accessSync(path, constants.R_OK);
    return statSync(path).isFile() ? undefined : 'which is not a regular file';
  } catch (error) {
    return { ENOENT: 'which does not exist', EACCES: 'which cannot be read (permission denied)' }[error.code] ?? `which cannot be read (${error.message})`;
  }
};
const problem = unreadable(input);
if (problem) fail(`<input file> must be a readable file; got '${input}', ${problem}`);
const packedPath = `${input}.${values.codec === 'gzip' ? 'gz' : 'lz4'}`;
const restoredPath = `${input}.restored`;
// The outputs opened so far: removed if the run fails, so that no partial file is left behind.
const created = [];
const output = (path) => createWriteStream(path).on('open', () => created.push(path));

const pool = new Pool();
try {
  let start = performance.now();
  await Readable.toWeb(createReadStream(input))
    .pipeThrough(compressStream({ pool, codec: values.codec, level }))
    .pipeTo(Writable.toWeb(output(packedPath)));
  const packSeconds = (performance.now() - start) / 1000;

  start = performance.now();
  await Readable.toWeb(createReadStream(packedPath))
    .pipeThrough(decompressStream({ pool, codec: values.codec }))
    .pipeTo(Writable.toWeb(output(restoredPath)));
  const unpackSeconds = (performance.now() - start) / 1000;

  const [size, packed, restored] = [input, packedPath, restoredPath].map((path) => statSync(path).size);
  const mb = size / 1e6;
  console.log(`${input}: ${size} bytes → ${packedPath}: ${packed} bytes (ratio ${(size / Math.max(1, packed)).toFixed(2)}) in ${packSeconds.toFixed(3)} s (${(mb / packSeconds).toFixed(0)} MB/s)`);
  console.log(`${packedPath} → ${restoredPath}: ${restored} bytes in ${unpackSeconds.toFixed(3)} s (${(mb / unpackSeconds).toFixed(0)} MB/s)`);
  if (restored !== size) {
    console.error('the restored file differs in size');
    process.exitCode = 1;
  }
} catch (error) {
  // A file-system error (a full disk, an output that cannot be written) in one line; anything else with its stack.
  for (const path of created) rmSync(path, { force: true });
  if (!error?.syscall) throw error;
  console.error(`stream-files.mjs: ${error.message}`);
  process.exitCode = 1;
} finally {
  await pool.terminate();
}
