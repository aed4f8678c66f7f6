/** Byte-buffer helpers shared by the codecs. */

/** The concatenation of `parts`, written into `into` when given (it must be long enough), else into a new array. */
export function concatBytes(parts: readonly Uint8Array[], into?: Uint8Array): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = into ?? new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return into ? out.subarray(0, total) : out;
}

/**
 * Collects written pieces and hands them back as chunks of exactly `size`
 * bytes: each byte is copied once, however small the pieces (appending to one
 * growing buffer would copy it again for every piece).
 */
export class ChunkAccumulator {
  private parts: Uint8Array[] = [];
  private buffered = 0;

  constructor(private readonly size: number) {}

  /** Adds `bytes` (copied) and returns the full chunks now available. */
  push(bytes: Uint8Array): Uint8Array[] {
    this.parts.push(bytes.slice());
    this.buffered += bytes.length;
    const chunks: Uint8Array[] = [];
    while (this.buffered >= this.size) chunks.push(this.take(this.size));
    return chunks;
  }

  /** Whatever is left (possibly empty). */
  rest(): Uint8Array {
    return this.take(this.buffered);
  }

  private take(length: number): Uint8Array {
    const chunk = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      const part = this.parts[0]!;
      const used = Math.min(part.length, length - filled);
      chunk.set(part.subarray(0, used), filled);
      filled += used;
      if (used === part.length) this.parts.shift();
      else this.parts[0] = part.subarray(used);
    }
    this.buffered -= length;
    return chunk;
  }
}

/**
 * Where a decoder's output goes, piece by piece, from views of the pool's
 * memory that are reused afterwards: into new arrays of the caller's own, or
 * into an array the caller gave (decompress's `out`), which saves allocating
 * (and, on first touch, faulting in) fresh memory for every result.
 */
export interface OutputSink {
  /** Bytes written so far. */
  readonly length: number;
  write(view: Uint8Array): void;
  /** Everything written, as one array. */
  result(): Uint8Array;
}

/** Copies each piece out; one piece is returned as it is, several are joined. */
export class NewArraySink implements OutputSink {
  private parts: Uint8Array[] = [];
  length = 0;

  write(view: Uint8Array): void {
    this.parts.push(view.slice());
    this.length += view.length;
  }

  result(): Uint8Array {
    return this.parts.length === 1 ? this.parts[0]! : concatBytes(this.parts);
  }
}

/** Copies each piece into `out`; writing past its end fails with `overflow()`. */
export class IntoArraySink implements OutputSink {
  length = 0;

  constructor(
    private readonly out: Uint8Array,
    private readonly overflow: () => Error,
  ) {}

  write(view: Uint8Array): void {
    if (this.length + view.length > this.out.length) throw this.overflow();
    this.out.set(view, this.length);
    this.length += view.length;
  }

  result(): Uint8Array {
    return this.out.subarray(0, this.length);
  }
}
