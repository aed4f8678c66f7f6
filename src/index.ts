/**
 * wyvern: parallel compute for JavaScript. WebAssembly kernels and plain
 * functions in a pool of workers that share one WebAssembly memory.
 *
 * @packageDocumentation
 */

export { Pool, type PoolOptions, type TaskOptions, type MapOptions, type ApplyAsyncOptions } from './pool/pool.js';
export { AsyncResult } from './pool/async-result.js';
export { defaultPool, closeDefaultPool } from './pool/default-pool.js';
export { matmul, type MatmulOptions } from './kernels/matmul.js';
export { dump, load, DUMP_FORMAT_VERSION, type DumpOptions, type LoadOptions, type DumpTarget, type ReadableFileHandle, type WritableFileHandle } from './persist/dump-load.js';
export { compressStream, decompressStream, type CompressStreamOptions, type DecompressStreamOptions } from './codecs/streams.js';
export { compress, decompress, type Codec, type CompressOptions, type DecompressOptions } from './codecs/compress.js';
export { conv2d, conv2dShape, type Conv2dOptions, type Conv2dMode, type Conv2dBoundary, type Conv2dFilter } from './kernels/conv2d.js';
export { task, type ModuleTask, type TaskFunction, type TaskArgs, type TaskResult } from './pool/task-function.js';
export { kernels, type Kernel, type KernelName } from './wasm/kernels.js';
export { kernelVariant } from './wasm/kernel-module.js';
export type { KernelVariant } from './wasm/variant.js';
export { SharedMatrix, type TypedArray, type TypedArrayConstructor } from './memory/shared-array.js';
export { AllocationScope } from './memory/allocator.js';
export type { HeapStatistics } from './memory/heap.js';
export type { WorkerContext } from './worker/context.js';
export {
  WyvernError,
  ArgumentTypeError,
  ArgumentRangeError,
  OutOfMemoryError,
  InvalidFreeError,
  WorkerExitError,
  TaskTimeoutError,
  PoolClosedError,
  KernelError,
  InlineFunctionError,
  InitializerError,
  SerializationError,
  CorruptDataError,
  OutputLimitError,
  HeapLockedError,
} from './errors.js';
