// Two projects run the same test files: Node, and real Chromium (Debian's
// /usr/bin/chromium through playwright-core). `*.node.test.ts` and
// `*.browser.test.ts` are platform-only. Pages must be cross-origin isolated
// for SharedArrayBuffer: `server.headers` does not reach the test iframe, a
// middleware that runs before Vite's own does (see shared/REFERENCES.md).
import { playwright } from '@vitest/browser-playwright';
import { defineConfig, type Plugin } from 'vitest/config';

const crossOriginIsolation: Plugin = {
  name: 'cross-origin-isolation',
  enforce: 'pre',
  configureServer(server) {
    server.middlewares.use((_request, response, next) => {
      response.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      response.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
      response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
      next();
    });
  },
};

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.browser.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        plugins: [crossOriginIsolation],
        // Pre-bundle the test dependencies at start: discovering them mid-run makes Vite reload the page.
        optimizeDeps: { include: ['fast-check', 'fflate'] },
        test: {
          name: 'chromium',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.node.test.ts'],
          setupFiles: ['test/setup/browser.ts'],
          testTimeout: 30_000,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
