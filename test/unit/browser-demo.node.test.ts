// End to end: the browser demo page, served with COOP/COEP by
// examples/browser/serve.mjs, runs in Chromium from the esbuild bundle.
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain JavaScript example
import { server } from '../../examples/browser/serve.mjs';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('browser demo', () => {
  let port = 0;
  beforeAll(async () => {
    await new Promise<void>((resolve) => (server as import('node:http').Server).listen(0, '127.0.0.1', resolve));
    port = ((server as import('node:http').Server).address() as AddressInfo).port;
  });
  afterAll(() => (server as import('node:http').Server).close());

  it('answers a malformed request path with 400 and goes on serving', async () => {
    expect((await fetch(`http://127.0.0.1:${port}/%E0%A4%A`)).status).toBe(400);
    expect((await fetch(`http://127.0.0.1:${port}/examples/browser/`)).status).toBe(200);
  });

  it('is cross-origin isolated and runs its tasks', async () => {
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/examples/browser/`);
      await page.click('#run');
      await page.waitForFunction(() => document.title.endsWith('done') || document.getElementById('out')!.textContent!.includes('error'), null, { timeout: 20_000 });
      const text = await page.textContent('#out');
      expect(text).toContain('crossOriginIsolated: true');
      expect(text).toContain('map: 0 1 4 9 16 25 36 49 64 81');
      expect(text).toMatch(/sum of 4000000 doubles across workers: 1000000 in/);
      expect(text).toMatch(/20,000 tasks: [\d.]+ µs\/task/);
    } finally {
      await browser.close();
    }
  });
});
