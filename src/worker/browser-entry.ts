/** Entry of a browser worker (build/worker/browser.js): the init arrives as the first message. */
import type { WorkerInit, WorkerMessage } from '../platform/types.js';
import { runWorker } from './run-loop.js';

const scope = globalThis as unknown as DedicatedWorkerGlobalScope;
scope.addEventListener(
  'message',
  (event: MessageEvent<WorkerInit>) => {
    const post = (message: WorkerMessage): void => scope.postMessage(message);
    holdForLife(event.data.lifeLock)
      .then(() => runWorker(event.data, post))
      .then(
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

/**
 * Takes the Web Lock named `name` and never releases it: the page is granted
 * it when this worker is gone (see spawnWorker in src/platform/browser.ts).
 * Resolves once it is held; at once without Web Locks.
 */
function holdForLife(name: string | undefined): Promise<void> {
  const locks = (scope.navigator as WorkerNavigator | undefined)?.locks;
  if (!name || !locks) return Promise.resolve();
  return new Promise((held) => {
    void locks.request(name, () => {
      held();
      return new Promise<never>(() => {});
    });
  });
}
