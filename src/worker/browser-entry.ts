/** Entry of a browser worker (build/worker/browser.js): the init arrives as the first message. */
import type { WorkerInit, WorkerMessage } from '../platform/types.js';
import { runWorker } from './run-loop.js';

const scope = globalThis as unknown as DedicatedWorkerGlobalScope;
scope.addEventListener(
  'message',
  (event: MessageEvent<WorkerInit>) => {
    const post = (message: WorkerMessage): void => scope.postMessage(message);
    void runWorker(event.data, post).then(() => {
      post({ type: 'stopped' });
      scope.close();
    });
  },
  { once: true },
);
