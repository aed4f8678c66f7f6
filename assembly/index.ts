// Entry of the kernels module: the export list every build shares.
// Kernels allocate nothing and keep no module-level buffers: every instance
// (one per worker) runs over the same shared memory.

import { HEAP_START } from "./layout";

export { sum_f64, fill_f64, axpy_f64 } from "./kernels/vector";
export { conv2d_f64, conv2d_f32 } from "./kernels/conv2d";
export { matmul_f32, matmul_f64, matmulScratchBytes_f32, matmulScratchBytes_f64 } from "./kernels/matmul";
export { lz4_compress_block, lz4_compress_block_hc, lz4_compress_block_opt, lz4_decompress_block, lz4CompressBound, lz4HashBytes, lz4HcScratchBytes } from "./kernels/lz4";
export { xxhash32, xxhash32_reset, xxhash32_update, xxhash32_digest, xxhashStateBytes } from "./kernels/xxhash32";
export { inflate_raw, inflate_stream, inflateConsumed, inflateBoundaryBits, inflateBoundaryOutput, inflateScratchBytes, adler32, crc32 } from "./kernels/inflate";
export { deflate_raw, deflateScratchBytes, deflateBound } from "./kernels/deflate";

/** The heap start this module was compiled with (checked against src/memory/layout.ts). */
export function heapStart(): u32 {
  return HEAP_START;
}
