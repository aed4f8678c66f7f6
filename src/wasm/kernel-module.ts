/**
 * The compiled kernels, one per process (or page): every pool shares the
 * module, and its workers instantiate it over their pool's memory.
 */

import { loadKernelModule, preferredKernelVariant } from '#platform';
import type { KernelVariant } from './variant.js';

let chosenVariant: KernelVariant | undefined;
let compiled: Promise<WebAssembly.Module> | undefined;

/**
 * Which build of the kernels this process's pools run: `'relaxed'` (relaxed
 * SIMD, fused multiply-add) where the engine supports it, else `'baseline'`
 * (SIMD128); `WYVERN_KERNELS` (an environment variable in Node, a global in
 * browsers) overrides the choice. Decided once, on first use.
 */
export function kernelVariant(): KernelVariant {
  return (chosenVariant ??= preferredKernelVariant());
}

/** The kernels' module, compiled on first use; a load that failed (a network error) is tried again by the next caller. */
export function kernelModule(): Promise<WebAssembly.Module> {
  if (compiled) return compiled;
  const loading = loadKernelModule(kernelVariant());
  compiled = loading;
  loading.catch(() => {
    if (compiled === loading) compiled = undefined;
  });
  return loading;
}
