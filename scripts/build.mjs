// Builds everything under build/ (never committed):
//   build/wasm/kernels.wasm   AssemblyScript kernels: shared memory, threads, SIMD
//   build/wasm/kernels-relaxed.wasm   the same with relaxed SIMD (fused multiply-add)
//   build/worker/{node,browser}.js   the worker entries, bundled
//   build/dist/{node,browser}.js     the library, bundled per platform
//   build/types/                     its declarations (tsc)
// Runs on `npm ci` (prepare), before tests and before `npm start`.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = (...parts) => join(root, 'build', ...parts);
const quiet = process.argv.includes('--quiet');
const log = (message) => quiet || console.log(message);

mkdirSync(out('wasm'), { recursive: true });
const asc = join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
// Kernels import the pool's memory; 65536 pages is wasm32's ceiling, the pool picks its own maximum below it.
// Two builds of the same source: a baseline (SIMD128) and one that also uses
// relaxed SIMD (fused multiply-add), chosen at run time by src/wasm/variant.ts.
for (const [file, features] of [['kernels.wasm', []], ['kernels-relaxed.wasm', ['--enable', 'relaxed-simd']]]) {
  execFileSync(
    process.execPath,
    [
      asc, 'assembly/index.ts',
      '-o', `build/wasm/${file}`, '-t', `build/wasm/${file.replace('.wasm', '.wat')}`,
      '-O3', '--runtime', 'stub', '--noAssert',
      '--importMemory', '--sharedMemory', '--initialMemory', '1', '--maximumMemory', '65536',
      '--enable', 'simd', '--enable', 'threads', ...features,
    ],
    { cwd: root, stdio: 'inherit' },
  );
  log(`built build/wasm/${file}`);
}

const common = { bundle: true, format: 'esm', target: 'es2022', sourcemap: true, logLevel: quiet ? 'warning' : 'info', absWorkingDir: root };
await Promise.all([
  esbuild.build({ ...common, platform: 'node', conditions: ['node'], entryPoints: ['src/worker/node-entry.ts'], outfile: out('worker', 'node.js') }),
  esbuild.build({ ...common, platform: 'browser', conditions: ['browser'], entryPoints: ['src/worker/browser-entry.ts'], outfile: out('worker', 'browser.js') }),
  esbuild.build({ ...common, platform: 'node', conditions: ['node'], entryPoints: ['src/index.ts'], outfile: out('dist', 'node.js') }),
  esbuild.build({ ...common, platform: 'browser', conditions: ['browser'], entryPoints: ['src/index.ts'], outfile: out('dist', 'browser.js') }),
]);

execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
log('built build/types');
