/**
 * What the rest of wyvern needs from its platform. `#platform` resolves to
 * node.ts under Node and to browser.ts in browsers (package.json "imports");
 * nothing else in src/ knows which one it runs on.
 */

/** Sent once to a new worker (structured clone: the memory and module are shared, not copied). */
export interface WorkerInit {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  workerIndex: number;
  /** Non-zero tag identifying this incarnation of the worker as a lock holder and slot owner. */
  threadTag: number;
  maximumBytes: number;
  /** Microseconds an idle worker polls the rings before it sleeps. */
  spinMicros: number;
  initializer?: { kind: 'inline'; source: string; args: unknown[] } | { kind: 'module'; url: string; exportName: string; args: unknown[] };
  /**
   * Browsers: the name of a Web Lock the worker holds for its whole life, so
   * that the page learns when a terminated worker is really gone (its locks go
   * with it). Set by the platform module, not by the pool.
   */
  lifeLock?: string;
}

/** Messages on the control channel, worker → main. The hot path never uses it. */
export type WorkerMessage =
  | { type: 'ready' }
  /** Setup failed: the kernels would not instantiate, or the pool's initializer threw. */
  | { type: 'init-error'; stage: 'startup' | 'initializer'; error: { name: string; message: string; stack?: string } }
  /** Browsers: the run loop itself failed (Node reports this as the worker's 'error' and 'exit' events). */
  | { type: 'crashed'; error: { name: string; message: string; stack?: string } }
  /** The run loop ended (shutdown). Browsers have no exit event; this stands in for it. */
  | { type: 'stopped' };

export interface WorkerHandle {
  onMessage(listener: (message: WorkerMessage) => void): void;
  /** Called once when the worker is gone, with a reason when it did not leave by itself. */
  onExit(listener: (exitCode: number, error?: Error) => void): void;
  /**
   * Stops the worker. Its exit is reported once its thread is gone, which in
   * browsers can be seconds later (a busy or sleeping worker runs on until
   * the browser forces it to stop); `immediately` reports it at once, for a
   * pool shutting down that reuses nothing the worker could still write.
   */
  terminate(immediately?: boolean): void;
  /** Node: whether the worker keeps the process alive. Browsers: no-op. */
  setKeepAlive(keepAlive: boolean): void;
}

export interface SpawnOptions {
  /** Node only: V8 heap limits of the worker (see worker_threads' `resourceLimits`). */
  resourceLimits?: { maxOldGenerationSizeMb?: number; maxYoungGenerationSizeMb?: number; codeRangeSizeMb?: number; stackSizeMb?: number };
}

/** Bytes read by position (load): each array's bytes go straight into the array, with no whole-file buffer. */
export interface ByteSource {
  readonly size: number;
  /** Fills `into` with the bytes from `position`; fails if the source ends first. */
  read(position: number, into: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** Bytes written in order (dump to a file): sections go out one after another, with no whole-file buffer. */
export interface ByteSink {
  write(bytes: Uint8Array): Promise<void>;
  /** Makes what was written the file's content. */
  close(): Promise<void>;
  /** Gives up: what was written is discarded, and the file is as it was before (or absent, as it was). */
  abort(): Promise<void>;
}
