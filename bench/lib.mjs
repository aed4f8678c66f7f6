// Shared helpers for the benchmarks: machine description, medians, result files.
import { execSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import v8 from 'node:v8';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelVariant } from '../build/dist/node.js';

const here = dirname(fileURLToPath(import.meta.url));

export function machine() {
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: here, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {}
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    runtime: `Node ${process.version}`,
    kernels: kernelVariant(),
    platform: `${os.platform()} ${os.arch()}`,
    commit,
    date: new Date().toISOString(),
    // Settings that change what new memory costs (README, docs/performance.md): a run under them is not
    // comparable with one without.
    memoryEnvironment: Object.fromEntries(Object.entries(process.env).filter(([key]) => key === 'GLIBC_TUNABLES' || key.startsWith('MALLOC_'))),
  };
}

/**
 * The kernels' module as the pools run it: the same build (kernelVariant()),
 * compiled with V8's optimising tier up front as src/platform/node.ts does. For
 * benchmarks that call the kernels' exports without a pool.
 */
export function poolKernelModule() {
  v8.setFlagsFromString('--no-wasm-dynamic-tiering');
  return new WebAssembly.Module(readFileSync(new URL(`../build/wasm/${kernelVariant() === 'relaxed' ? 'kernels-relaxed' : 'kernels'}.wasm`, import.meta.url)));
}

export function describeMachine(m = machine()) {
  const environment = Object.entries(m.memoryEnvironment ?? {}).map(([key, value]) => `${key}=${value}`);
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.runtime}, ${m.kernels} kernels, commit ${m.commit}${environment.length ? `, ${environment.join(' ')}` : ''}`;
}

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Throws unless the two byte arrays (or typed arrays, compared as bytes) are equal: a benchmark checks what it timed. */
export function assertSameBytes(actual, expected, what) {
  const bytes = (v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (actual.byteLength !== expected.byteLength || Buffer.compare(bytes(actual), bytes(expected)) !== 0) throw new Error(`${what}: the output differs from the input`);
}

export const mean = (values) => values.reduce((s, v) => s + v, 0) / values.length;
export const std = (values) => {
  const m = mean(values);
  return Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / Math.max(1, values.length - 1));
};

/** Writes `bench/results/<name>.json` with the machine description. */
export function saveResults(name, results) {
  mkdirSync(join(here, 'results'), { recursive: true });
  const file = join(here, 'results', `${name}.json`);
  writeFileSync(file, JSON.stringify({ machine: machine(), results }, null, 2) + '\n');
  return file;
}

/** Prints rows as an aligned table. */
export function printTable(rows) {
  // Every key of every row, in first-seen order; a row without a column shows an empty cell.
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  rows = rows.map((r) => Object.fromEntries(keys.map((k) => [k, r[k] ?? ''])));
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => String(r[k]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  console.log(line(keys));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(keys.map((k) => r[k])));
}

/**
 * A text corpus of `size` bytes written into `out` at `offset`: the JavaScript, TypeScript, Markdown
 * and JSON files under node_modules, concatenated (repeated if they are fewer bytes than asked).
 */
export function textCorpusInto(out, offset, size) {
  let at = 0;
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      if (at >= size) return;
      const path = join(dir, name);
      const stat = statSync(path, { throwIfNoEntry: false });
      if (stat?.isDirectory()) walk(path);
      else if (stat && /\.(js|ts|md|json)$/.test(name)) {
        const bytes = readFileSync(path);
        const take = Math.min(bytes.length, size - at);
        out.set(bytes.subarray(0, take), offset + at);
        at += take;
      }
    }
  };
  while (at < size) walk(join(here, '..', 'node_modules'));
  return out;
}
