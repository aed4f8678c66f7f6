import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Pool, dump, load } from '../../src/index.js';

describe('dump / load with files (Node)', () => {
  const pool = new Pool({ workers: 2 });
  const dir = mkdtempSync(join(tmpdir(), 'wyvern-dump-'));
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await pool.terminate();
  });

  it('writes a file that load reads back, by path and by file URL', async () => {
    const path = join(dir, 'model.wyvn');
    const bytes = await dump({ w: new Float64Array([0.5, 1.5]), name: 'model' }, path, { pool });
    expect(Array.from(readFileSync(path))).toEqual(Array.from(bytes));
    expect(await load(path, { pool })).toEqual({ w: new Float64Array([0.5, 1.5]), name: 'model' });
    expect(await load(new URL(`file://${path}`), { pool })).toEqual({ w: new Float64Array([0.5, 1.5]), name: 'model' });
  });
});
