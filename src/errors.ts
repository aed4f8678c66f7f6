/**
 * Every error wyvern raises.
 *
 * Bad arguments are `TypeError` (wrong kind) or `RangeError` (bad value)
 * subclasses carrying `code` and `argument`: they are thrown synchronously by
 * the public facades, or reject the promise of an async API. Runtime failures
 * extend {@link WyvernError} with a stable `code` and, where one exists, a
 * `cause`. Errors that cross a worker boundary are flattened by
 * `wire/errors.ts` and rebuilt here as the same class.
 */

/** Base class of runtime failures. `code` is stable across versions; match on it, not on messages. */
export class WyvernError extends Error {
  /** A stable identifier of the failure (`ERR_...`): one per subclass; WyvernError itself is thrown with the others (README's table). */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An argument of the wrong kind (a string where a number belongs, an unshared array, ...). */
export class ArgumentTypeError extends TypeError {
  /** As Node's own errors of this kind. */
  readonly code = 'ERR_INVALID_ARG_TYPE';
  /** @param argument the argument's path, as the message names it (`options.level`, `filter`, ...) */
  constructor(readonly argument: string, message: string) {
    super(message);
    this.name = 'ArgumentTypeError';
  }
}

/** An argument of the right kind but an unusable value (negative length, 0 workers, ...). */
export class ArgumentRangeError extends RangeError {
  /** As Node's own errors of this kind. */
  readonly code = 'ERR_OUT_OF_RANGE';
  /** @param argument the argument's path, as the message names it (`options.level`, `filter`, ...) */
  constructor(readonly argument: string, message: string) {
    super(message);
    this.name = 'ArgumentRangeError';
  }
}

/** The shared heap cannot hold an allocation, even after growing to its maximum. */
export class OutOfMemoryError extends WyvernError {
  constructor(message: string) {
    super('ERR_OUT_OF_MEMORY', message);
  }
}

/** `free` was given something the heap never allocated, or already freed. */
export class InvalidFreeError extends WyvernError {
  constructor(message: string) {
    super('ERR_INVALID_FREE', message);
  }
}

/** The worker running a task exited or crashed before finishing it. */
export class WorkerExitError extends WyvernError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_WORKER_EXIT', message, options);
  }
}

/** A task ran longer than its `timeout`; its worker was replaced. */
export class TaskTimeoutError extends WyvernError {
  constructor(message: string) {
    super('ERR_TASK_TIMEOUT', message);
  }
}

/** The pool was closed (no new work) or terminated (work in flight rejected). */
export class PoolClosedError extends WyvernError {
  constructor(message: string) {
    super('ERR_POOL_CLOSED', message);
  }
}

/** A WebAssembly kernel refused its arguments (see assembly/kernels/guard.ts). */
export class KernelError extends WyvernError {
  constructor(message: string) {
    super('ERR_KERNEL', message);
  }
}

/** An inline function could not run in a worker: not self-contained, or not a plain function. */
export class InlineFunctionError extends WyvernError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INLINE_FUNCTION', message, options);
  }
}

/** The pool's `initializer` threw in a worker; the pool cannot serve. */
export class InitializerError extends WyvernError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INITIALIZER', message, options);
  }
}

/** A value cannot be sent to or from a worker (a function, a symbol, a cyclic object, ...). */
export class SerializationError extends WyvernError {
  constructor(message: string) {
    super('ERR_SERIALIZATION', message);
  }
}

/** Compressed input that is truncated, corrupted, or not in the expected format. */
export class CorruptDataError extends WyvernError {
  constructor(message: string) {
    super('ERR_CORRUPT_DATA', message);
  }
}

/** Output would exceed the caller's `maxOutputLength`, or not fit in the array given as `out`. */
export class OutputLimitError extends WyvernError {
  constructor(message: string) {
    super('ERR_OUTPUT_LIMIT', message);
  }
}

/**
 * The shared heap's lock stayed taken longer than any allocation takes: its holder died or was
 * terminated inside one (the pool releases it when that worker's exit is reported), or never lets go.
 */
export class HeapLockedError extends WyvernError {
  constructor(message: string) {
    super('ERR_HEAP_LOCKED', message);
  }
}

/** Classes rebuilt by name when an error crosses a worker boundary. */
export const WYVERN_ERROR_CLASSES: Record<string, new (message: string) => Error> = {
  OutOfMemoryError,
  InvalidFreeError,
  WorkerExitError,
  TaskTimeoutError,
  PoolClosedError,
  KernelError,
  InlineFunctionError,
  InitializerError,
  SerializationError,
  CorruptDataError,
  OutputLimitError,
  HeapLockedError,
};

/** Describes a received value for error messages: `1.5`, `"abc"`, `an object`, `a Float32Array`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'undefined':
      return 'undefined';
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'string':
      return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
    case 'function':
      return `a function${value.name ? ` (${value.name})` : ''}`;
    case 'symbol':
      return 'a symbol';
    default: {
      const name = (value as object).constructor?.name;
      // "an Int8Array", "an ArrayBuffer", but "a Uint8Array" (said "you-int").
      return name && name !== 'Object' ? `${/^[AEIO]/.test(name) ? 'an' : 'a'} ${name}` : 'an object';
    }
  }
}
