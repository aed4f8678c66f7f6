// Shared-memory tests must fail, not skip, when the page is not isolated.
if (!globalThis.crossOriginIsolated) {
  throw new Error('the test page is not cross-origin isolated: SharedArrayBuffer is unavailable (check the COOP/COEP plugin in vitest.config.ts)');
}
