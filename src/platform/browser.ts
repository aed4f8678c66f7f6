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
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  const lifeLock = locks ? `wyvern-worker-${crypto.randomUUID()}` : undefined;
  const exitListeners: ((code: number, error?: Error) => void)[] = [];
  let exited = false;
  // terminate() returns at once, but the worker's thread may run on for a while (a busy one until it is
  // interrupted): the pool must not reuse the slots it was running before then, or that thread's late
  // finish lands in a task that took the slot since (seen in Chromium: a new task resolved with the
  // abandoned one's result). The worker holds a Web Lock for its life; it is granted here once the
  // worker is gone; the page then keeps it, so that a worker terminated before it took the lock never
  // gets past its start. Without Web Locks, the exit is reported at once.
  let reported = false;
  const report = (code: number, error?: Error): void => {
    if (reported) return;
    reported = true;
    for (const listener of exitListeners) listener(code, error);
  };
  const exit = (code: number, error?: Error, immediately = false): void => {
    if (immediately) queueMicrotask(() => report(code, error));
    if (exited) return;
    exited = true;
    worker.terminate();
    if (!locks || !lifeLock) return queueMicrotask(() => report(code, error));
    void locks.request(lifeLock, () => {
      report(code, error);
      return new Promise<never>(() => {});
    });
  };
  worker.addEventListener('error', (event) => {
    event.preventDefault();
    exit(1, new Error(event.message || 'worker failed'));
  });
  worker.postMessage({ ...init, lifeLock } satisfies WorkerInit);
  return {
    onMessage: (listener) =>
      worker.addEventListener('message', (event) => {
        const message = event.data as WorkerMessage;
        if (message.type === 'stopped') exit(0);
        else if (message.type === 'crashed') exit(1, Object.assign(new Error(message.error.message), { stack: message.error.stack }));
        else listener(message);
      }),
    onExit: (listener) => void exitListeners.push(listener),
    // Browsers send no exit event: exit() reports it once the worker is gone (or at once, if asked).
    terminate: (immediately) => exit(0, undefined, immediately),
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
