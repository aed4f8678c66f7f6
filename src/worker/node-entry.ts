/** Entry of a Node worker (build/worker/node.js): the init arrives as workerData. */
import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerInit } from '../platform/types.js';
import { runWorker } from './run-loop.js';

// The loop blocks in Atomics.wait between tasks, but a task may await what does not keep Node's event loop
// alive (Atomics.waitAsync, an unref'd timer, a promise that never settles): with nothing else pending, Node
// ends the thread (exit code 13, a top-level await unsettled) and the task is lost as a worker exit. This
// timer keeps the loop alive until the loop ends; it never fires while the thread waits or runs a task.
const keepAlive = setInterval(() => {}, 2 ** 30);
// A promise a task rejected and left unhandled would end the thread at its next turn of the event loop
// (Node's default), failing whichever later task runs then as a worker exit. Browsers log such a rejection
// and go on; so do we, so the two platforms agree and no task pays for another's leftover.
process.on('unhandledRejection', (reason) => {
  console.error(`wyvern worker ${(workerData as WorkerInit).workerIndex}: a promise was rejected and never handled:`, reason);
});
await runWorker(workerData as WorkerInit, (message) => parentPort!.postMessage(message));
clearInterval(keepAlive);
// Leaving the loop means shutdown: close the channel so the thread can end.
parentPort!.close();
