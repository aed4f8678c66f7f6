import { afterAll, describe, expect, it, vi } from 'vitest';
import { ArgumentTypeError, OutOfMemoryError, Pool, PoolClosedError, TaskTimeoutError, task } from '../../src/index.js';

const tasks = new URL('../fixtures/tasks.mjs', import.meta.url);
const hang = task<() => never>(tasks, 'hang');
const busy = task<(ms: number, value: number) => number>(tasks, 'busy');
const throwsCustom = task<(message: string) => never>(tasks, 'throwsCustom');

describe('Pool failures: every task ends as a result or an error', () => {
  const pool = new Pool({ workers: 2 });
  afterAll(() => pool.terminate());

  it('rejects with the worker’s error class, message and stack', async () => {
    const error = await pool.apply(() => {
      throw new TypeError('bad input');
    }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('bad input');
    expect(error.stack).toContain('bad input');
  });

  it('keeps the name and code of a custom error class', async () => {
    const error = await pool.apply(throwsCustom, ['nope']).catch((e: unknown) => e as Error & { code: string });
    expect(error.name).toBe('ValidationError');
    expect(error.code).toBe('E_VALIDATION');
    expect(error.message).toBe('nope');
  });

  it('a hung task ends with TaskTimeoutError and its worker is replaced', async () => {
    const error = await pool.apply(hang, [], { timeout: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskTimeoutError);
    expect(await pool.map((x: number) => x * 3, [1, 2, 3])).toEqual([3, 6, 9]);
    // Both workers serve again: a static split binds one task to each index.
    const served = await pool.map((_: number) => (globalThis as unknown as { wyvern: { workerIndex: number } }).wyvern.workerIndex, [0, 1], { schedule: 'static' });
    expect(served).toEqual([0, 1]);
  });

  it('the timeout counts from when the task starts, not when it was queued', async () => {
    // Two workers, forty 50 ms tasks with a 600 ms limit: the last ones wait about a second in the
    // queue, far past the limit, while each runs for a twelfth of it (margin for a loaded machine).
    const calls = Array.from({ length: 40 }, (_, i) => [50, i] as [number, number]);
    const results = await pool.starmap(busy, calls, { timeout: 600, chunksize: 1 });
    expect(results).toEqual(calls.map(([, i]) => i));
  });

  it('an AbortSignal cancels queued and running tasks, and the pool keeps serving', async () => {
    const controller = new AbortController();
    const running = pool.starmap(busy, Array.from({ length: 20 }, (_, i) => [200, i] as [number, number]), {
      signal: controller.signal,
      chunksize: 1,
    });
    setTimeout(() => controller.abort(new Error('stop now')), 50);
    await expect(running).rejects.toThrow('stop now');
    expect(await pool.apply((x: number) => x, [5])).toBe(5);
    await expect(pool.apply((x: number) => x, [1], { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('calls in flight under one signal share one abort listener, which its abort serves and settling removes', async () => {
    const controller = new AbortController();
    const added: unknown[] = [];
    const removed: unknown[] = [];
    const { signal } = controller;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((type: string, listener: EventListener, options?: AddEventListenerOptions) => (added.push(listener), add(type, listener, options))) as typeof signal.addEventListener;
    signal.removeEventListener = ((type: string, listener: EventListener) => (removed.push(listener), remove(type, listener))) as typeof signal.removeEventListener;
    // Settled ones first: the listener goes when the last call settles, and a later call adds it anew.
    await Promise.all(Array.from({ length: 30 }, (_, i) => pool.apply((x: number) => x, [i], { signal })));
    expect(added.length).toBe(1);
    expect(removed).toEqual(added);
    const calls = Array.from({ length: 30 }, (_, i) => pool.apply(busy, [300, i], { signal }));
    expect(added.length).toBe(2);
    controller.abort(new Error('all of them'));
    const outcomes = await Promise.allSettled(calls);
    expect(outcomes.every((outcome) => outcome.status === 'rejected' && (outcome.reason as Error).message === 'all of them')).toBe(true);
    expect(await pool.apply((x: number) => x, [7])).toBe(7);
  });

  it('a result too large for the pool\'s memory fails alone: the tasks behind it are served', async () => {
    await using small = new Pool({ workers: 1, memory: { maximumBytes: 8 << 20 } });
    // The task behind it has the next slot, which the failure's encoding (with its stack) once overran.
    const tooLarge = small.apply(() => new Uint8Array(16 << 20));
    const behind = small.apply((x: number) => x + 1, [1]);
    await expect(tooLarge).rejects.toBeInstanceOf(OutOfMemoryError);
    expect(await behind).toBe(2);
    expect(await small.map((x: number) => x * 2, [1, 2, 3])).toEqual([2, 4, 6]);
  });

  it('errors keep their class and message when their cause cannot be sent, or their name is an Object key', async () => {
    const classCause = await pool.apply(() => {
      class Reason {}
      throw new RangeError('boom', { cause: new Reason() });
    }).catch((e: unknown) => e as Error);
    expect(classCause).toBeInstanceOf(RangeError);
    expect(classCause.message).toBe('boom');
    expect(String(classCause.cause)).toMatch(/^\(not sent: /);
    const cyclic = await pool.apply(() => {
      const error = new Error('round and round');
      error.cause = error;
      throw error;
    }).catch((e: unknown) => e as Error);
    expect(cyclic.message).toBe('round and round');
    for (const name of ['constructor', 'hasOwnProperty', 'toString']) {
      const odd = await pool.apply((n: string) => {
        const error = new Error(`named ${n}`);
        error.name = n;
        throw error;
      }, [name]).catch((e: unknown) => e as Error);
      expect(odd, name).toBeInstanceOf(Error);
      expect(odd.name, name).toBe(name);
      expect(odd.message, name).toBe(`named ${name}`);
    }
    // And the pool still serves (a worker that died encoding an error was replaced before).
    expect(await pool.apply((x: number) => x, [3])).toBe(3);
  });

  it('a task that returns an Error (or holds one) gives back an Error', async () => {
    const returned = await pool.apply(() => ({ error: new TypeError('returned'), list: [new Error('inside')] }));
    expect(returned.error).toBeInstanceOf(TypeError);
    expect(returned.error.message).toBe('returned');
    expect(returned.list[0]).toBeInstanceOf(Error);
  });

  it('timeouts past setTimeout\'s 2^31 − 1 ms wait as long as they say; Infinity is accepted', async () => {
    expect(await pool.apply(busy, [50, 1], { timeout: 3e9 })).toBe(1);
    expect(await pool.apply(busy, [10, 2], { timeout: Infinity })).toBe(2);
    expect(await pool.applyAsync(busy, [50, 3]).get(3e9)).toBe(3);
  });

  it('applyAsync with a callback that is not a function submits nothing', async () => {
    const own = new Pool({ workers: 1 });
    const counter = own.alloc(Int32Array, 1);
    expect(() => own.applyAsync((c: Int32Array) => Atomics.add(c, 0, 1), [counter], { callback: 42 as never })).toThrow(ArgumentTypeError);
    expect(() => own.mapAsync((c: Int32Array) => Atomics.add(c, 0, 1), [counter], { errorCallback: 'x' as never })).toThrow(ArgumentTypeError);
    expect(own.pending).toBe(0);
    own.close();
    await own.join(); // every task submitted has run by now
    expect(counter[0]).toBe(0);
  });

  /**
   * On a pool of its own with one worker: a 300 ms task aborted at 50 ms, whose thread may run on until
   * the platform stops it (in Chromium, by force ~2 s after terminate()); `queue` submits tasks behind
   * it before the abort, `after` runs once the abort has rejected it.
   */
  async function afterAbortedTask<Q>(queue: (pool: Pool) => Q, after: (pool: Pool, queued: Q) => Promise<void>): Promise<void> {
    const single = new Pool({ workers: 1 });
    try {
      await single.ready;
      const controller = new AbortController();
      const abandoned = single.apply(busy, [300, -1], { signal: controller.signal });
      const queued = queue(single);
      setTimeout(() => controller.abort(new Error('given up')), 50);
      await expect(abandoned).rejects.toThrow('given up');
      await after(single, queued);
    } finally {
      await single.terminate();
    }
  }

  it('a task given up on never writes into the task that reuses its slot', async () => {
    // Its late finish landed in the tasks that followed in the same slot, before the slot waited for
    // the thread to be really gone.
    await afterAbortedTask(
      () => undefined,
      async (single) => {
        for (let i = 0; i < 100; i++) expect(await single.apply(busy, [5, i])).toBe(i);
      },
    );
  });

  it("tasks queued behind a task given up on all run, none taken by that task's thread", async () => {
    // That thread took queued tasks while it ran on, until Chromium stopped it by force ~2 s after
    // terminate(), and the task it was running then failed with WorkerExitError. Now it leaves at its
    // failed finish, and one thread, its replacement, runs them all. (2.4 s of queued work: longer
    // than the browser lets a terminated thread run.)
    const onSomeThread = (value: number): [number, number] => {
      const thread = globalThis as { threadId?: number };
      thread.threadId ??= Math.random();
      const end = Date.now() + 80;
      while (Date.now() < end);
      return [value, thread.threadId];
    };
    await afterAbortedTask(
      (single) => Array.from({ length: 30 }, (_, i) => single.apply(onSomeThread, [i])),
      async (_, queued) => {
        const results = await Promise.all(queued);
        expect(results.map(([value]) => value)).toEqual(Array.from({ length: 30 }, (_, i) => i));
        expect(new Set(results.map(([, thread]) => thread)).size).toBe(1);
      },
    );
  });

  it("a task given up on before its worker's start was heard of does not fail the pool", async () => {
    // A fresh worker posts "ready" and takes a task at once; when that task was given up on before
    // this thread read the message (Chromium drops the messages of a terminated worker), the worker's
    // exit looked like a failed start and failed the whole pool (seen in CI: a replacement worker
    // took a task that an AbortSignal then cancelled).
    // flags[0]: the worker's start has begun (its initializer holds it 200 ms); flags[1]: the task runs.
    const flags = new Int32Array(new SharedArrayBuffer(8));
    const single = new Pool({
      workers: 1,
      initializer: (shared: Int32Array) => {
        (globalThis as { testFlags?: Int32Array }).testFlags = shared;
        Atomics.store(shared, 0, 1);
        const end = Date.now() + 200;
        while (Date.now() < end);
      },
      initargs: [flags],
    });
    try {
      const controller = new AbortController();
      const abandoned = single.apply(
        () => {
          Atomics.store((globalThis as { testFlags?: Int32Array }).testFlags!, 1, 1);
          const end = Date.now() + 300;
          while (Date.now() < end);
          return 0;
        },
        [],
        { signal: controller.signal },
      );
      await vi.waitFor(() => expect(Atomics.load(flags, 0)).toBe(1), { timeout: 10_000, interval: 1 });
      // Hold this thread from before the worker posts "ready" until it runs the task: the message
      // waits behind this block, and the abort below terminates the worker first.
      const deadline = Date.now() + 10_000;
      while (Atomics.load(flags, 1) === 0 && Date.now() < deadline);
      expect(Atomics.load(flags, 1)).toBe(1);
      controller.abort(new Error('given up'));
      await expect(abandoned).rejects.toThrow('given up');
      expect(await single.apply((x: number) => x, [7])).toBe(7);
    } finally {
      await single.terminate();
    }
  });

  it('an error thrown by one map item rejects the map; other items are not lost', async () => {
    await expect(
      pool.map(
        (x: number) => {
          if (x === 50) throw new Error('item 50');
          return x;
        },
        Array.from({ length: 100 }, (_, i) => i),
        { chunksize: 5 },
      ),
    ).rejects.toThrow('item 50');
    // The map failed at its first error; the chunks still running finish, and their slots come back.
    await vi.waitFor(() => expect(pool.pending).toBe(0));
  });

  it('refuses values that cannot cross to a worker, naming where they are', async () => {
    await expect(pool.apply((v: unknown) => v, [{ inner: { f: () => 1 } }])).rejects.toThrow('`0.inner.f`');
  });

  it('sends cycles and shared references as structuredClone does, both ways', async () => {
    const cyclic: Record<string, unknown> = { list: [] };
    cyclic.self = cyclic;
    (cyclic.list as unknown[]).push(cyclic.list, cyclic);
    const back = await pool.apply((v: Record<string, unknown>) => {
      const list = v.list as unknown[];
      return { sameSelf: v.self === v, sameList: list[0] === list && list[1] === v, again: [v, v] };
    }, [cyclic]);
    expect(back.sameSelf && back.sameList).toBe(true);
    expect(back.again[0]).toBe(back.again[1]);
    expect(back.again[0]!.self).toBe(back.again[0]);
  });

  it('a task returning a function fails with a serialization error', async () => {
    await expect(pool.apply(() => () => 1)).rejects.toThrow(/cannot send a function/);
  });
});

describe('Pool failures: whatever a task throws or awaits, its worker lives on', () => {
  // One worker: a value it keeps between tasks shows that it was not replaced.
  const pool = new Pool({ workers: 1 });
  afterAll(() => pool.terminate());
  const mark = () => pool.apply(() => ((globalThis as { mark?: number }).mark ??= Math.random()));

  it.each([
    ['an object without a prototype', () => { throw Object.create(null); }, 'task threw a non-Error value: an object'],
    ['an object whose toString throws', () => { throw { toString() { throw new Error('no'); } }; }, 'task threw a non-Error value: an object'],
    ['a plain object', () => { throw { code: 42 }; }, 'task threw a non-Error value: {"code":42}'],
    ['an Error whose message getter throws', () => {
      const error = new Error('hidden');
      Object.defineProperty(error, 'message', { get() { throw new Error('no'); } });
      throw error;
    }, 'its message could not be read'],
    ['an Error whose name getter throws', () => {
      const error = new RangeError('named');
      Object.defineProperty(error, 'name', { get() { throw new Error('no'); } });
      throw error;
    }, 'named'],
  ])('a task that throws %s rejects with a readable error', async (_, thrower, message) => {
    const before = await mark();
    const error = await pool.apply(thrower as () => never).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).not.toBe('WorkerExitError');
    expect(error.message).toContain(message);
    expect(await mark()).toBe(before);
  });

  it('a task may await what does not keep Node alive (an unref\'d timer, Atomics.waitAsync)', async () => {
    const before = await mark();
    expect(await pool.apply(async () => {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, 100) as unknown as { unref?: () => void };
        timer.unref?.();
      });
      return 'woke';
    })).toBe('woke');
    const flag = pool.alloc(Int32Array, 1);
    const waiting = pool.apply(async (f: Int32Array) => {
      type WaitAsync = (a: Int32Array, i: number, v: number, t: number) => { async: boolean; value: Promise<string> | string };
      const wait = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync(f, 0, 0, 5000);
      return wait.async ? await wait.value : wait.value;
    }, [flag]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    expect(await waiting).toBe('ok');
    pool.free(flag);
    expect(await mark()).toBe(before);
  });

  it('a task that never settles ends with TaskTimeoutError, not a worker exit', async () => {
    const error = await pool.apply(() => new Promise(() => {}), [], { timeout: 500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskTimeoutError);
  });
});

describe('Pool lifecycle', () => {
  it('close then join waits for submitted tasks; later submissions are refused', async () => {
    const pool = new Pool({ workers: 2 });
    const pending = pool.starmap(busy, [[30, 1], [30, 2], [30, 3]]);
    pool.close();
    await expect(pool.apply((x: number) => x, [1])).rejects.toBeInstanceOf(PoolClosedError);
    await pool.join();
    expect(await pending).toEqual([1, 2, 3]);
  });

  it('join before close is an error, as in Python', async () => {
    const pool = new Pool({ workers: 1 });
    await expect(pool.join()).rejects.toBeInstanceOf(PoolClosedError);
    await pool.terminate();
  });

  it('terminate rejects unfinished tasks with PoolClosedError', async () => {
    const pool = new Pool({ workers: 1 });
    const running = pool.apply(hang, []);
    const queued = pool.apply((x: number) => x, [1]);
    const outcomes = Promise.allSettled([running, queued]);
    await new Promise((r) => setTimeout(r, 100));
    await pool.terminate();
    for (const outcome of await outcomes) {
      expect(outcome.status).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(PoolClosedError);
    }
  });

  it('past the function table (4,096 distinct task functions) a new function is refused with ERR_TOO_MANY_FUNCTIONS; known ones still run', async () => {
    await using own = new Pool({ workers: 1 });
    const make = (i: number) => new Function(`return (x) => x + ${i}`)() as (x: number) => number;
    const first = make(0);
    const calls: Promise<number>[] = [own.apply(first, [1])];
    for (let i = 1; i < 4096; i++) calls.push(own.apply(make(i), [1]));
    expect((await Promise.all(calls)).slice(0, 3)).toEqual([1, 2, 3]);
    await expect(own.apply(make(4096), [1])).rejects.toMatchObject({ code: 'ERR_TOO_MANY_FUNCTIONS' });
    expect(await own.apply(first, [41])).toBe(41); // the same source is the same entry
  });

  it('await using closes and joins', async () => {
    let result: number[] = [];
    let used: Pool | undefined;
    let slow: Promise<number> | undefined;
    {
      await using pool = new Pool({ workers: 2 });
      used = pool;
      result = await pool.map((x: number) => x + 1, [1, 2]);
      slow = pool.apply(busy, [100, 7]); // still running at the block's end: joined, not dropped
    }
    expect(result).toEqual([2, 3]);
    expect(await slow).toBe(7);
    expect(used.pending).toBe(0);
    await expect(used.apply((x: number) => x, [1])).rejects.toBeInstanceOf(PoolClosedError);
  });

  it('runs the initializer in every worker before tasks, and in the workers that replace them', async () => {
    const pool = new Pool({ workers: 2, initializer: task(tasks, 'init'), initargs: ['yes'] });
    try {
      await pool.ready;
      const readInit = task<() => string>(tasks, 'readInit');
      const perWorker = async (): Promise<string[]> =>
        pool.map(readInit, [undefined, undefined] as never[], { schedule: 'static' }); // one task bound to each worker
      expect(await perWorker()).toEqual(['yes', 'yes']);
      await expect(pool.apply(hang, [], { timeout: 100 })).rejects.toBeInstanceOf(TaskTimeoutError);
      await pool.givenUpTasksStopped();
      expect(await perWorker()).toEqual(['yes', 'yes']);
    } finally {
      await pool.terminate();
    }
  });

  it('a failing initializer rejects ready and every task', async () => {
    const pool = new Pool({
      workers: 2,
      initializer: () => {
        throw new Error('no database');
      },
    });
    await expect(pool.ready).rejects.toThrow('no database');
    await expect(pool.apply((x: number) => x, [1])).rejects.toThrow('no database');
    await pool.terminate();
  });
});
