/**
 * The kernels are built twice from the same source (scripts/build.mjs): a
 * baseline that needs SIMD128 only, and one that also uses relaxed SIMD, whose
 * fused multiply-add makes matmul about 1.2× faster. The runtime picks the
 * relaxed build where the engine validates relaxed-SIMD code (Chromium ≥ 114,
 * Node ≥ 22, Node 20 once its flag is on; see the platform modules).
 *
 * Fused multiply-add rounds once where multiply-then-add rounds twice, and
 * whether relaxed SIMD fuses depends on the CPU, so the two builds can differ
 * in the last bits of matmul results (only matmul uses it; conv2d is the same
 * in both).
 */
import { ArgumentRangeError } from '../errors.js';

/** Which build of the kernels runs: with relaxed SIMD (fused multiply-add) where the engine has it, or plain SIMD128. */
export type KernelVariant = 'relaxed' | 'baseline';

export const KERNEL_VARIANTS: readonly KernelVariant[] = ['relaxed', 'baseline'];

/** File name of each build under build/wasm/. */
export const KERNEL_FILES: Readonly<Record<KernelVariant, string>> = { relaxed: 'kernels-relaxed.wasm', baseline: 'kernels.wasm' };

// (module (func (result v128) (f32x4.relaxed_madd (v128.const 0) (v128.const 0) (v128.const 0))))
const ZERO_V128 = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
const PROBE_BODY = [0x00, ...ZERO_V128, ...ZERO_V128, ...ZERO_V128, 0xfd, 0x85, 0x02, 0x0b];
const RELAXED_SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, PROBE_BODY.length + 2, 0x01, PROBE_BODY.length, ...PROBE_BODY, // code section
]);

/** Whether this engine compiles relaxed-SIMD code now. */
export function engineHasRelaxedSimd(): boolean {
  return WebAssembly.validate(RELAXED_SIMD_PROBE);
}

/** Reads a requested variant (an environment variable or global); undefined when none was requested. */
export function parseKernelVariant(value: unknown, source: string): KernelVariant | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'relaxed' || value === 'baseline') return value;
  throw new ArgumentRangeError('WYVERN_KERNELS', `${source} must be "relaxed" or "baseline"; got ${JSON.stringify(value)}`);
}
