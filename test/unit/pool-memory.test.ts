import { afterAll, describe, expect, it } from 'vitest';
import { Pool, TaskTimeoutError, compress, task } from '../../src/index.js';
import { HEAP_START } from '../../src/memory/layout.js';

const tasks = new URL('../fixtures/tasks.mjs', import.meta.url);
const allocateMany = task<(count: number, n: number) => number[]>(tasks, 'allocateMany');
const ones = task<(n: number) => Float64Array>(tasks, 'ones');

describe('shared memory with running workers', () => {
  // A heap of one page: every allocation below makes some thread grow the memory.
  const pool = new Pool({ workers: 2, memory: { initialBytes: HEAP_START + 65536, maximumBytes: 512 * 1024 * 1024 } });
  afterAll(() => pool.terminate());

  it('arrays go to workers by reference: writes in a task are seen by the caller', async () => {
    const x = pool.alloc(Float64Array, 8);
    await pool.apply((a: Float64Array) => a.fill(3), [x]);
    expect(Array.from(x)).toEqual(new Array(8).fill(3));
    const m = pool.allocMatrix(Float32Array, 2, 3);
    await pool.apply((mat: { set(i: number, j: number, v: number): void }) => mat.set(1, 2, 9), [m]);
    expect(m.get(1, 2)).toBe(9);
    pool.free(x);
    pool.free(m);
  });

  it('workers allocate and free concurrently with the main thread while the memory grows', async () => {
    const before = pool.memory.buffer.byteLength;
    const work = pool.starmap(allocateMany, Array.from({ length: 16 }, () => [20, 10_000] as [number, number]), { chunksize: 1 });
    const mine: Float64Array[] = [];
    for (let i = 0; i < 50; i++) {
      const a = pool.alloc(Float64Array, 20_000);
      a.fill(i);
      mine.push(a);
    }
    const results = await work;
    for (const sums of results) expect(sums).toEqual(Array.from({ length: 20 }, (_, i) => i * 10_000));
    mine.forEach((a, i) => expect(a.every((v) => v === i)).toBe(true));
    for (const a of mine) pool.free(a);
    expect(pool.memory.buffer.byteLength).toBeGreaterThan(before);
    expect(pool.heapStatistics().usedBytes).toBeLessThan(64 * 1024); // only the function table's few bytes remain
  });

  it('a shared array allocated in a worker comes back by reference', async () => {
    const out = await pool.apply(ones, [1000]);
    expect(pool.isShared(out)).toBe(true);
    expect(out.reduce((s, v) => s + v, 0)).toBe(1000);
    pool.free(out);
  });
});

describe('scheduling', () => {
  const pool = new Pool({ workers: 2 });
  afterAll(() => pool.terminate());
  const whichWorker = (): number => (globalThis as unknown as { wyvern: { workerIndex: number } }).wyvern.workerIndex;

  it("schedule: 'static' gives each worker one contiguous block", async () => {
    await pool.ready;
    const owners = await pool.map(whichWorker as (x: number) => number, Array.from({ length: 40 }, (_, i) => i), { schedule: 'static' });
    expect(new Set(owners.slice(0, 20)).size).toBe(1);
    expect(new Set(owners.slice(20)).size).toBe(1);
    expect(owners[0]).not.toBe(owners[39]);
  });

  it("schedule: 'dynamic' lets an idle worker take the next item", async () => {
    // One long item first, then short ones: while one worker is busy with the long item the other
    // should take every short one (a static split would give the long item's worker half of them).
    const busyThenWho = (ms: number): number => {
      const end = performance.now() + ms;
      while (performance.now() < end);
      return (globalThis as unknown as { wyvern: { workerIndex: number } }).wyvern.workerIndex;
    };
    const owners = await pool.map(busyThenWho, [1000, ...Array<number>(10).fill(20)], { chunksize: 1 });
    const longOwner = owners[0];
    expect(owners.slice(1).every((owner) => owner !== longOwner)).toBe(true);
  });

  it("a worker given up on (timeout) leaves no kernel scratch behind: the replaced workers' blocks are freed", async () => {
    const own = new Pool({ workers: 2 });
    try {
      // Text whose level-9 compression takes ~85 ms per MiB here, far past the 5 ms limit below (a byte
      // pattern used before compressed in 5 ms once warm, and a task sometimes finished in time).
      const lines = Array.from({ length: 250_000 }, (_, i) => `record ${i % 4099}: ${'xy'.repeat(i % 17)} ${Math.imul(i, 2654435761) >>> 20}\n`);
      const text = new TextEncoder().encode(lines.join('')).subarray(0, 4 << 20);
      await compress(text.subarray(0, 1 << 20), { pool: own, codec: 'gzip', level: 9 }); // scratch in both workers
      await compress(text.subarray(0, 1 << 20), { pool: own, codec: 'gzip', level: 9 });
      const before = own.heapStatistics().usedBytes;
      for (let i = 0; i < 4; i++) {
        await expect(compress(text, { pool: own, codec: 'gzip', level: 9, timeout: 5 })).rejects.toThrow(TaskTimeoutError);
        await own.givenUpTasksStopped();
      }
      await own.map((x: number) => x, [1, 2, 3, 4]); // the replacements have started
      expect(own.heapStatistics().usedBytes).toBeLessThanOrEqual(before);
    } finally {
      await own.terminate();
    }
  });

  it('a maximum that is not a whole number of 64 KiB pages is what the memory holds, rounded up', async () => {
    await using odd = new Pool({ workers: 1, memory: { initialBytes: HEAP_START + 65536, maximumBytes: HEAP_START + 65537 } });
    expect(odd.heapStatistics().maximumBytes).toBe(2 * 65536); // the heap: the memory past HEAP_START
    const array = odd.alloc(Uint8Array, 70_000); // needs the second page, which the memory can have
    expect(array.length).toBe(70_000);
    odd.free(array);
  });
});
