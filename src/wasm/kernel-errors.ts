/**
 * Kernel error codes, as numbered in assembly/kernels/guard.ts, and the
 * import through which a kernel reports one. Each instance gets its own
 * import object; `current` names the kernel being called so the message can.
 */

import { KernelError } from '../errors.js';

const MESSAGES: Record<number, (argument: string, value: number) => string> = {
  1: (argument, value) => `${argument} (byte address ${value}) does not lie inside the shared heap`,
  2: (argument, value) => `${argument} (byte address ${value}) is not aligned to its element size`,
  3: (argument, value) => `${argument} must not be negative; got ${value}`,
  4: (argument, value) => `${argument} must match the other array's length; got ${value}`,
  5: (argument, value) => `${argument} is out of range; got ${value}`,
};

export class KernelErrorReporter {
  /** The kernel being called and its argument names, set by the wrapper before each call. */
  current: { name: string; argumentNames: readonly string[] } = { name: '?', argumentNames: [] };

  readonly imports = {
    kernelError: (code: number, argumentIndex: number, value: number): void => {
      const { name, argumentNames } = this.current;
      const argument = `\`${argumentNames[argumentIndex] ?? `argument ${argumentIndex}`}\``;
      const message = MESSAGES[code]?.(argument, value) ?? `failed check ${code} on ${argument}`;
      throw new KernelError(`kernel ${name}: ${message}`);
    },
  };
}
