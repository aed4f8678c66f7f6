/**
 * Argument checks shared by every public facade. Each check and its message
 * live together so that they cannot drift apart: messages name the dotted
 * path of the argument, the contract, and what was received, e.g.
 * `` `options.workers` must be an integer from 1 to 64; got 1.5 ``.
 */

import { ArgumentRangeError, ArgumentTypeError, describe } from './errors.js';

function fail(kind: 'type' | 'range', path: string, contract: string, value: unknown): never {
  const message = `\`${path}\` must be ${contract}; got ${describe(value)}`;
  throw kind === 'type' ? new ArgumentTypeError(path, message) : new ArgumentRangeError(path, message);
}

/** An integer in [min, max]. Non-numbers are TypeErrors; NaN, fractions and out-of-range values RangeErrors. */
export function checkInteger(value: unknown, path: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const contract =
    min === 1 && max === Number.MAX_SAFE_INTEGER
      ? 'a positive integer'
      : min === 0 && max === Number.MAX_SAFE_INTEGER
        ? 'a non-negative integer'
        : `an integer from ${min} to ${max}`;
  if (typeof value !== 'number') fail('type', path, contract, value);
  if (!Number.isInteger(value) || value < min || value > max) fail('range', path, contract, value);
  return value;
}

/** A finite number >= min (durations, sizes in bytes). */
export function checkNonNegativeNumber(value: unknown, path: string): number {
  if (typeof value !== 'number') fail('type', path, 'a non-negative number', value);
  if (!(value >= 0) || !Number.isFinite(value)) fail('range', path, 'a finite non-negative number', value);
  return value;
}

export function checkFunction(value: unknown, path: string): (...args: never[]) => unknown {
  if (typeof value !== 'function') fail('type', path, 'a function', value);
  return value as (...args: never[]) => unknown;
}

export function checkOneOf<T extends string>(value: unknown, path: string, choices: readonly T[]): T {
  if (typeof value !== 'string' && choices.every((c) => typeof c === 'string')) fail('type', path, `one of ${choices.map((c) => `'${c}'`).join(', ')}`, value);
  if (!choices.includes(value as T)) fail('range', path, `one of ${choices.map((c) => `'${c}'`).join(', ')}`, value);
  return value as T;
}

/** An iterable object (an array, a Set, a generator, ...): a string, though iterable, is refused. */
export function checkIterable(value: unknown, path: string): Iterable<unknown> {
  if (value === null || typeof value !== 'object' || typeof (value as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    fail('type', path, 'an iterable object (an array, a Set, a generator, ...)', value);
  }
  return value as Iterable<unknown>;
}

export function checkObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) fail('type', path, 'an object', value);
  return value as Record<string, unknown>;
}

export function checkAbortSignal(value: unknown, path: string): AbortSignal {
  if (typeof AbortSignal === 'undefined' || !(value instanceof AbortSignal)) fail('type', path, 'an AbortSignal', value);
  return value as AbortSignal;
}

/** Raises the standard complaint for `path` (used where a check is specific to one place). */
export function reject(kind: 'type' | 'range', path: string, contract: string, value: unknown): never {
  fail(kind, path, contract, value);
}

/**
 * A task's options as every facade takes them: `timeout` (ms a task may run once started; Infinity, the
 * default, may be passed too) and `signal`. Calls that may run no task at all (an empty input, alpha = 0)
 * check them here too, and call `signal?.throwIfAborted()` themselves.
 */
export function checkTaskOptions(options: { timeout?: unknown; signal?: unknown }): { timeoutMs: number; signal?: AbortSignal } {
  checkObject(options, 'options');
  const timeout = options.timeout;
  if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout >= 0))) {
    fail(typeof timeout === 'number' ? 'range' : 'type', 'options.timeout', 'a non-negative number of milliseconds, or Infinity', timeout);
  }
  const timeoutMs = timeout ?? Infinity;
  const signal = options.signal === undefined ? undefined : checkAbortSignal(options.signal, 'options.signal');
  return { timeoutMs, signal };
}
