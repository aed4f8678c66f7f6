/**
 * Node.js: workers are `worker_threads`, kernels are read from the file
 * system. The worker script and the wasm module are built into build/ (see
 * scripts/build.mjs); their URLs are relative to this file, which sits two
 * directories below the package root both in src/ and in build/dist/.
 */

import { randomBytes } from 'node:crypto';
import { lstat, open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { ArgumentRangeError } from '../errors.js';
import type { ByteSink, ByteSource, SpawnOptions, WorkerHandle, WorkerInit, WorkerMessage } from './types.js';
import { engineHasRelaxedSimd, KERNEL_FILES, parseKernelVariant, type KernelVariant } from '../wasm/variant.js';

export const platformName = 'node';

export function defaultWorkerCount(): number {
  return availableParallelism();
}

/** Node always has SharedArrayBuffer and shared WebAssembly memory. */
export function checkSharedMemoryAvailable(): void {}

/**
 * The relaxed-SIMD build where V8 supports it, unless `WYVERN_KERNELS`
 * (`relaxed` or `baseline`) says otherwise. Node 20's V8 (11.3) ships relaxed
 * SIMD behind a flag, which we turn on; Node 22 has it on already.
 */
export function preferredKernelVariant(): KernelVariant {
  const requested = parseKernelVariant(process.env.WYVERN_KERNELS, 'the WYVERN_KERNELS environment variable');
  if (requested === 'baseline') return requested;
  if (!engineHasRelaxedSimd()) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  if (engineHasRelaxedSimd()) return 'relaxed';
  if (requested === 'relaxed') throw new ArgumentRangeError('WYVERN_KERNELS', 'the WYVERN_KERNELS environment variable asks for "relaxed", but this Node.js cannot compile relaxed SIMD: use "baseline" or leave it unset');
  return 'baseline';
}

export async function loadKernelModule(variant: KernelVariant = preferredKernelVariant()): Promise<WebAssembly.Module> {
  const bytes = await readFile(new URL(`../../build/wasm/${KERNEL_FILES[variant]}`, import.meta.url));
  // V8 runs new wasm code in its baseline compiler (Liftoff) and optimises a
  // function only after it has run hot; a kernel called a few times on large
  // inputs runs mostly unoptimised (matmul: 18 instead of 30 GFLOP/s).
  // Without dynamic tiering V8 optimises every function of a module in the
  // background as soon as it is compiled. The flag applies to modules compiled
  // afterwards (ours, and other wasm in the process: their code gets optimised
  // eagerly too, which costs background compile time only).
  v8.setFlagsFromString('--no-wasm-dynamic-tiering');
  return WebAssembly.compile(bytes);
}

/**
 * Workers inherit the parent's `execArgv`, and `--input-type` (from `node
 * --input-type=module -e ...`) makes a worker refuse to start. Only then do we
 * pass an explicit list, without it; an explicit list must hold per-thread
 * Node options only (V8 flags are refused), so if Node refuses it we fall back
 * to none. Otherwise the inherited flags stay untouched.
 */
function createWorker(url: URL, options: WorkerOptions): Worker {
  const inherited = process.execArgv;
  const filtered = inherited.filter((flag) => !flag.startsWith('--input-type'));
  if (filtered.length === inherited.length) return new Worker(url, options);
  try {
    return new Worker(url, { ...options, execArgv: filtered });
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw error;
    return new Worker(url, { ...options, execArgv: [] });
  }
}

export function spawnWorker(init: WorkerInit, options: SpawnOptions): WorkerHandle {
  const worker = createWorker(new URL('../../build/worker/node.js', import.meta.url), {
    workerData: init,
    resourceLimits: options.resourceLimits,
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

/** Creates (or truncates) a file path or file: URL for dump() to write in order. */
export async function openFileSink(target: string | URL): Promise<ByteSink> {
  // Written beside the target and renamed over it at close: a dump that fails part-way leaves the
  // earlier file (or none) in place, never a truncated one. Written in place instead where a rename
  // would not replace the file the user means: anything but a regular file (a device, a pipe), a
  // symbolic link (the rename would replace the link, not its target) and a file with other hard links.
  const path = target instanceof URL ? fileURLToPath(target) : target;
  const existing = await lstat(path).catch(() => undefined);
  const writeTo = (file: FileHandle) => async (bytes: Uint8Array) => {
    for (let done = 0; done < bytes.length; ) done += (await file.write(bytes, done, bytes.length - done)).bytesWritten;
  };
  if (existing && (!existing.isFile() || existing.nlink > 1)) {
    // Opened without truncating ('w' would empty it at once, before any section is made), cut to what was
    // written at close: a dump that fails before its first write leaves the file as it was.
    const file = await open(path, 'r+');
    let written = 0;
    const write = writeTo(file);
    return {
      write: async (bytes) => {
        await write(bytes);
        written += bytes.length;
      },
      async close() {
        try {
          if ((await file.stat()).isFile()) await file.truncate(written);
        } finally {
          await file.close();
        }
      },
      abort: () => file.close(),
    };
  }
  // A short name beside the target: the target's name plus a suffix could pass the file system's limit on
  // a name (255 bytes) where the target's own does not.
  const partial = join(dirname(path), `.wyvern-${randomBytes(8).toString('hex')}.partial`);
  const file = await open(partial, 'wx').catch((error: NodeJS.ErrnoException) => {
    // Said of the target, not of the file beside it (a missing directory, no permission).
    error.message = error.message.replace(partial, path);
    error.path = path;
    throw error;
  });
  // The new file keeps the old one's permissions (a private file must not become readable by others).
  if (existing) await file.chmod(existing.mode & 0o7777).catch(() => {});
  return {
    write: writeTo(file),
    async close() {
      try {
        await file.close();
        await rename(partial, path);
      } catch (error) {
        await rm(partial, { force: true });
        throw error;
      }
    },
    async abort() {
      await file.close().catch(() => {});
      await rm(partial, { force: true });
    },
  };
}

/** Opens a file path or file: URL for reading by position (load). */
export async function openFileSource(source: string | URL): Promise<ByteSource> {
  const file = await open(source, 'r');
  const { size } = await file.stat().catch(async (error: unknown) => {
    await file.close();
    throw error;
  });
  return {
    size,
    async read(position, into) {
      for (let done = 0; done < into.length; ) {
        const { bytesRead } = await file.read(into, done, into.length - done, position + done);
        if (bytesRead === 0) throw new RangeError(`${String(source)} ends at ${position + done}, before ${position + into.length}`);
        done += bytesRead;
      }
    },
    close: () => file.close(),
  };
}
