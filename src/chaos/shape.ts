/**
 * A method's calling convention decides how a fault must surface: a sync method throws, an async one rejects
 * (never throws synchronously), a Node-style callback method calls back with the error on a later tick.
 * Getting this wrong would make the chaos driver fail in ways the real interface never does.
 */

export type CallShape = 'sync' | 'async' | 'callback';

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as FunctionConstructor;
const AsyncGeneratorFunction = Object.getPrototypeOf(async function* () {})
  .constructor as FunctionConstructor;

/** What can be known about a function's shape before calling it, or undefined. */
export function declaredShape(fn: Function, method: string, args: readonly unknown[]): CallShape | undefined {
  if (fn instanceof AsyncFunction && !(fn instanceof AsyncGeneratorFunction)) return 'async';
  if (args.length > 0 && typeof args[args.length - 1] === 'function') return 'callback';
  if (method.endsWith('Sync')) return 'sync';
  return undefined;
}

/** True for promises and promise-likes. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread for `ms`: what a slow synchronous call really does to its caller. */
export function blockFor(ms: number): void {
  if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
}
