/** Entry of a browser worker (build/worker/browser.js): the init arrives as the first message. */
import type { WorkerInit, WorkerMessage } from '../platform/types.js';
import { runWorker } from './run-loop.js';

const scope = globalThis as unknown as DedicatedWorkerGlobalScope;
scope.addEventListener(
  'message',
  (event: MessageEvent<WorkerInit>) => {
    const post = (message: WorkerMessage): void => scope.postMessage(message);
    runWorker(event.data, post).then(
      () => {
        post({ type: 'stopped' });
        scope.close();
      },
      (error: Error) => {
        post({ type: 'crashed', error: { name: error.name, message: error.message, stack: error.stack } });
        scope.close();
      },
    );
  },
  { once: true },
);
