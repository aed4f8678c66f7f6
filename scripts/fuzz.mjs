// Long fuzz runs of the decoders, on demand (the test suite runs 500,000 inputs of each per platform).
//   node scripts/fuzz.mjs [--inputs 10000000] [--seed 1] [--codec lz4|deflate|deflate-stream|all]
// Feeds random bytes and bit-flipped valid streams to the LZ4 block decoder, the DEFLATE decoder and the
// resumable DEFLATE decoder of streams (random start bits, the guard before the output as history) of
// build/wasm/kernels.wasm, with guard bytes around the output; the DEFLATE decoder's results are also
// compared with Node's zlib on the same input. Prints any input that writes outside its output, returns an
// unknown code or (DEFLATE) disagrees with zlib, as hex ready for test/fixtures/lz4-corpus/ or
// test/fixtures/deflate-corpus/make.mjs, and exits 1.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';

const { values } = parseArgs({ options: { inputs: { type: 'string', default: '10000000' }, seed: { type: 'string', default: '1' }, codec: { type: 'string', default: 'all' } } });
const INPUTS = Number(values.inputs);
const module = new WebAssembly.Module(readFileSync(new URL('../build/wasm/kernels.wasm', import.meta.url)));
const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
const { exports: k } = new WebAssembly.Instance(module, { env: { memory }, wyvern: { kernelError: (code) => { throw new Error(`kernel error ${code}`); } } });
const base = k.heapStart();
memory.grow(base / 65536 + 16);
const bytes = new Uint8Array(memory.buffer);
const GUARD = 64;
const CAPACITY = 16384;
const scratch = base;
const src = scratch + 2 ** 19;
const outStart = src + 2 ** 17;
const dst = outStart + GUARD;

let state = Number(values.seed) >>> 0 || 1;
const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
const text = (n) => Buffer.from(Array.from({ length: n }, (_, i) => 'fuzz the decoder '.repeat(1 + (i % 3)) + String(i % 17)).join(''));

const seedsFor = {
  lz4: () => [30, 300, 3000].map((n) => {
    const input = text(n);
    bytes.set(input, src);
    const length = k.lz4_compress_block(src, input.length, dst, k.lz4CompressBound(input.length), scratch, 1);
    return bytes.slice(dst, dst + length);
  }),
  deflate: () => [0, 1, 6, 9].flatMap((level) => [30, 300, 3000].map((n) => new Uint8Array(zlib.deflateRawSync(text(n), { level })))),
  // Also streams made with the history (the guard's 0xa5 bytes) as preset dictionary, which reach back into it.
  'deflate-stream': () => [...seedsFor.deflate(), ...[1, 6, 9].map((level) => new Uint8Array(zlib.deflateRawSync(Buffer.concat([Buffer.alloc(20, 0xa5), text(300)]), { level, dictionary: Buffer.alloc(GUARD, 0xa5) })))],
};
const decode = {
  lz4: (length, capacity) => k.lz4_decompress_block(src, length, dst, capacity, 0),
  deflate: (length, capacity) => k.inflate_raw(src, length, dst, capacity, scratch),
  'deflate-stream': (length, capacity) => {
    const startBit = length > 0 && next() % 4 === 0 ? next() % 8 : 0;
    const history = next() % 2 === 0 ? GUARD : next() % (GUARD + 1);
    const result = k.inflate_stream(src, length, startBit, dst, capacity, history, scratch);
    // Stopped inside a block: the boundary must lie within what the call was given.
    if ((result === -1 || result === -2) && (k.inflateBoundaryBits(scratch) < startBit || k.inflateBoundaryBits(scratch) > 8 * length || k.inflateBoundaryOutput(scratch) > capacity)) return -100;
    return result;
  },
};
function agreesWithZlib(input, capacity, result) {
  let reference;
  try {
    reference = zlib.inflateRawSync(input);
  } catch {
    return result < 0;
  }
  if (reference.length > capacity) return result === -2;
  return result === reference.length && reference.every((value, i) => bytes[dst + i] === value);
}
const codecs = values.codec === 'all' ? Object.keys(decode) : [values.codec];
for (const codec of codecs) {
  const seeds = seedsFor[codec]();
  const started = performance.now();
  let ok = 0;
  for (let n = 0; n < INPUTS; n++) {
    let input;
    if (n % 3 === 0) {
      input = new Uint8Array(next() % 128);
      for (let i = 0; i < input.length; i++) input[i] = next() & 255;
    } else {
      input = seeds[next() % seeds.length].slice();
      for (let m = 0, count = 1 + (next() % 4); m < count; m++) input[next() % input.length] ^= 1 << (next() % 8);
      if (next() % 4 === 0) input = input.subarray(0, next() % (input.length + 1));
    }
    bytes.fill(0xa5, outStart, outStart + CAPACITY + 2 * GUARD);
    bytes.set(input, src);
    const capacity = next() % (CAPACITY + 1);
    const result = decode[codec](input.length, capacity);
    let bad = result > capacity || result < -7;
    for (let g = 0; g < GUARD && !bad; g++) bad = bytes[outStart + g] !== 0xa5 || bytes[dst + CAPACITY + g] !== 0xa5;
    for (let i = dst + capacity; i < dst + CAPACITY && !bad; i++) bad = bytes[i] !== 0xa5;
    // Raw DEFLATE decoded whole is also held to zlib's verdict: the same bytes where zlib decodes the input
    // and they fit, 'output full' where they do not, an error code where zlib rejects the input.
    if (!bad && codec === 'deflate') bad = !agreesWithZlib(input, capacity, result);
    if (bad) {
      console.log(`${codec}: input #${n} (capacity ${capacity}) misbehaved, result ${result}:\n${Buffer.from(input).toString('hex')}`);
      process.exit(1);
    }
    if (result >= 0) ok++;
    if (n > 0 && n % 1_000_000 === 0) console.log(`${codec}: ${n.toLocaleString('en-US')} inputs, ${ok.toLocaleString('en-US')} decoded`);
  }
  console.log(`${codec}: ${INPUTS.toLocaleString('en-US')} inputs clean (${ok.toLocaleString('en-US')} decoded) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
