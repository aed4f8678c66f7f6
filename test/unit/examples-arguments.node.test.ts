// The Node examples' command lines (examples/node/cli.mjs): --help prints a usage with
// every option and exits 0; an unknown option or a bad value is one line on stderr
// (the option, what was expected, what was given, "see --help") and exit code 2,
// before any pool starts. No workload runs here.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(script: string, args: string[], cwd?: string): Promise<Run> {
  const path = new URL(`../../examples/node/${script}`, import.meta.url).pathname;
  return new Promise((resolve) => {
    execFile(process.execPath, [path, ...args], { cwd, timeout: 20_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number | null }).code ?? null) : 0, stdout, stderr });
    });
  });
}

/** One line naming `option` and the value given, "see --help", exit code 2, no stack trace. */
function expectRefused(result: Run, ...parts: string[]): void {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  for (const part of [...parts, 'see --help']) expect(lines[0]).toContain(part);
}

const scripts: Record<string, string[]> = {
  'main.mjs': ['--iterations', '--burns', '--size'],
  'convolution-seed.mjs': ['--num_workers', '--iterations', '--burns', '--size', '--mem'],
  'pool-demo.mjs': ['--workers'],
  'stream-files.mjs': ['--codec', '--level'],
  'matrix-powers.mjs': ['--n', '--power'],
};

describe('the Node examples’ arguments', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wyvern-examples-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('print a usage with every option and its default on --help and -h, exit code 0', async () => {
    const runs = await Promise.all(Object.keys(scripts).flatMap((script) => [run(script, ['--help']), run(script, ['-h'])]));
    Object.entries(scripts).forEach(([script, options], i) => {
      for (const result of runs.slice(2 * i, 2 * i + 2)) {
        expect(result.code, `${script}: ${result.stderr}`).toBe(0);
        expect(result.stderr).toBe('');
        expect(result.stdout).toMatch(/^usage: /);
        for (const option of [...options, '--help']) expect(result.stdout, script).toContain(option);
        expect(result.stdout.match(/\(default /g)?.length, script).toBe(options.length);
      }
    });
  });

  it('refuse unknown options and bad values in one line, exit code 2', async () => {
    const cases: [string, string[], string[]][] = [
      ['main.mjs', ['--iterations', 'abc'], ['--iterations', "'abc'"]],
      ['main.mjs', ['--iterations', '0', '--burns', '0'], ['--iterations', "'0'"]],
      ['main.mjs', ['--size', '6000'], ['--size', '5792', "'6000'"]],
      ['main.mjs', ['--nope'], ["'--nope'", '--iterations']],
      ['convolution-seed.mjs', ['--burns', '-1'], ['--burns', "'-1'"]],
      ['convolution-seed.mjs', ['--burns'], ['--burns', 'none']],
      ['convolution-seed.mjs', ['--size', '6000'], ['--size', '--mem 33554432', "'6000'"]],
      ['convolution-seed.mjs', ['--num_workers', '100'], ['--num_workers', '1 to 64', "'100'"]],
      ['convolution-seed.mjs', ['--mem', '4000000000'], ['--mem', "'4000000000'"]],
      ['convolution-seed.mjs', ['extra'], ["'extra'"]],
      ['pool-demo.mjs', ['--workers', 'abc'], ['--workers', "'abc'"]],
      ['matrix-powers.mjs', ['--n', '0'], ['--n', "'0'"]],
      ['matrix-powers.mjs', ['--power', '1.5'], ['--power', "'1.5'"]],
      ['stream-files.mjs', [], ['<input file>']],
    ];
    const results = await Promise.all(cases.map(([script, args]) => run(script, args)));
    cases.forEach(([, , parts], i) => expectRefused(results[i]!, ...parts));
  });

  it('stream-files: checks the level per codec and the input before writing anything', async () => {
    const input = join(dir, 'data.txt');
    writeFileSync(input, 'some text\n');
    const missing = join(dir, 'missing.txt');
    const [gzipLevel, lz4Level, notNumber, codec, absent, absentLz4] = await Promise.all([
      run('stream-files.mjs', [input, '--level', '12']),
      run('stream-files.mjs', [input, '--codec', 'lz4', '--level', '0']),
      run('stream-files.mjs', [input, '--level', 'abc']),
      run('stream-files.mjs', [input, '--codec', 'zip']),
      run('stream-files.mjs', [missing]),
      run('stream-files.mjs', [missing, '--codec', 'lz4']),
    ]);
    expectRefused(gzipLevel!, '--level', '0 to 9 for gzip', "'12'");
    expectRefused(lz4Level!, '--level', '1 to 12 for lz4', "'0'");
    expectRefused(notNumber!, '--level', "'abc'");
    expectRefused(codec!, '--codec', 'gzip or lz4', "'zip'");
    expectRefused(absent!, missing, 'does not exist');
    expectRefused(absentLz4!, missing, 'does not exist');
    for (const suffix of ['gz', 'lz4', 'restored']) {
      expect(existsSync(`${input}.${suffix}`)).toBe(false);
      expect(existsSync(`${missing}.${suffix}`)).toBe(false);
    }
  });
});
