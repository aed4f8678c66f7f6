// SIMD helpers shared by the kernels.

// acc + a · b. In the relaxed-SIMD build (scripts/build.mjs) this is one fused
// multiply-add where the CPU has one: rounded once, so results may differ from
// the baseline build's separate multiply and add in the last bit. The condition
// is a compile-time constant; each build holds one of the two bodies.
@inline export function madd32(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

@inline export function madd64(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(a, b, acc);
  return f64x2.add(acc, f64x2.mul(a, b));
}
