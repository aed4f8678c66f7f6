// Helpers shared by the stream and codec tests.

export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Uneven pieces of `bytes`, as a network or a file reader delivers them. */
export function pieces(bytes: Uint8Array, first = 1): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0, n = first; at < bytes.length; at += n, n = (n * 7 + 13) % 90_000) out.push(bytes.subarray(at, at + n));
  return out;
}

/**
 * Writes `chunks` through `transform` and gathers what comes out. Through a
 * reader, not new Response(...): Chromium's Response replaces a stream's error
 * with "Failed to fetch".
 */
export async function pipe(chunks: readonly Uint8Array[], transform: TransformStream<Uint8Array, Uint8Array>): Promise<Uint8Array> {
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  const parts: Uint8Array[] = [];
  const reader = source.pipeThrough(transform).getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
  return concat(parts);
}
