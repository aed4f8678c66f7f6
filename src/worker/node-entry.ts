/** Entry of a Node worker (build/worker/node.js): the init arrives as workerData. */
import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerInit } from '../platform/types.js';
import { runWorker } from './run-loop.js';

await runWorker(workerData as WorkerInit, (message) => parentPort!.postMessage(message));
// Leaving the loop means shutdown: close the channel so the thread can end.
parentPort!.close();
