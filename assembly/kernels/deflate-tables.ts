// Tables of the DEFLATE format (RFC 1951) shared by the encoder and the decoder.
// As functions, not data segments: instances share one memory, and kernels keep no static data.

/** The order in which code-length code lengths are sent (RFC 1951 §3.2.7). */
@inline
export function codeLengthOrder(i: i32): i32 {
  switch (i) {
    case 0: return 16; case 1: return 17; case 2: return 18; case 3: return 0; case 4: return 8;
    case 5: return 7; case 6: return 9; case 7: return 6; case 8: return 10; case 9: return 5;
    case 10: return 11; case 11: return 4; case 12: return 12; case 13: return 3; case 14: return 13;
    case 15: return 2; case 16: return 14; case 17: return 1; default: return 15;
  }
}

// Length symbols 257-264 are 3-10, then four per extra-bit count, and 285 is 258;
// distance symbols 0-3 are 1-4, then two per extra-bit count (RFC 1951 §3.2.5).
@inline
export function lengthExtraBits(symbol: i32): i32 {
  const i = symbol - 257;
  return i < 8 || i == 28 ? 0 : (i - 4) >> 2;
}

@inline
export function lengthBase(symbol: i32): i32 {
  const i = symbol - 257;
  if (i < 8) return i + 3;
  if (i == 28) return 258;
  return ((((i - 4) & 3) + 4) << ((i - 4) >> 2)) + 3;
}

@inline
export function distanceExtraBits(symbol: i32): i32 {
  return symbol < 4 ? 0 : (symbol - 2) >> 1;
}

@inline
export function distanceBase(symbol: i32): i32 {
  return symbol < 4 ? symbol + 1 : (((symbol & 1) + 2) << ((symbol - 2) >> 1)) + 1;
}
