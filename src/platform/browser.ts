/**
 * Browsers: workers are module Web Workers, kernels are fetched. The page
 * must be cross-origin isolated (COOP same-origin, COEP require-corp) for
 * SharedArrayBuffer and shared WebAssembly memory to exist.
 *
 * A Web Worker has no exit event: an uncaught error counts as its end (the
 * pool terminates it and starts another).
 */

import type { ByteSink, ByteSource, SpawnOptions, WorkerHandle, WorkerInit, WorkerMessage } from './types.js';
import { ArgumentRangeError, ArgumentTypeError, WyvernError } from '../errors.js';
import { blobSource } from '../persist/byte-source.js';
import { engineHasRelaxedSimd, parseKernelVariant, type KernelVariant } from '../wasm/variant.js';

export const platformName = 'browser';

export function defaultWorkerCount(): number {
  return navigator.hardwareConcurrency || 4;
}

/**
 * Pages get SharedArrayBuffer, and workers may share a WebAssembly memory, only when cross-origin
 * isolated; some browsers create a shared memory without it and only refuse to send it to a worker.
 */
export function checkSharedMemoryAvailable(): void {
  if (!globalThis.crossOriginIsolated) throw new WyvernError('ERR_NOT_ISOLATED', NOT_ISOLATED);
}

const NOT_ISOLATED =
  'wyvern needs a cross-origin isolated page for shared memory: serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp (or credentialless)';

/**
 * The relaxed-SIMD build where the browser supports it, unless the page set
 * `globalThis.WYVERN_KERNELS` (`relaxed` or `baseline`) before the first pool started.
 */
export function preferredKernelVariant(): KernelVariant {
  const requested = parseKernelVariant((globalThis as { WYVERN_KERNELS?: unknown }).WYVERN_KERNELS, 'globalThis.WYVERN_KERNELS');
  const relaxed = engineHasRelaxedSimd();
  if (requested === 'relaxed' && !relaxed) {
    throw new ArgumentRangeError('WYVERN_KERNELS', 'globalThis.WYVERN_KERNELS asks for "relaxed", but this browser cannot compile relaxed SIMD: use "baseline" or leave it unset');
  }
  return requested ?? (relaxed ? 'relaxed' : 'baseline');
}

export async function loadKernelModule(variant: KernelVariant = preferredKernelVariant()): Promise<WebAssembly.Module> {
  // Each file's URL written out in full: bundlers (Vite, webpack 5, Parcel) copy a file named by
  // `new URL('literal', import.meta.url)` into the app's output and rewrite the URL; a URL built from a
  // template or a variable they leave as it is, pointing at a build/ the deployed app does not have.
  const url =
    variant === 'relaxed' ? new URL('../../build/wasm/kernels-relaxed.wasm', import.meta.url) : new URL('../../build/wasm/kernels.wasm', import.meta.url);
  const response = await fetchOrExplain(url);
  return WebAssembly.compile(await response.arrayBuffer());
}

/** `fetch(url)`, its failures (network or HTTP status) as a WyvernError naming the URL. */
async function fetchOrExplain(url: string | URL): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new WyvernError('ERR_FETCH', `cannot fetch ${String(url)}: ${(error as Error).message}`, { cause: error });
  }
  if (!response.ok) throw new WyvernError('ERR_FETCH', `cannot fetch ${String(url)}: HTTP ${response.status}`);
  return response;
}

export function spawnWorker(init: WorkerInit, _options: SpawnOptions): WorkerHandle {
  checkSharedMemoryAvailable();
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
  // worker is gone. Every message comes after the worker took its lock (browser-entry takes it before it
  // runs): once one came, the grant means the worker is gone and the page lets the lock go. A worker never
  // heard from may not have taken it yet: the page keeps it then, so that such a worker, terminated before
  // its start, never gets past it. Without Web Locks, the exit is reported at once.
  let heardFrom = false;
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
      return heardFrom ? undefined : new Promise<never>(() => {});
    });
  };
  worker.addEventListener('error', (event) => {
    event.preventDefault();
    // A script that does not load (HTTP 404, a syntax error, a blocked origin) gives an event without a message.
    exit(1, new Error(event.message || `the worker script ${scriptUrl.href} failed to load or run`));
  });
  worker.postMessage({ ...init, lifeLock } satisfies WorkerInit);
  return {
    onMessage: (listener) =>
      worker.addEventListener('message', (event) => {
        heardFrom = true;
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

/** Browsers have no file paths: dump() writes to a file handle or returns bytes (load() also fetches URLs). */
export async function openFileSink(target: string | URL): Promise<ByteSink> {
  throw new ArgumentTypeError('target', `dump() cannot write to the path ${String(target)} in a browser: pass a file handle (the origin private file system: navigator.storage.getDirectory()), or call dump(value) without a target and keep the returned bytes (new Blob([bytes]))`);
}

/** Fetches a URL for load(): browsers have no file paths; the response is read whole, then by position. */
export async function openFileSource(source: string | URL): Promise<ByteSource> {
  const response = await fetchOrExplain(source);
  return blobSource(await response.blob());
}
