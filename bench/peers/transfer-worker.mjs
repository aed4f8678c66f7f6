// Worker for the transfer peer: receives a Float64Array (copied or transferred), reads it, sends it back transferred.
import { parentPort } from 'node:worker_threads';
parentPort.on('message', (array) => {
  const value = array[0] + array[array.length - 1];
  parentPort.postMessage({ value, array }, [array.buffer]);
});
