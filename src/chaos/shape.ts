/**
 * A method's calling convention decides how a fault must surface: a sync method throws, an async one rejects
 * (never throws synchronously), a Node-style callback method calls back with the error on a later tick.
 * Getting this wrong would make the chaos driver fail in ways the real interface never does.
 *
 * A fault never calls the target, so the shape must be known before the call: from the function itself (an
 * `async function`, or one compiled down from one), from the call (a trailing callback), from the name (`…Sync`),
 * from an earlier pass-through call, or from an interface faultline knows (ioredis). Anything else is taken as
 * sync: a sync method that threw where it should have rejected is caught by an `await`, but one that returned a
 * rejected promise where it should have thrown escapes the caller's `try` and crashes the process.
 */

export type CallShape = 'sync' | 'async' | 'callback';

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as FunctionConstructor;
const AsyncGeneratorFunction = Object.getPrototypeOf(async function* () {})
  .constructor as FunctionConstructor;

/**
 * A plain function whose body is only `return __awaiter(…)` (TypeScript below ES2017) or `return __async(…)`
 * (esbuild): an async function compiled for an older target.
 */
const COMPILED_ASYNC = /^[^{]*\{\s*return\s+(?:\w+\.)?(?:__awaiter|__async)\s*\(/;

const kindOf = new WeakMap<Function, CallShape | null>();

/** The shape a function's own kind shows (an async function, compiled or not), or undefined. */
export function functionShape(fn: Function): CallShape | undefined {
  let shape = kindOf.get(fn);
  if (shape === undefined) {
    if (fn instanceof AsyncFunction && !(fn instanceof AsyncGeneratorFunction)) shape = 'async';
    else {
      let source = '';
      try {
        source = Function.prototype.toString.call(fn);
      } catch {
        // a revoked proxy or an exotic function: nothing to read
      }
      shape = COMPILED_ASYNC.test(source) ? 'async' : null;
    }
    kindOf.set(fn, shape);
  }
  return shape ?? undefined;
}

/** What the function and the call show about the shape before calling, or undefined. */
export function declaredShape(fn: Function, method: string, args: readonly unknown[]): CallShape | undefined {
  const own = functionShape(fn);
  if (own !== undefined) return own;
  if (args.length > 0 && typeof args[args.length - 1] === 'function') return 'callback';
  if (method.endsWith('Sync')) return 'sync';
  return undefined;
}

/** Shapes an interface declares for methods whose functions do not show them, or undefined. */
export type InterfaceShapes = (method: string) => CallShape | undefined;

/**
 * ioredis (`Redis`, `Cluster`): every command is a plain function that returns a promise, as are `connect`,
 * `sendCommand`, `call` and `exec`. A pipeline's commands queue and return the pipeline: sync (its `exec` is
 * async). Read from the client's own list of commands, so commands added in later versions are covered.
 */
function ioredisShapes(target: object): InterfaceShapes | undefined {
  const t = target as {
    getBuiltinCommands?: unknown;
    sendCommand?: unknown;
    isPipeline?: unknown;
    scriptsSet?: unknown;
  };
  if (typeof t.getBuiltinCommands !== 'function' || typeof t.sendCommand !== 'function') return undefined;
  if (t.isPipeline === true) return (method) => (method === 'exec' ? 'async' : undefined);
  let names: unknown;
  try {
    names = (t.getBuiltinCommands as () => unknown).call(target);
  } catch {
    return undefined;
  }
  if (!Array.isArray(names)) return undefined;
  const commands = new Set<string>(['connect', 'sendCommand', 'call', 'callBuffer', 'send_command', 'exec']);
  for (const name of names) {
    if (typeof name !== 'string') continue;
    commands.add(name);
    commands.add(`${name}Buffer`);
  }
  // Commands added with defineCommand are promise-returning too.
  const scripts = t.scriptsSet;
  const isScript = (method: string) =>
    scripts !== null &&
    typeof scripts === 'object' &&
    (Object.hasOwn(scripts, method) || Object.hasOwn(scripts, method.replace(/Buffer$/, '')));
  // `multi()` answers with a pipeline unless told `{ pipeline: false }`; it stays sync.
  return (method) => (commands.has(method) || isScript(method) ? 'async' : undefined);
}

const RECOGNIZERS: readonly ((target: object) => InterfaceShapes | undefined)[] = [ioredisShapes];

/** The shapes of the first interface faultline recognizes in `target`, or undefined. */
export function interfaceShapes(target: object | undefined): InterfaceShapes | undefined {
  if (target === undefined) return undefined;
  for (const recognize of RECOGNIZERS) {
    const shapes = recognize(target);
    if (shapes) return shapes;
  }
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
