/**
 * Per-thread views over a pool's shared memory.
 *
 * `memory.buffer` is replaced by a longer SharedArrayBuffer after every
 * `memory.grow` (by any thread); the old buffer stays valid for the bytes it
 * covered. Each thread therefore keeps one set of views and refreshes them
 * when it needs a byte beyond their end. Every buffer ever seen is remembered
 * so that arrays created over an older buffer are still recognised as ours.
 */

export class MemoryViews {
  buffer!: SharedArrayBuffer;
  u8!: Uint8Array;
  i32!: Int32Array;
  f64!: Float64Array;
  data!: DataView;
  private readonly seenBuffers = new WeakSet<ArrayBufferLike>();

  constructor(readonly memory: WebAssembly.Memory) {
    this.refresh();
  }

  /** Re-takes the views if the memory grew since they were made. */
  refresh(): void {
    const buffer = this.memory.buffer as unknown as SharedArrayBuffer;
    if (buffer === this.buffer) return;
    this.buffer = buffer;
    this.seenBuffers.add(buffer);
    this.u8 = new Uint8Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.f64 = new Float64Array(buffer);
    this.data = new DataView(buffer);
  }

  /** Makes sure the views reach byte `end` (exclusive). */
  ensure(end: number): void {
    if (end > this.u8.length) this.refresh();
  }

  /** Whether `buffer` is (a past state of) this memory's buffer. */
  owns(buffer: ArrayBufferLike): boolean {
    if (this.seenBuffers.has(buffer)) return true;
    // An array made by another thread arrives over a buffer object we never
    // saw; a grown buffer of our own memory is recognised after a refresh.
    this.refresh();
    return this.seenBuffers.has(buffer);
  }
}
