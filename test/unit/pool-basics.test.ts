import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Pool, SharedMatrix, task } from '../../src/index.js';

const tasks = new URL('../fixtures/tasks.mjs', import.meta.url);

/**
 * Runs `body` on a pool of its own, once it is ready and, after `idleMs`, its
 * workers have stopped polling and sleep; terminates the pool afterwards.
 */
async function withOwnPool(workers: number, idleMs: number, body: (pool: Pool) => Promise<void>): Promise<void> {
  const own = new Pool({ workers });
  try {
    await own.ready;
    if (idleMs > 0) await new Promise((resolve) => setTimeout(resolve, idleMs));
    await body(own);
  } finally {
    await own.terminate();
  }
}

/** A task that keeps its worker busy for `ms` milliseconds (self-contained: it runs in the worker). */
const busy = (ms: number): number => {
  const until = Date.now() + ms;
  while (Date.now() < until);
  return ms;
};

describe('Pool basics', () => {
  const pool = new Pool({ workers: 2 });
  afterAll(() => pool.terminate());

  it('runs an inline function with arguments and returns its result', async () => {
    expect(await pool.apply((a: number, b: number) => a + b, [2, 3])).toBe(5);
  });

  it('maps in order, for every chunksize', async () => {
    const items = Array.from({ length: 103 }, (_, i) => i);
    const expected = items.map((x) => x * x);
    for (const chunksize of [undefined, 1, 7, 200]) {
      expect(await pool.map((x: number) => x * x, items, { chunksize })).toEqual(expected);
    }
  });

  it('reports a finished task while its worker goes on with queued ones, not when the queue drains', async () => {
    // One worker: a quick task, then three 300 ms ones queued behind it. The quick one's completion is
    // left for the main thread's poll (the worker has more queued work): it must still arrive at once.
    await withOwnPool(1, 0, async (single) => {
      const start = performance.now();
      const quick = single.apply(busy, [0]);
      const slow = [300, 300, 300].map((ms) => single.apply(busy, [ms]));
      expect(await quick).toBe(0);
      expect(performance.now() - start).toBeLessThan(250);
      expect(await Promise.all(slow)).toEqual([300, 300, 300]);
    });
  });

  it("starts a burst's first task while the submitting thread is still busy, not when it yields", async () => {
    // The worker sleeps (idle well past its polling time); the first task is submitted and this thread
    // then stays busy, as it is while it dispatches a long burst (33 conv2d calls take 0.2-0.3 ms): the task
    // must start meanwhile, woken at its submission rather than at the burst's end.
    await withOwnPool(1, 50, async (single) => {
      const started = single.alloc(Int32Array, 1);
      const done = single.apply((flag: Int32Array) => Atomics.store(flag, 0, 1), [started]);
      const until = performance.now() + 2000;
      while (Atomics.load(started, 0) === 0 && performance.now() < until);
      expect(Atomics.load(started, 0)).toBe(1);
      await done;
      single.free(started);
    });
  });

  it("wakes a second worker for a burst's shared task when the worker woken for it also got private tasks", async () => {
    // Fresh pool, both workers asleep. The shared task's early wake-up goes to worker 0; a static map then
    // gives worker 0 a long private task, which it takes first (its own ring before the shared one). The
    // shared task must still start at once, on worker 1, not wait for worker 0.
    await withOwnPool(2, 50, async (two) => {
      const start = performance.now();
      const shared = two.apply(busy, [0]).then(() => performance.now() - start);
      const pinned = two.map(busy, [600], { schedule: 'static' });
      expect(await shared).toBeLessThan(400);
      expect(await pinned).toEqual([600]);
    });
  });

  it('maps an empty list to an empty list', async () => {
    expect(await pool.map((x: number) => x, [])).toEqual([]);
  });

  it('starmaps argument lists', async () => {
    expect(await pool.starmap((a: number, b: number) => a * b, [[1, 2], [3, 4], [5, 6]])).toEqual([2, 12, 30]);
  });

  it('runs exports of a task module by URL', async () => {
    const square = task<(x: number) => number>(tasks, 'square');
    expect(await pool.map(square, [1, 2, 3, 4])).toEqual([1, 4, 9, 16]);
  });

  it('awaits tasks that return promises', async () => {
    const delayed = task<(x: number, ms: number) => Promise<number>>(tasks, 'delayedDouble');
    expect(await pool.starmap(delayed, [[1, 5], [2, 1], [3, 0]])).toEqual([2, 4, 6]);
  });

  it('imap yields results in order and imapUnordered yields all of them', async () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const ordered: number[] = [];
    for await (const value of pool.imap((x: number) => x + 1, items, { chunksize: 3 })) ordered.push(value);
    expect(ordered).toEqual(items.map((x) => x + 1));
    const unordered: number[] = [];
    for await (const value of pool.imapUnordered((x: number) => x + 1, items, { chunksize: 4 })) unordered.push(value);
    expect(unordered.sort((a, b) => a - b)).toEqual(items.map((x) => x + 1));
  });

  it('leaving imap early stops cleanly and the pool keeps serving', async () => {
    const seen: number[] = [];
    for await (const value of pool.imap((x: number) => x, Array.from({ length: 1000 }, (_, i) => i), { chunksize: 10 })) {
      seen.push(value);
      if (seen.length === 15) break;
    }
    expect(seen).toEqual(Array.from({ length: 15 }, (_, i) => i));
    expect(await pool.apply((x: number) => x, [7])).toBe(7);
  });

  it('map, imap and imapUnordered give every result, in order where promised, for any length, chunksize and schedule (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(60), fc.integer({ min: 1, max: 12 }), fc.constantFrom('dynamic', 'static'), async (length, chunksize, schedule) => {
        const items = Array.from({ length }, (_, i) => i);
        const expected = items.map((x) => x * 3 + 1);
        const options = { chunksize, schedule } as const;
        expect(await pool.map((x: number) => x * 3 + 1, items, options)).toEqual(expected);
        expect(await pool.starmap((x: number, y: number) => x * 3 + y, items.map((x) => [x, 1] as [number, number]), options)).toEqual(expected);
        const ordered: number[] = [];
        for await (const value of pool.imap((x: number) => x * 3 + 1, items, options)) ordered.push(value);
        expect(ordered).toEqual(expected);
        const unordered: number[] = [];
        for await (const value of pool.imapUnordered((x: number) => x * 3 + 1, items, options)) unordered.push(value);
        expect(unordered.sort((a, b) => a - b)).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  });

  it('imap queues its tasks when called, as Python: close() and join() before the loop lose nothing', async () => {
    await withOwnPool(2, 0, async (own) => {
      const results = own.imap((x: number) => x * x, [1, 2, 3]);
      expect(own.pending).toBe(3);
      own.close();
      await own.join();
      const squares: number[] = [];
      for await (const value of results) squares.push(value);
      expect(squares).toEqual([1, 4, 9]);
    });
  });

  it('imap reads its input as the loop goes (one item per task, 8 tasks per worker ahead): an endless generator works', async () => {
    let read = 0;
    function* naturals(): Generator<number> {
      for (let i = 0; ; i++) {
        read++;
        yield i;
      }
    }
    const results = pool.imap((x: number) => x * 2, naturals());
    expect(read).toBe(8 * pool.workers); // the first window, read and queued at the call
    const seen: number[] = [];
    for await (const value of results) {
      seen.push(value);
      if (seen.length === 100) break;
    }
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i * 2));
    expect(read).toBeLessThanOrEqual(100 + 8 * pool.workers);
    const unordered: number[] = [];
    read = 0;
    for await (const value of pool.imapUnordered((x: number) => x + 1, naturals(), { chunksize: 7 })) {
      unordered.push(value);
      if (unordered.length >= 50) break;
    }
    expect(new Set(unordered).size).toBe(unordered.length);
    expect(unordered.every((value) => Number.isInteger(value) && value >= 1 && value <= read)).toBe(true); // x + 1 of items read
    expect(await pool.apply((x: number) => x, [5])).toBe(5);
  });

  it('an input that throws ends imap with its error after the results read before it; a signal ends it with the reason', async () => {
    function* failing(): Generator<number> {
      yield 1;
      yield 2;
      throw new RangeError('input broke');
    }
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const value of pool.imap((x: number) => x * 10, failing())) seen.push(value);
      })(),
    ).rejects.toThrow('input broke');
    expect(seen).toEqual([10, 20]);

    const controller = new AbortController();
    let read = 0;
    function* counting(): Generator<number> {
      for (let i = 0; ; i++) {
        read++;
        yield i;
      }
    }
    const aborted = (async () => {
      for await (const value of pool.imap((x: number) => x, counting(), { signal: controller.signal })) if (value === 20) controller.abort(new Error('stop here'));
    })();
    await expect(aborted).rejects.toThrow('stop here');
    const readAtAbort = read;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(read).toBe(readAtAbort); // nothing more is read after the abort
  });

  it('close() with an imap over an endless input returns at once and keeps the event loop turning', async () => {
    await withOwnPool(2, 0, async (own) => {
      function* endless(): Generator<number> {
        for (let i = 0; ; i++) yield i;
      }
      const results = own.imap((x: number) => x, endless());
      expect((await results.next()).value).toBe(0);
      own.close(); // read the rest as tasks settle, never in one synchronous sweep
      const ticked = await new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 20));
      expect(ticked).toBe(true);
      expect((await results.next()).value).toBe(1);
    });
  });

  it('close() while an imap is half read: join waits for the rest of the input, and the loop gets every result', async () => {
    await withOwnPool(2, 0, async (own) => {
      let read = 0;
      function* items(): Generator<number> {
        for (let i = 0; i < 3000; i++) {
          read++;
          yield i;
        }
      }
      const results = own.imap((x: number) => x * 2, items(), { chunksize: 5 });
      own.close();
      await own.join();
      expect(read).toBe(3000);
      const values: number[] = [];
      for await (const value of results) values.push(value);
      expect(values).toEqual(Array.from({ length: 3000 }, (_, i) => i * 2));
    });
  });

  it('leaving an imap (break, or return() before the first next()) cancels the rest and closes the input', async () => {
    await withOwnPool(1, 0, async (own) => {
      const sleepFor = task<(ms: number) => number>(tasks, 'sleepFor');
      let read = 0;
      let closed = false;
      function* items(): Generator<number> {
        try {
          for (let i = 0; i < 5000; i++) {
            read++;
            yield 20;
          }
        } finally {
          closed = true;
        }
      }
      const untouched = own.imap(sleepFor, items());
      const readAtCall = read;
      await untouched.return(undefined);
      expect(closed).toBe(true);
      expect(own.pending).toBeLessThanOrEqual(1); // at most the task already started
      own.close();
      await own.join();
      expect(read).toBe(readAtCall); // close() read nothing more for it

      await withOwnPool(1, 0, async (second) => {
        closed = false;
        for await (const value of second.imap(sleepFor, items())) {
          expect(value).toBe(20);
          break;
        }
        expect(closed).toBe(true);
      });
    });
  });

  it('AsyncResult.wait checks its timeout as get does', async () => {
    const result = pool.applyAsync((x: number) => x, [1]);
    await expect(result.wait('50' as never)).rejects.toMatchObject({ name: 'ArgumentTypeError', argument: 'timeoutMs' });
    await result.wait();
    expect(result.ready()).toBe(true);
  });

  it('a matrix over a longer array (its first rows × cols elements) crosses to a worker', async () => {
    const data = pool.alloc(Float64Array, 10);
    data.forEach((_, i) => (data[i] = i));
    try {
      const matrix = new SharedMatrix(data, 2, 3);
      expect(await pool.apply((m: SharedMatrix) => [m.rows, m.cols, m.get(1, 2), m.data.length], [matrix])).toEqual([2, 3, 5, 10]);
    } finally {
      pool.free(data);
    }
  });

  it('a task cancelled when imap is left no longer counts as pending', async () => {
    await withOwnPool(1, 0, async (own) => {
      const sleepFor = task<(ms: number) => number>(tasks, 'sleepFor');
      expect(own.pending).toBe(0);
      for await (const value of own.imap(sleepFor, [0, 200, 200, 200, 200, 200])) {
        expect(value).toBe(0);
        break;
      }
      // Queued ones are cancelled at once; at most the one already started still runs.
      expect(own.pending).toBeLessThanOrEqual(1);
    });
  });

  it('AsyncResult: get(timeout) gives up waiting, not the task; successful() before it is ready is an error', async () => {
    const sleepFor = task<(ms: number) => number>(tasks, 'sleepFor');
    const result = pool.applyAsync(sleepFor, [300]);
    expect(() => result.successful()).toThrow(expect.objectContaining({ code: 'ERR_NOT_READY' }));
    await expect(result.get(10)).rejects.toMatchObject({ code: 'ERR_RESULT_TIMEOUT' });
    expect(result.ready()).toBe(false);
    expect(await result.get()).toBe(300); // the task ran on
    expect(result.successful()).toBe(true);
  });

  it('holes in an array arrive as undefined (an own element), the rest as sent', async () => {
    // eslint-disable-next-line no-sparse-arrays
    const [length, hasOwn, hole, last] = await pool.apply((a: unknown[]) => [a.length, 1 in a, a[1], a[2]], [[1, , 3]]);
    expect([length, hasOwn, hole, last]).toEqual([3, true, undefined, 3]);
  });

  it('applyAsync checks its options object, and get() its timeout', async () => {
    expect(() => pool.applyAsync((x: number) => x, [1], null as never)).toThrow(expect.objectContaining({ name: 'ArgumentTypeError', argument: 'options' }));
    expect(() => pool.mapAsync((x: number) => x, [1], null as never)).toThrow(expect.objectContaining({ argument: 'options' }));
    const result = pool.applyAsync((x: number) => x, [1]);
    await expect(result.get('50' as never)).rejects.toMatchObject({ name: 'ArgumentTypeError', argument: 'timeoutMs' });
    await expect(result.get(Number.NaN)).rejects.toMatchObject({ name: 'ArgumentRangeError', argument: 'timeoutMs' });
    expect(await result.get(Infinity)).toBe(1);
  });

  it('applyAsync returns an AsyncResult and calls the callback', async () => {
    let called: number | undefined;
    const result = pool.applyAsync((x: number) => x * 10, [4], { callback: (value) => (called = value) });
    expect(await result.get()).toBe(40);
    expect(result.ready()).toBe(true);
    expect(result.successful()).toBe(true);
    expect(called).toBe(40);
  });

  it('mapAsync delivers errors through get() and errorCallback', async () => {
    let reported: unknown;
    const result = pool.mapAsync(
      (x: number) => {
        if (x === 3) throw new RangeError('three');
        return x;
      },
      [1, 2, 3],
      { errorCallback: (error) => (reported = error) },
    );
    await expect(result.get()).rejects.toThrow(RangeError);
    expect(result.successful()).toBe(false);
    expect((reported as Error).message).toBe('three');
  });

  it('round-trips structured values', async () => {
    const value = {
      n: 1.5,
      i: -7,
      big: 12345678901234567890n,
      s: 'héllo ✓ '.repeat(20),
      list: [1, 'a', null, undefined, true, false],
      date: new Date(1700000000000),
      map: new Map<unknown, unknown>([['k', 1], [2, [3]]]),
      set: new Set([1, 'two']),
      bytes: new Uint8Array([1, 2, 3]),
      floats: new Float32Array([0.5, -1]),
      nested: { deep: { deeper: [{ x: -0 }] } },
    };
    const back = await pool.apply((v: unknown) => v, [value]);
    expect(back).toEqual(value);
  });

  it('runs many tasks at once beyond the number of slots, nothing lost', async () => {
    const n = 10_000;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => pool.apply((x: number) => x * 2, [i])));
    expect(results).toEqual(Array.from({ length: n }, (_, i) => i * 2));
    expect(pool.pending).toBe(0);
  });
});
