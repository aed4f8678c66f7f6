/** Entry of a Node worker (build/worker/node.js): the init arrives as workerData. */
import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerInit } from '../platform/types.js';
import { runWorker } from './run-loop.js';

// The loop blocks in Atomics.wait between tasks, but a task may await what does not keep Node's event loop
// alive (Atomics.waitAsync, an unref'd timer, a promise that never settles): with nothing else pending, Node
// ends the thread (exit code 13, a top-level await unsettled) and the task is lost as a worker exit. This
// timer keeps the loop alive until the loop ends; it never fires while the thread waits or runs a task.
const keepAlive = setInterval(() => {}, 2 ** 30);
await runWorker(workerData as WorkerInit, (message) => parentPort!.postMessage(message));
clearInterval(keepAlive);
// Leaving the loop means shutdown: close the channel so the thread can end.
parentPort!.close();
