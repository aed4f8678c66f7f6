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
