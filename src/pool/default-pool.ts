/**
 * The pool that kernel functions (conv2d, ...) use when their options name
 * none: created on first use with one worker per core. Its idle workers do
 * not keep a Node process alive, so scripts end without closing it.
 */

import { Pool } from './pool.js';

let shared: Pool | undefined;

/**
 * The default pool, created on first call, and made again after it was closed,
 * terminated or failed (its kernels would not load): one caller ending it does
 * not leave every later call without a pool.
 */
export function defaultPool(): Pool {
  if (!shared?.acceptsTasks) shared = new Pool();
  return shared;
}

/** Terminates the default pool (a new one is made on the next call). */
export async function closeDefaultPool(): Promise<void> {
  const pool = shared;
  shared = undefined;
  await pool?.terminate();
}
