/** Entry of a browser worker (build/worker/browser.js): the init arrives as the first message. */
import type { WorkerInit } from '../platform/types.js';
import { runWorker } from './run-loop.js';

const scope = globalThis as unknown as DedicatedWorkerGlobalScope;
scope.addEventListener(
  'message',
  (event: MessageEvent<WorkerInit>) => {
    void runWorker(event.data, (message) => scope.postMessage(message)).then(() => scope.close());
  },
  { once: true },
);
