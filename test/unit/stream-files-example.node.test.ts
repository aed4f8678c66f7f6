// examples/node/stream-files.mjs: Node file streams through compressStream and
// decompressStream; the gzip file it writes is read by gzip(1), the LZ4 one by lz4(1).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

describe('the stream-files example', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wyvern-streams-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips a file through gzip and LZ4 streams, into files the reference tools read', () => {
    const input = join(dir, 'data.txt');
    const text = Array.from({ length: 150_000 }, (_, i) => `line ${i}: ${'abc'.repeat(i % 9)} ${i % 101}\n`).join('');
    writeFileSync(input, text);
    const script = new URL('../../examples/node/stream-files.mjs', import.meta.url).pathname;
    for (const [codec, tool, suffix] of [['gzip', 'gzip', 'gz'], ['lz4', 'lz4', 'lz4']] as const) {
      const output = execFileSync(process.execPath, [script, input, '--codec', codec], { encoding: 'utf8' });
      expect(output).toContain(`${input}.${suffix}`);
      expect(readFileSync(`${input}.restored`, 'utf8')).toBe(text);
      expect(execFileSync(tool, ['-dc', `${input}.${suffix}`], { encoding: 'utf8', maxBuffer: 1 << 28 })).toBe(text);
    }
  });
});
