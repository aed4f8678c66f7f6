import { chmodSync, linkSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CorruptDataError, Pool, PoolClosedError, dump, load } from '../../src/index.js';

describe('dump / load with files (Node)', () => {
  const pool = new Pool({ workers: 2 });
  const dir = mkdtempSync(join(tmpdir(), 'wyvern-dump-'));
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await pool.terminate();
  });

  it('writes a file that load reads back, by path and by file URL', async () => {
    const path = join(dir, 'model.wyvn');
    const written = await dump({ w: new Float64Array([0.5, 1.5]), name: 'model' }, path, { pool });
    const bytes = await dump({ w: new Float64Array([0.5, 1.5]), name: 'model' }, undefined, { pool });
    expect(written).toBe(bytes.length);
    expect(Array.from(readFileSync(path))).toEqual(Array.from(bytes));
    expect(await load(path, { pool })).toEqual({ w: new Float64Array([0.5, 1.5]), name: 'model' });
    expect(await load(new URL(`file://${path}`), { pool })).toEqual({ w: new Float64Array([0.5, 1.5]), name: 'model' });
  });

  it('writes to a name as long as the file system allows (the file written beside it has a short name)', async () => {
    const path = join(dir, 'n'.repeat(250));
    const written = await dump({ x: new Float64Array([4, 5]) }, path, { pool });
    expect(statSync(path).size).toBe(written);
    expect(Array.from(((await load(path, { pool })) as { x: Float64Array }).x)).toEqual([4, 5]);
    rmSync(path);
  });

  it('a target that cannot be written fails before any array is compressed', async () => {
    // On a terminated pool the compression would fail with PoolClosedError: the file's error comes first.
    const closed = new Pool({ workers: 1 });
    await closed.terminate();
    await expect(dump({ x: new Float64Array(10) }, join(dir, 'missing', 'x.wyvn'), { pool: closed })).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a dump that fails after its file was opened leaves the earlier file as it was, and nothing beside it', async () => {
    const path = join(dir, 'kept.wyvn');
    writeFileSync(path, 'the earlier content');
    const closed = new Pool({ workers: 1 });
    await closed.terminate();
    // The file beside the target is opened, then compressing on the terminated pool fails.
    await expect(dump({ x: new Float64Array(10) }, path, { pool: closed })).rejects.toBeInstanceOf(PoolClosedError);
    expect(readFileSync(path, 'utf8')).toBe('the earlier content');
    expect(readdirSync(dir).filter((name) => name.endsWith('.partial'))).toEqual([]);
    rmSync(path);
  });

  it('a hard-linked target is written in place: every name of the file holds the dump', async () => {
    const path = join(dir, 'linked.wyvn');
    const other = join(dir, 'other-name.wyvn');
    const old = 'old content, longer than the dump: cut to it at the end. '.repeat(100);
    writeFileSync(path, old);
    linkSync(path, other);
    // A dump that fails (compressing on a terminated pool) leaves it as it was: not emptied up front.
    const closed = new Pool({ workers: 1 });
    await closed.terminate();
    await expect(dump({ x: new Float64Array(10) }, path, { pool: closed })).rejects.toBeInstanceOf(PoolClosedError);
    expect(readFileSync(other, 'utf8')).toBe(old);
    const written = await dump({ x: new Float64Array([1, 2]) }, path, { pool });
    expect(statSync(other).size).toBe(written);
    expect(readFileSync(other)).toEqual(readFileSync(path));
    expect(Array.from(((await load(other, { pool })) as { x: Float64Array }).x)).toEqual([1, 2]);
    rmSync(path);
    rmSync(other);
  });

  it('replaces an existing file whole, through a file beside it that is renamed at the end', async () => {
    const path = join(dir, 'replaced.wyvn');
    writeFileSync(path, 'an older, longer file '.repeat(1000));
    await dump({ w: new Float64Array([2]) }, path, { pool });
    expect(await load(path, { pool })).toEqual({ w: new Float64Array([2]) });
    expect(readdirSync(dir).filter((name) => name.startsWith('replaced.wyvn'))).toEqual(['replaced.wyvn']);
    // A directory that does not exist: nothing is created, and the error is the file system's, naming the target.
    const missing = join(dir, 'missing', 'x.wyvn');
    await expect(dump({ w: new Float64Array([2]) }, missing, { pool })).rejects.toThrow(`ENOENT: no such file or directory, open '${missing}'`);
    // The old file's permissions are kept; a symbolic link stays a link, its target rewritten.
    chmodSync(path, 0o600);
    await dump({ w: new Float64Array([3]) }, path, { pool });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const link = join(dir, 'link.wyvn');
    symlinkSync(path, link);
    await dump({ w: new Float64Array([4]) }, link, { pool });
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(await load(path, { pool })).toEqual({ w: new Float64Array([4]) });
  });

  it('reads each array straight from the file into ordinary or shared arrays, raw and compressed; a cut file is a CorruptDataError', async () => {
    const weights = new Float64Array(40_000).map((_, i) => Math.cos(i / 50));
    const labels = new Int32Array(1000).map((_, i) => i * 3);
    for (const compress of [false, 'lz4', 'gzip'] as const) {
      const path = join(dir, `arrays-${compress}.wyvn`);
      const written = await dump({ weights, nested: { labels } }, path, { pool, compress });
      const bytes = readFileSync(path);
      expect(bytes.length).toBe(written);
      for (const shared of [false, true]) {
        const back = (await load(path, { pool, shared })) as { weights: Float64Array; nested: { labels: Int32Array } };
        expect(back).toEqual({ weights, nested: { labels } });
        expect(pool.isShared(back.weights)).toBe(shared);
        if (shared) {
          pool.free(back.weights);
          pool.free(back.nested.labels);
        }
      }
      writeFileSync(path, bytes.subarray(0, bytes.length - 10));
      await expect(load(path, { pool }), `${compress}`).rejects.toBeInstanceOf(CorruptDataError);
    }
  });

  it('reads a raw array larger than its read pieces (8 MiB) whole, and finds a flipped byte in any piece', async () => {
    const big = new Float64Array(2_700_000).map((_, i) => i * 0.25 - 7); // 21.6 MB: three pieces
    const path = join(dir, 'big-raw.wyvn');
    await dump({ big }, path, { pool, compress: false });
    for (const shared of [false, true]) {
      const back = (await load(path, { pool, shared })) as { big: Float64Array };
      expect(back.big.length).toBe(big.length);
      expect(back.big.every((v, i) => v === big[i])).toBe(true);
      if (shared) pool.free(back.big);
    }
    const bytes = readFileSync(path);
    for (const at of [bytes.length - big.byteLength + 5, bytes.length - big.byteLength + (8 << 20) + 123, bytes.length - 1]) {
      const damaged = Buffer.from(bytes);
      damaged[at]! ^= 0x40;
      writeFileSync(path, damaged);
      for (const shared of [false, true]) await expect(load(path, { pool, shared }), `byte ${at}, shared ${shared}`).rejects.toThrow(/array 0 checksum mismatch/);
    }
  });

  it('round-trips an LZ4 array larger than the pool\'s memory and than decompress()\'s default limit (1 GiB)', { timeout: 120_000 }, async () => {
    // 1.1 GiB: compressed a few blocks at a time, and decoded into the array with its own size as the
    // limit (load passed none, and decompress's 1 GiB default called the file corrupted).
    const path = join(dir, 'large.wyvn');
    const big = new Uint8Array(1.1 * 2 ** 30);
    for (let i = 0; i < big.length; i += 4093) big[i] = i & 255;
    await dump({ big }, path, { pool });
    const back = (await load(path, { pool, maxOutputLength: 2 ** 31 - 1 })) as { big: Uint8Array };
    expect(back.big.length).toBe(big.length);
    for (let i = 0; i < big.length; i += 4093) if (back.big[i] !== (i & 255)) expect.fail(`byte ${i}: ${back.big[i]}`);
    expect(back.big[big.length - 1]).toBe(big[big.length - 1]);
    rmSync(path);
  });
});
