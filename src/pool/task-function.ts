/**
 * What a task runs, as the user names it, and how the main thread turns it
 * into a function id the workers can resolve:
 *
 * - a built-in kernel (`kernels.sumF64`): negative ids, `-1 - index`;
 * - an export of a task module (`task(url, 'name')`): the module is imported
 *   in the worker, so it can import whatever it needs;
 * - an inline function: its source text is sent and compiled in the worker.
 *   It must be self-contained: it cannot see the variables around it.
 *
 * Module references and inline sources are written once into the shared
 * function table (see layout.ts); tasks carry only the id.
 */

import { InlineFunctionError, describe, ArgumentTypeError, WyvernError } from '../errors.js';
import { FUNCTION_COUNT, FunctionKind, functionEntryIndex } from '../memory/layout.js';
import type { SharedHeap } from '../memory/heap.js';
import type { MemoryViews } from '../memory/views.js';
import { isKernel, type Kernel } from '../wasm/kernels.js';

/** An exported function of a module, loaded by URL in each worker. Create with {@link task}. */
export interface ModuleTask<Args extends unknown[] = unknown[], Result = unknown> {
  readonly kind: 'module';
  /** The module's URL (a file: URL in Node), imported once by each worker. */
  readonly url: string;
  /** The name the function is exported under. */
  readonly exportName: string;
  /** Type-level only. */
  readonly signature?: (...args: Args) => Result;
}

/** Anything a pool can run: an inline function, a module export, or a kernel. */
export type TaskFunction<Args extends unknown[] = never[], Result = unknown> =
  | ((...args: Args) => Result | PromiseLike<Result>)
  | ModuleTask<Args, Result>
  | Kernel<Args, Result>;

/** The arguments a task function takes. */
export type TaskArgs<F> =
  F extends Kernel<infer A, infer _R> ? A : F extends ModuleTask<infer A, infer _R> ? A : F extends (...args: infer A) => unknown ? A : never;
/** What a task function's promise resolves to. */
export type TaskResult<F> =
  F extends Kernel<infer _A, infer R>
    ? R
    : F extends ModuleTask<infer _A, infer R>
      ? R
      : F extends (...args: never[]) => infer R
        ? Awaited<R>
        : never;

/**
 * Names the export `exportName` of the module at `url` as a task. The URL
 * must be absolute (use `new URL('./tasks.js', import.meta.url)`): workers
 * resolve it, not the caller's module.
 *
 * @example
 * const square = task<(x: number) => number>(new URL('./tasks.js', import.meta.url), 'square');
 * await pool.map(square, [1, 2, 3]);
 */
export function task<F extends (...args: never[]) => unknown>(url: string | URL, exportName = 'default'): ModuleTask<Parameters<F>, Awaited<ReturnType<F>>> {
  const href = url instanceof URL ? url.href : url;
  if (typeof href !== 'string') throw new ArgumentTypeError('url', `\`url\` must be a string or URL; got ${describe(url)}`);
  try {
    new URL(href);
  } catch {
    throw new ArgumentTypeError('url', `\`url\` must be an absolute URL (use new URL('./file.js', import.meta.url)); got ${describe(href)}`);
  }
  if (typeof exportName !== 'string' || exportName === '') {
    throw new ArgumentTypeError('exportName', `\`exportName\` must be a non-empty string; got ${describe(exportName)}`);
  }
  return Object.freeze({ kind: 'module', url: href, exportName });
}

export function isModuleTask(value: unknown): value is ModuleTask {
  return typeof value === 'object' && value !== null && (value as ModuleTask).kind === 'module';
}

/** The source text of an inline function, refusing what cannot be sent as source. */
export function inlineSource(fn: (...args: never[]) => unknown, path: string): string {
  const source = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    throw new InlineFunctionError(
      `\`${path}\` is a built-in or bound function (${fn.name || 'anonymous'}), which cannot be sent to a worker as source: wrap it, e.g. (x) => Math.sqrt(x)`,
    );
  }
  if (/^class\b/.test(source)) throw new InlineFunctionError(`\`${path}\` is a class; pass a function`);
  return source;
}

/** Main-thread registry: one id per distinct task, its description written into the shared function table. */
export class FunctionRegistry {
  private readonly ids = new Map<string, number>();
  private readonly byFunction = new WeakMap<object, number>();

  constructor(
    private readonly views: MemoryViews,
    private readonly heap: SharedHeap,
  ) {}

  /** The id workers resolve `fn` by, registering it on first use. */
  idOf(fn: unknown, path = 'fn'): number {
    if (typeof fn === 'function') {
      const known = this.byFunction.get(fn);
      if (known !== undefined) return known;
      const id = this.register(FunctionKind.INLINE, inlineSource(fn as () => unknown, path));
      this.byFunction.set(fn, id);
      return id;
    }
    if (isKernel(fn)) return -1 - fn.index;
    if (isModuleTask(fn)) return this.register(FunctionKind.MODULE, `${fn.exportName}\n${fn.url}`);
    throw new ArgumentTypeError(path, `\`${path}\` must be a function, a task(url, name) or a kernel; got ${describe(fn)}`);
  }

  private register(kind: FunctionKind, text: string): number {
    const key = `${kind}:${text}`;
    const existing = this.ids.get(key);
    if (existing !== undefined) return existing;
    const id = this.ids.size;
    if (id >= FUNCTION_COUNT) {
      throw new WyvernError('ERR_TOO_MANY_FUNCTIONS', `a pool can register at most ${FUNCTION_COUNT} distinct task functions`);
    }
    const bytes = new TextEncoder().encode(text);
    const ptr = this.heap.allocate(bytes.length);
    this.views.ensure(ptr + bytes.length);
    this.views.u8.set(bytes, ptr);
    const entry = functionEntryIndex(id);
    const words = this.views.i32;
    Atomics.store(words, entry + 1, ptr);
    Atomics.store(words, entry + 2, bytes.length);
    // Publishing the kind last makes the entry visible only once complete.
    Atomics.store(words, entry, kind);
    this.ids.set(key, id);
    return id;
  }
}

/** Worker side: compiles and caches the functions behind ids. */
export class FunctionResolver {
  private readonly cache = new Map<number, (...args: unknown[]) => unknown>();

  constructor(
    private readonly views: MemoryViews,
    private readonly kernelFunctions: ((...args: never[]) => unknown)[],
  ) {}

  /** Whether id names an inline function (whose ReferenceErrors mean it was not self-contained). */
  isInline(id: number): boolean {
    return id >= 0 && Atomics.load(this.views.i32, functionEntryIndex(id)) === FunctionKind.INLINE;
  }

  /** The function for `id`; a promise only the first time a module is imported. */
  resolve(id: number): ((...args: unknown[]) => unknown) | Promise<(...args: unknown[]) => unknown> {
    if (id < 0) return this.kernelFunctions[-1 - id] as (...args: unknown[]) => unknown;
    const cached = this.cache.get(id);
    if (cached) return cached;
    const words = this.views.i32;
    const entry = functionEntryIndex(id);
    const kind = Atomics.load(words, entry);
    const ptr = Atomics.load(words, entry + 1);
    const length = Atomics.load(words, entry + 2);
    this.views.ensure(ptr + length);
    const text = new TextDecoder().decode(this.views.u8.slice(ptr, ptr + length));
    if (kind === FunctionKind.INLINE) {
      const fn = compileInline(text);
      this.cache.set(id, fn);
      return fn;
    }
    const [exportName, url] = text.split('\n') as [string, string];
    return importModule(url).then((module: Record<string, unknown>) => {
      const fn = module[exportName];
      if (typeof fn !== 'function') {
        throw new ArgumentTypeError('exportName', `module ${url} has no exported function \`${exportName}\`; got ${describe(fn)}`);
      }
      this.cache.set(id, fn as (...args: unknown[]) => unknown);
      return fn as (...args: unknown[]) => unknown;
    });
  }
}

/**
 * `import(url)` hidden from bundlers and dev servers, which would otherwise
 * rewrite it (Vitest's browser mode wraps every dynamic import with a helper
 * that does not exist inside a worker). Task URLs are absolute, so no
 * referrer is needed.
 */
export const importModule = new Function('url', 'return import(url)') as (url: string) => Promise<Record<string, unknown>>;

/** Compiles an inline function's source in the worker's global scope. */
export function compileInline(source: string): (...args: unknown[]) => unknown {
  try {
    return new Function(`return (${source});`)() as (...args: unknown[]) => unknown;
  } catch (error) {
    // Method shorthand (`square(x) { ... }`) is not an expression on its own.
    try {
      const holder = new Function(`return ({ ${source} });`)() as Record<string, (...args: unknown[]) => unknown>;
      const fn = Object.values(holder)[0];
      if (typeof fn === 'function') return fn;
    } catch {
      // fall through to the original error
    }
    throw new InlineFunctionError(`cannot compile the inline task function in the worker: ${(error as Error).message}`, { cause: error });
  }
}

/** Rewrites the ReferenceError of an inline function that used a variable from its original scope. */
export function explainMissingVariable(error: unknown): unknown {
  if (!(error instanceof ReferenceError)) return error;
  const match = /^(\S+) is not defined/.exec(error.message);
  if (!match) return error;
  const name = match[1];
  return new InlineFunctionError(
    `the inline task function uses \`${name}\`, which does not exist in the worker: inline functions are sent as source text ` +
      `and cannot capture variables from where they were written. Pass \`${name}\` as an argument, or export the function ` +
      `from a module and run it with task(url, name)`,
    { cause: error },
  );
}
