// Worker for the raw postMessage peer: echoes each message's integer back.
import { parentPort } from 'node:worker_threads';
parentPort.on('message', (value) => parentPort.postMessage(value));
