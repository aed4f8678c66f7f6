/**
 * Node.js: workers are `worker_threads`, kernels are read from the file
 * system. The worker script and the wasm module are built into build/ (see
 * scripts/build.mjs); their URLs are relative to this file, which sits two
 * directories below the package root both in src/ and in build/dist/.
 */

import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { SpawnOptions, WorkerHandle, WorkerInit, WorkerMessage } from './types.js';

export const platformName = 'node';

export function defaultWorkerCount(): number {
  return availableParallelism();
}

export async function loadKernelModule(): Promise<WebAssembly.Module> {
  const bytes = await readFile(new URL('../../build/wasm/kernels.wasm', import.meta.url));
  return WebAssembly.compile(bytes);
}

/**
 * The parent's Node flags minus those that only make sense for the main
 * script: workers inherit `execArgv`, and `--input-type` (from `node
 * --input-type=module -e ...`) makes a worker refuse to start.
 */
function workerExecArgv(): string[] {
  return process.execArgv.filter((flag) => !flag.startsWith('--input-type'));
}

export function spawnWorker(init: WorkerInit, options: SpawnOptions): WorkerHandle {
  const worker = new Worker(new URL('../../build/worker/node.js', import.meta.url), {
    workerData: init,
    resourceLimits: options.resourceLimits,
    execArgv: workerExecArgv(),
  });
  let exitError: Error | undefined;
  worker.on('error', (error) => {
    exitError = error;
  });
  return {
    onMessage: (listener) => worker.on('message', (message: WorkerMessage) => listener(message)),
    onExit: (listener) => worker.once('exit', (code) => listener(code, exitError)),
    terminate: () => void worker.terminate(),
    setKeepAlive: (keepAlive) => (keepAlive ? worker.ref() : worker.unref()),
  };
}
