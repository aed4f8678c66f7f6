// An application that installs wyvern and builds with Vite gets the worker script and both builds of the
// kernels in its output, and its page runs tasks and kernels from there, with no build/ of ours beside it.
// (Bundlers copy a file named by `new URL('literal', import.meta.url)`; a URL made from a template or a
// variable they leave pointing at a build/ the deployed application does not have.)
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright';
import { build } from 'vite';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain JavaScript example
import { isolatedStaticServer } from '../../examples/browser/serve.mjs';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('an application built with Vite', () => {
  const app = mkdtempSync(join(tmpdir(), 'wyvern-vite-app-'));
  afterAll(() => rmSync(app, { recursive: true, force: true }));

  it('carries the worker and the kernels into its output and runs them', { timeout: 120_000 }, async () => {
    cpSync(fileURLToPath(new URL('../fixtures/vite-app', import.meta.url)), app, { recursive: true });
    mkdirSync(join(app, 'node_modules'));
    // As an installed package (npm link): the package's own exports choose build/dist/browser.js.
    symlinkSync(fileURLToPath(new URL('../..', import.meta.url)), join(app, 'node_modules', 'wyvern'), 'dir');
    const dist = join(app, 'dist');
    await build({ root: app, logLevel: 'silent', configFile: false, build: { outDir: dist, target: 'esnext' } });
    const assets = readdirSync(join(dist, 'assets'));
    expect(assets.filter((name) => name.endsWith('.wasm')).length).toBe(2);

    const server = isolatedStaticServer(dist) as Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const missing: string[] = [];
      page.on('response', (response) => void (response.status() === 404 && missing.push(response.url())));
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await page.waitForFunction(() => document.title !== '', null, { timeout: 30_000 });
      expect(await page.title()).toBe('ok 1,4,9 50');
      expect(missing).toEqual([]);
    } finally {
      await browser.close();
      server.close();
    }
  });
});
