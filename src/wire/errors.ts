/**
 * Errors across the worker boundary: a worker encodes the Error it caught
 * (the codec flattens it to name, message, stack, code, argument, an
 * AggregateError's errors, cause);
 * the main thread rebuilds it as the same class where it knows the class
 * (built-in errors and wyvern's own), else as an Error with the same name.
 * The stack is the worker's: that is where the failure happened.
 */

import { WYVERN_ERROR_CLASSES, ArgumentRangeError, ArgumentTypeError } from '../errors.js';
import type { ErrorRecord } from './codec.js';

const BUILT_IN: Record<string, new (message: string) => Error> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

export function rebuildError(record: ErrorRecord): Error {
  let error: Error;
  if (record.name === 'ArgumentTypeError') error = new ArgumentTypeError(record.argument ?? '', record.message);
  else if (record.name === 'ArgumentRangeError') error = new ArgumentRangeError(record.argument ?? '', record.message);
  else if (record.name === 'AggregateError' && Array.isArray(record.errors)) error = new AggregateError(record.errors, record.message);
  else {
    // Own keys only: a name like 'constructor' must not find Object.prototype's.
    const known = (table: Record<string, new (message: string) => Error>) => (Object.hasOwn(table, record.name) ? table[record.name] : undefined);
    const Known = known(WYVERN_ERROR_CLASSES as Record<string, new (message: string) => Error>) ?? known(BUILT_IN);
    error = new (Known ?? Error)(record.message);
    if (!Known) error.name = record.name;
  }
  if (record.stack !== undefined) error.stack = record.stack;
  if (record.code !== undefined && !('code' in error && error.code)) {
    Object.defineProperty(error, 'code', { value: record.code, enumerable: true });
  }
  if (Object.hasOwn(record, 'cause')) {
    const cause = record.cause as ErrorRecord | undefined;
    Object.defineProperty(error, 'cause', {
      // Decoded already: an Error the wire rebuilt, or another value as it was sent.
      value: cause,
      enumerable: false,
      writable: true,
      configurable: true,
    });
  }
  return error;
}
