/**
 * The built-in WebAssembly kernels, as tasks.
 *
 * On the main thread a kernel is a {@link Kernel} reference (name and
 * index) that `pool.apply(kernels.sumF64, [x])` sends by number. In a worker,
 * {@link bindKernels} turns the instance's raw exports (byte addresses and
 * lengths) into functions over shared typed arrays, checking that each array
 * really lives in the shared memory before its address is used.
 */

import { ArgumentTypeError, describe } from '../errors.js';
import { HEAP_START } from '../memory/layout.js';
import type { MemoryViews } from '../memory/views.js';
import { KernelErrorReporter } from './kernel-errors.js';

/** Raw exports of build/wasm/kernels.wasm (assembly/index.ts). Addresses are byte offsets into the shared memory. */
export interface KernelExports {
  heapStart(): number;
  sum_f64(ptr: number, length: number): number;
  fill_f64(ptr: number, length: number, value: number): void;
  axpy_f64(alpha: number, xPtr: number, xLength: number, yPtr: number, yLength: number): void;
}

declare const KERNEL_SIGNATURE: unique symbol;
/** A reference to a built-in kernel: pass it to Pool methods as the task. */
export interface Kernel<Args extends unknown[] = unknown[], Result = unknown> {
  readonly kind: 'kernel';
  readonly name: string;
  readonly index: number;
  /** Type-level only: the kernel's signature. */
  readonly [KERNEL_SIGNATURE]?: (...args: Args) => Result;
}

type Bound = (...args: never[]) => unknown;

/** Kernel definitions: argument names (for messages) and the call over raw exports. */
function definitions(exports: KernelExports, shared: (value: unknown, name: string, kind: 'Float64Array') => Float64Array) {
  return {
    /** Sum of a shared Float64Array. */
    sumF64: {
      argumentNames: ['x', 'x.length'],
      run: (x: Float64Array): number => {
        const a = shared(x, 'x', 'Float64Array');
        return exports.sum_f64(a.byteOffset, a.length);
      },
    },
    /** Fills a shared Float64Array with `value`. */
    fillF64: {
      argumentNames: ['x', 'x.length', 'value'],
      run: (x: Float64Array, value: number): void => {
        const a = shared(x, 'x', 'Float64Array');
        exports.fill_f64(a.byteOffset, a.length, value);
      },
    },
    /** y += alpha * x over shared Float64Arrays of equal length. */
    axpyF64: {
      argumentNames: ['alpha', 'x', 'x.length', 'y', 'y.length'],
      run: (alpha: number, x: Float64Array, y: Float64Array): void => {
        const a = shared(x, 'x', 'Float64Array');
        const b = shared(y, 'y', 'Float64Array');
        exports.axpy_f64(alpha, a.byteOffset, a.length, b.byteOffset, b.length);
      },
    },
  };
}

type Definitions = ReturnType<typeof definitions>;
export type KernelName = keyof Definitions;
const KERNEL_NAMES = ['sumF64', 'fillF64', 'axpyF64'] as const satisfies readonly KernelName[];

/** References to every built-in kernel, by name. */
export const kernels: { readonly [K in KernelName]: Kernel<Parameters<Definitions[K]['run']>, ReturnType<Definitions[K]['run']>> } =
  Object.freeze(
    Object.fromEntries(KERNEL_NAMES.map((name, index) => [name, Object.freeze({ kind: 'kernel', name, index })])),
  ) as never;

export function isKernel(value: unknown): value is Kernel {
  return typeof value === 'object' && value !== null && (value as Kernel).kind === 'kernel';
}

/** Instantiates the kernels over `memory` and checks that the module agrees with the layout. */
export function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory, reporter: KernelErrorReporter): KernelExports {
  const instance = new WebAssembly.Instance(module, { env: { memory }, wyvern: reporter.imports });
  const exports = instance.exports as unknown as KernelExports;
  if (exports.heapStart() !== HEAP_START) {
    throw new Error(`build/wasm/kernels.wasm was built for heap start ${exports.heapStart()}, the runtime expects ${HEAP_START}: rebuild with npm run build`);
  }
  return exports;
}

/** Kernel functions over shared typed arrays, indexed like {@link kernels}. */
export function bindKernels(module: WebAssembly.Module, views: MemoryViews): Bound[] {
  const reporter = new KernelErrorReporter();
  const exports = instantiateKernels(module, views.memory, reporter);
  const shared = (value: unknown, name: string, kind: 'Float64Array'): Float64Array => {
    if (!(value instanceof Float64Array) || !views.owns(value.buffer)) {
      throw new ArgumentTypeError(
        name,
        `\`${name}\` must be a ${kind} in the pool's shared memory (from pool.alloc); got ${describe(value)}${
          value instanceof Float64Array ? ' that is not shared' : ''
        }`,
      );
    }
    return value;
  };
  const defs = definitions(exports, shared);
  return KERNEL_NAMES.map((name) => {
    const def = defs[name] as { argumentNames: readonly string[]; run: Bound };
    return (...args: never[]) => {
      reporter.current = { name, argumentNames: def.argumentNames };
      return def.run(...args);
    };
  });
}
