/**
 * Browsers: workers are module Web Workers, kernels are fetched. The page
 * must be cross-origin isolated (COOP same-origin, COEP require-corp) for
 * SharedArrayBuffer and shared WebAssembly memory to exist.
 *
 * A Web Worker has no exit event: an uncaught error counts as its end (the
 * pool terminates it and starts another).
 */

import type { ByteSink, ByteSource, SpawnOptions, WorkerHandle, WorkerInit, WorkerMessage } from './types.js';
import { blobSource } from '../persist/byte-source.js';
import { engineHasRelaxedSimd, KERNEL_FILES, parseKernelVariant, type KernelVariant } from '../wasm/variant.js';

export const platformName = 'browser';

export function defaultWorkerCount(): number {
  return navigator.hardwareConcurrency || 4;
}

/**
 * The relaxed-SIMD build where the browser supports it, unless the page set
 * `globalThis.WYVERN_KERNELS` (`relaxed` or `baseline`) before the first pool started.
 */
export function preferredKernelVariant(): KernelVariant {
  const requested = parseKernelVariant((globalThis as { WYVERN_KERNELS?: unknown }).WYVERN_KERNELS, 'globalThis.WYVERN_KERNELS');
  return requested ?? (engineHasRelaxedSimd() ? 'relaxed' : 'baseline');
}

export async function loadKernelModule(variant: KernelVariant = preferredKernelVariant()): Promise<WebAssembly.Module> {
  // Through a variable: Vite rewrites `new URL(template, import.meta.url)` into a glob of the
  // directory, which loses the file when this module is served from build/dist.
  const here = import.meta.url;
  const url = new URL(`../../build/wasm/${KERNEL_FILES[variant]}`, here);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot load ${url}: HTTP ${response.status}`);
  return WebAssembly.compile(await response.arrayBuffer());
}

export function spawnWorker(init: WorkerInit, _options: SpawnOptions): WorkerHandle {
  if (!globalThis.crossOriginIsolated) {
    throw new Error('wyvern needs a cross-origin isolated page (COOP: same-origin, COEP: require-corp) for shared memory');
  }
  const scriptUrl = new URL('../../build/worker/browser.js', import.meta.url);
  const worker = new Worker(scriptUrl, { type: 'module', name: `wyvern-${init.workerIndex}` });
  const exitListeners: ((code: number, error?: Error) => void)[] = [];
  let exited = false;
  const exit = (code: number, error?: Error): void => {
    if (exited) return;
    exited = true;
    worker.terminate();
    for (const listener of exitListeners) listener(code, error);
  };
  worker.addEventListener('error', (event) => {
    event.preventDefault();
    exit(1, new Error(event.message || 'worker failed'));
  });
  worker.postMessage(init);
  return {
    onMessage: (listener) =>
      worker.addEventListener('message', (event) => {
        const message = event.data as WorkerMessage;
        if (message.type === 'stopped') exit(0);
        else if (message.type === 'crashed') exit(1, Object.assign(new Error(message.error.message), { stack: message.error.stack }));
        else listener(message);
      }),
    onExit: (listener) => void exitListeners.push(listener),
    // terminate() is synchronous in browsers: report the exit ourselves.
    terminate: () => queueMicrotask(() => exit(0)),
    setKeepAlive: () => {},
  };
}

/** Browsers have no file paths: dump() returns bytes (wrap them in a Blob) and load() takes bytes or a Blob. */
export async function openFileSink(target: string | URL): Promise<ByteSink> {
  throw new TypeError(`dump() cannot write to the path ${String(target)} in a browser: pass a file handle (the origin private file system: navigator.storage.getDirectory()), or call dump(value) without a target and keep the returned bytes (new Blob([bytes]))`);
}

/** Fetches a URL for load(): browsers have no file paths; the response is read whole, then by position. */
export async function openFileSource(source: string | URL): Promise<ByteSource> {
  const response = await fetch(source);
  if (!response.ok) throw new Error(`cannot load ${String(source)}: HTTP ${response.status}`);
  return blobSource(await response.blob());
}
