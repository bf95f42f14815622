/**
 * Chaos drivers: `wrap(target, spec)` returns an object that behaves exactly like `target` — same methods,
 * properties, getters, `instanceof`, `#private` fields — but whose method calls, at a seeded rate, raise the
 * errors the interface allows or slow down, and otherwise pass through untouched.
 *
 * Speed: the Proxy's get trap hands out one cached wrapper per method, and the wrapper calls the real method
 * with `this` = the real target. So `this.x` inside the method never goes back through the trap, and `#private`
 * fields work. A call with no matching rule costs a counter increment and one array-length check.
 */
import { InvalidOptionError } from '../core/errors.js';
import { type Decision, FaultInjector, type SiteState } from '../core/injector.js';
import type { SeedInput } from '../core/random.js';
import type { FaultRule } from '../core/rules.js';
import type { Trace, TraceEntry, TraceJSON } from '../core/trace.js';
import { callDetails } from './details.js';
import { announceRandomSeed, resolveSeed } from './env.js';
import type { ErrorSpec } from './errors.js';
import { validateErrorSpec } from './errors.js';
import { type DeclaredErrors, type Outcome, resolveOutcome } from './outcome.js';
import { activeScope, scopesInUse } from './scope.js';
import {
  blockFor,
  type CallShape,
  declaredShape,
  type InterfaceShapes,
  interfaceShapes,
  isThenable,
} from './shape.js';

/** A fault rule for chaos drivers: `error` takes catalog codes, HTTP statuses, Error classes or factories. */
export type ChaosRule = FaultRule<ErrorSpec>;

export interface WrapOptions {
  /** The driver's name: sites are `name.method`. Defaults to the target's class name, lower-cased. */
  name?: string;
  /** The seed. Defaults to `FAULTLINE_SEED`, else a random seed that is printed when the first fault fires. */
  seed?: SeedInput;
  /** The fault rules, tried in order; the first that fires wins. */
  faults?: readonly ChaosRule[];
  /**
   * The errors the interface allows, per method name (`'*'` for all methods). A rule with no action of its own
   * raises one of these, chosen by the seed.
   */
  errors?: DeclaredErrors;
  /** Replay a recorded trace: exactly its faults, at their (site, index), and nothing else. */
  replay?: Trace | TraceJSON | string;
  /** Wrap objects the methods return (and resolve to), e.g. `client.db('x').collection('y')`. */
  deep?: boolean | ((value: object, method: string) => boolean);
  /**
   * Calling conventions for methods whose shape cannot be seen before their first call: `{ query: 'async' }` for
   * a plain function that returns a promise, `'*'` for every method. Without one, `async function`s (also compiled
   * ones) are async, a trailing function argument is a callback, a name ending in `Sync` is sync, an earlier
   * pass-through call shows the shape, ioredis commands are async, and anything else is taken as
   * `shapes['*']`, by default sync (it throws).
   */
  shapes?: Readonly<Record<string, CallShape>>;
  /** Called with every fault as it is injected. */
  onFault?: (entry: TraceEntry) => void;
  /** Start with faults switched off (see {@link controlOf}). */
  enabled?: boolean;
}

/** Run-time control of a chaos driver (or of a scope); `R` is the rule type `setRules` takes. */
export interface ChaosControl<R = ChaosRule> {
  readonly seed: number;
  /** The faults injected so far, with call counts per site. */
  readonly trace: Trace;
  enable(): void;
  disable(): void;
  readonly enabled: boolean;
  setRate(ruleId: string, rate: number): void;
  setRuleEnabled(ruleId: string, enabled: boolean): void;
  /** Replaces the rules (validated whole first: a bad set changes nothing). */
  setRules(rules: readonly R[]): void;
  /** Calls and fires per site. */
  counters(): Record<string, { calls: number; fires: number }>;
}

/** What a wrapper tree shares: one injector, one set of options. */
interface Driver {
  readonly injector: FaultInjector<ErrorSpec>;
  readonly options: WrapOptions;
  readonly seedSource: 'option' | 'env' | 'random';
  readonly rootName: string;
  readonly children: WeakMap<object, object>;
  readonly control: ChaosControl;
  /** Shapes seen on pass-through calls, per function: a method shared by several sites is learned once. */
  readonly observed: WeakMap<Function, CallShape>;
}

const controls = new WeakMap<object, ChaosControl>();

/** The trace of a chaos driver (or a scope): every fault injected, with call counts per site. */
export function traceOf(wrapped: object): Trace {
  return controlOf(wrapped).trace;
}

/** Run-time control of a chaos driver made by {@link wrap} (or a scope made by `chaosScope`). */
export function controlOf(wrapped: object): ChaosControl {
  const control = controls.get(wrapped);
  if (!control) throw new InvalidOptionError('wrapped', 'not a chaos driver made by wrap() or a chaos scope');
  return control;
}

/** Registers the control for a chaos object (used by scopes too). */
export function registerControl(obj: object, control: ChaosControl): void {
  controls.set(obj, control);
}

/** A {@link ChaosControl} over an injector; `toRules` maps a layer's own rule type onto the core's. */
export function controlFor<R = ChaosRule>(
  injector: FaultInjector<ErrorSpec>,
  toRules: (rules: readonly R[]) => readonly ChaosRule[] = (rules) => rules as readonly ChaosRule[],
): ChaosControl<R> {
  return {
    seed: injector.seed,
    get trace() {
      return injector.syncCalls();
    },
    enable: () => injector.setEnabled(true),
    disable: () => injector.setEnabled(false),
    get enabled() {
      return injector.enabled;
    },
    setRate: (id, rate) => injector.setRate(id, rate),
    setRuleEnabled: (id, enabled) => injector.setRuleEnabled(id, enabled),
    setRules: (rules) => injector.setRules(toRules(rules)),
    counters: () => injector.counters(),
  };
}

/** Every method name reachable on `target` (own and inherited, not Object.prototype's). */
export function methodNamesOf(target: object): Set<string> {
  const names = new Set<string>();
  for (let o: object | null = target; o && o !== Object.prototype && o !== Function.prototype; ) {
    for (const key of Object.getOwnPropertyNames(o)) {
      if (key === 'constructor') continue;
      const desc = Object.getOwnPropertyDescriptor(o, key);
      if (desc && typeof desc.value === 'function') names.add(key);
    }
    o = Object.getPrototypeOf(o);
  }
  return names;
}

function defaultName(target: object): string {
  const ctor = (target as { constructor?: { name?: string } }).constructor?.name;
  if (typeof target === 'function' && target.name) return target.name;
  return ctor && ctor !== 'Object' ? ctor.charAt(0).toLowerCase() + ctor.slice(1) : 'driver';
}

function validateOptions(
  target: object,
  options: WrapOptions,
  rules: FaultInjector<ErrorSpec>['rules'],
): void {
  const known = methodNamesOf(target);
  if (options.errors !== undefined) {
    if (typeof options.errors !== 'object' || options.errors === null) {
      throw new InvalidOptionError(
        'errors',
        'must be an object mapping method names (or "*") to lists of errors',
      );
    }
    for (const [method, list] of Object.entries(options.errors)) {
      const field = `errors.${method}`;
      if (!Array.isArray(list)) throw new InvalidOptionError(field, 'must be a list of errors');
      list.forEach((spec, i) => {
        validateErrorSpec(spec, `${field}[${i}]`);
      });
      if (method !== '*' && !options.deep && !known.has(method)) {
        throw new InvalidOptionError(field, `the target has no method ${JSON.stringify(method)}`);
      }
    }
  }
  if (options.shapes !== undefined) {
    for (const [method, shape] of Object.entries(options.shapes)) {
      if (shape !== 'sync' && shape !== 'async' && shape !== 'callback') {
        throw new InvalidOptionError(
          `shapes.${method}`,
          `must be 'sync', 'async' or 'callback'; got ${String(shape)}`,
        );
      }
    }
  }
  const listed = [...known].sort();
  for (const rule of rules) {
    const field = `faults[${rule.index}]`;
    if (rule.methodNames && !options.deep) {
      for (const name of rule.methodNames) {
        if (!known.has(name)) {
          throw new InvalidOptionError(
            `${field}.methods`,
            `the target has no method ${JSON.stringify(name)} (it has: ${listed.slice(0, 20).join(', ') || 'none'})`,
          );
        }
      }
    }
    const hasAction = rule.errors.length > 0 || rule.delay || rule.hang || rule.hasReturn;
    if (!hasAction) {
      const methods = rule.methodNames ?? [...known].filter((m) => rule.matchesMethod(m));
      const missing = methods.filter((m) => !options.errors?.[m] && !options.errors?.['*']);
      if (missing.length > 0 || (methods.length === 0 && !options.errors?.['*'])) {
        throw new InvalidOptionError(
          field,
          `has no action and ${missing.length ? `method ${JSON.stringify(missing[0])}` : 'the target'} declares no errors: ` +
            "give the rule an `error` (or `delay`, `hang`, `returns`) or declare the interface's errors in `errors`",
        );
      }
    }
  }
}

/**
 * Wraps `target` in a chaos driver. With no `faults` it is a transparent pass-through that still counts calls.
 * @example
 * const db = wrap(pool, { name: 'db', seed: 42, faults: [{ methods: 'query', rate: 0.1, error: 'ECONNRESET' }] });
 */
export function wrap<T extends object>(target: T, options: WrapOptions = {}): T {
  if (target === null || (typeof target !== 'object' && typeof target !== 'function')) {
    throw new InvalidOptionError('target', `must be an object or a function; got ${String(target)}`);
  }
  if (options === null || typeof options !== 'object')
    throw new InvalidOptionError('options', 'must be an object');
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
    throw new InvalidOptionError('name', 'must be a non-empty string');
  }
  const { seed, source } = resolveSeed(options.seed);
  const injector = new FaultInjector<ErrorSpec>({
    seed,
    rules: options.faults,
    replay: options.replay,
    validateError: validateErrorSpec,
    allowNoAction: true,
    onFault: options.onFault,
  });
  validateOptions(target, options, injector.rules);
  if (options.enabled === false) injector.setEnabled(false);
  const control = controlFor(injector);
  const driver: Driver = {
    injector,
    options,
    seedSource: source,
    rootName: options.name ?? defaultName(target),
    children: new WeakMap(),
    control,
    observed: new WeakMap(),
  };
  return makeProxy(driver, target, driver.rootName);
}

/**
 * Builds the chaos object for `target`. For an object it is three layers. Outermost, a Proxy that answers
 * introspection from the target (`Object.keys`, spread, `JSON.stringify`, `in`, `delete`, `defineProperty`,
 * `getPrototypeOf`) but has no `get` trap, so a read goes straight to the middle layer: a plain object holding one
 * accessor per method, which hands out the method's cached wrapper. Its prototype is a Proxy of the target, so
 * every other read and write reaches the target, with `this` = the target.
 * A function target is a plain Proxy with an apply trap.
 */
function makeProxy<T extends object>(driver: Driver, target: T, name: string): T {
  const methods = new Map<PropertyKey, { fn: Function; wrapper: Function }>();
  let iface: InterfaceShapes | null | undefined;
  const shapesOf = (): InterfaceShapes | undefined => {
    if (iface === undefined)
      iface = interfaceShapes(typeof target === 'function' ? undefined : target) ?? null;
    return iface ?? undefined;
  };
  const wrapperFor = (prop: PropertyKey, value: Function): Function => {
    const cached = methods.get(prop);
    if (cached !== undefined && cached.fn === value) return cached.wrapper;
    const wrapper =
      typeof prop === 'symbol'
        ? value.bind(target)
        : methodWrapper(driver, target, name, String(prop), value, shapesOf);
    methods.set(prop, { fn: value, wrapper });
    return wrapper;
  };
  const handler: ProxyHandler<T> = {
    get(t, prop) {
      const value = Reflect.get(t, prop, t);
      if (typeof value !== 'function' || prop === 'constructor') return value;
      // A Proxy must report a frozen own property as it is: such a method is passed on unwrapped.
      const own = Reflect.getOwnPropertyDescriptor(t, prop);
      if (own && own.configurable === false && own.writable === false) return value;
      return wrapperFor(prop, value);
    },
    set(t, prop, value) {
      return Reflect.set(t, prop, value, t);
    },
  };
  let chaos: T;
  if (typeof target === 'function') {
    const call = methodWrapper(driver, undefined, name, '', target as unknown as Function, shapesOf);
    handler.apply = (_t, _this, args) => call(...args);
    chaos = new Proxy(target, handler);
  } else {
    const shell = Object.create(new Proxy(target, handler)) as object;
    const record = target as Record<PropertyKey, unknown>;
    const accessor = (key: PropertyKey, make: (value: Function) => Function) => {
      let fn: unknown;
      let wrapper: unknown;
      Object.defineProperty(shell, key, {
        configurable: true,
        enumerable: false,
        get() {
          const value = record[key];
          if (value === fn) return wrapper;
          fn = value;
          wrapper = typeof value === 'function' ? make(value) : value;
          return wrapper;
        },
        set(value: unknown) {
          record[key] = value;
        },
      });
    };
    for (const method of methodNamesOf(target)) {
      accessor(method, (value) => methodWrapper(driver, target, name, method, value, shapesOf));
    }
    // Symbol-keyed methods (iterators, disposers) pass through, bound to the target so #private fields work.
    for (const sym of symbolMethodsOf(target)) accessor(sym, (value) => value.bind(target));
    // `console.log(driver)` shows the target (util.inspect looks at the proxied object itself).
    Object.defineProperty(shell, INSPECT, {
      configurable: true,
      enumerable: false,
      value: (_depth: number, options: object, inspect: (v: unknown, o: object) => string) =>
        inspect(target, options),
    });
    chaos = new Proxy(shell, introspection(target)) as T;
  }
  driver.children.set(target, chaos);
  registerControl(chaos, driver.control);
  return chaos;
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** Symbol-keyed methods reachable on `target` (own and inherited, not Object.prototype's). */
function symbolMethodsOf(target: object): Set<symbol> {
  const syms = new Set<symbol>();
  for (let o: object | null = target; o && o !== Object.prototype && o !== Function.prototype; ) {
    for (const key of Object.getOwnPropertySymbols(o)) {
      const desc = Object.getOwnPropertyDescriptor(o, key);
      if (desc && typeof desc.value === 'function') syms.add(key);
    }
    o = Object.getPrototypeOf(o);
  }
  return syms;
}

/**
 * The outer layer's traps: own keys and descriptors are the target's, so `Object.keys`, spread and
 * `JSON.stringify` see its fields. Proxy invariants are checked against the middle layer (`shell`), which is
 * extensible and holds only configurable accessors, so the target's descriptors are reported as configurable
 * (a frozen target's values stay exactly its own). A property made non-configurable through the driver is
 * mirrored on the shell, so the invariants hold for it too.
 */
function introspection(target: object): ProxyHandler<object> {
  return {
    ownKeys: () => Reflect.ownKeys(target),
    getOwnPropertyDescriptor(shell, key) {
      const mirror = Reflect.getOwnPropertyDescriptor(shell, key);
      if (mirror && mirror.configurable === false) return mirror;
      const desc = Reflect.getOwnPropertyDescriptor(target, key);
      if (!desc) return undefined;
      // A method reads as the driver's wrapper, as `driver.method` does.
      if (typeof desc.value === 'function' && mirror?.get) desc.value = mirror.get.call(shell);
      desc.configurable = true;
      return desc;
    },
    has: (_shell, key) => Reflect.has(target, key),
    defineProperty(shell, key, desc) {
      if (!Reflect.defineProperty(target, key, desc)) return false;
      const mirror = Reflect.getOwnPropertyDescriptor(shell, key);
      if (desc.configurable === false || mirror?.configurable === false) {
        Reflect.defineProperty(shell, key, Reflect.getOwnPropertyDescriptor(target, key)!);
      }
      return true;
    },
    deleteProperty: (_shell, key) => Reflect.deleteProperty(target, key),
    getPrototypeOf: () => Reflect.getPrototypeOf(target),
    setPrototypeOf: (_shell, proto) => Reflect.setPrototypeOf(target, proto),
    // Freezing the driver would freeze its accessors, and with them the faults: refused.
    preventExtensions: () => false,
  };
}

/** How a misuse inside a fault (an error factory that returns no Error, a throwing `returns`) reaches the caller. */
function failInShape(err: unknown, shape: CallShape, args: readonly unknown[]): unknown {
  if (shape === 'async') return Promise.reject(err);
  if (shape === 'callback') {
    const cb = args[args.length - 1] as (err: unknown) => void;
    setImmediate(() => cb(err));
    return undefined;
  }
  throw err;
}

function methodWrapper(
  driver: Driver,
  target: object | undefined,
  name: string,
  method: string,
  fn: Function,
  shapesOf: () => InterfaceShapes | undefined,
): Function {
  const own = driver.injector;
  const site = method ? `${name}.${method}` : name;
  const declared = driver.options.errors;
  const deep = driver.options.deep;
  const fixedShape = driver.options.shapes?.[method];
  const shapeForAll = driver.options.shapes?.['*'];
  let observed: CallShape | undefined = fixedShape;
  const state: SiteState<ErrorSpec> = own.site(site, method);

  const passed = (result: unknown): unknown => {
    if (observed === undefined) {
      observed = isThenable(result) ? 'async' : 'sync';
      if (!driver.observed.has(fn)) driver.observed.set(fn, observed);
    }
    return deep ? wrapResult(driver, site, method, result) : result;
  };
  // Known before calling: never by calling into a fault.
  const knownShape = (args: readonly unknown[]): CallShape | undefined =>
    fixedShape ??
    declaredShape(fn, method, args) ??
    observed ??
    driver.observed.get(fn) ??
    shapesOf()?.(method) ??
    shapeForAll;
  // Unknown means sync: a sync method must throw, and an `await` catches a throw too.
  const shapeFor = (args: readonly unknown[]): CallShape => knownShape(args) ?? 'sync';
  // `arguments` rather than a rest parameter: on the pass-through path V8 then never builds an array.
  const wrapped = function chaosMethod(): unknown {
    let injector = own;
    let st = state;
    if (scopesInUse.value) {
      const scope = activeScope();
      if (scope !== undefined) {
        injector = scope.injector;
        st = injector.site(site, method);
      }
    }
    // The pass-through path: a site with no rules only counts the call (the index must stay aligned).
    if (st.passive && st.version === injector.version) {
      st.calls += 1;
      // biome-ignore lint/complexity/noArguments: no array on the hot path
      return passed(fn.apply(target, arguments));
    }
    // biome-ignore lint/complexity/noArguments: copied once, off the hot path
    const args: unknown[] = new Array(arguments.length);
    // biome-ignore lint/complexity/noArguments: as above
    for (let i = 0; i < args.length; i++) args[i] = arguments[i];
    // A rule's `when`, an error factory or a `returns` function may throw: that reaches the caller in the
    // method's shape, like any fault (an async method rejects, never throws).
    let decision: Decision<ErrorSpec> | undefined;
    try {
      decision = injector.begin(st, args);
    } catch (err) {
      return failInShape(err, shapeFor(args), args);
    }
    if (decision === undefined) return passed(fn.apply(target, args));
    let outcome: Outcome;
    try {
      const scopeErrors = injector === own ? undefined : activeScope()?.errors;
      const scopeDeclared = scopeErrors ? { ...declared, ...scopeErrors } : declared;
      outcome = resolveOutcome(injector, st, decision, args, scopeDeclared, callDetails(fn, target, args));
    } catch (err) {
      return failInShape(err, shapeFor(args), args);
    }
    if (driver.seedSource === 'random' && injector === own)
      announceRandomSeed(own.seed, `chaos driver "${driver.rootName}"`);
    const callThrough = () => {
      const result = fn.apply(target, args);
      return deep ? wrapResult(driver, site, method, result) : result;
    };
    // A delay calls the target anyway: with the shape unknown, call first and learn it from the result, so a
    // promise-returning method is delayed by a timer rather than by blocking the event loop.
    if (outcome.delayMs > 0 && (outcome.kind === 'delay' || outcome.kind === 'emit') && !knownShape(args)) {
      const result = passed(fn.apply(target, args));
      if (outcome.kind === 'emit') emitOn(outcome, result, target);
      return delayResult(result, outcome.delayMs);
    }
    return carryOut(outcome, shapeFor(args), args, callThrough, target, site);
  };
  Object.defineProperty(wrapped, 'name', { value: fn.name, configurable: true });
  Object.defineProperty(wrapped, 'length', { value: fn.length, configurable: true });
  return wrapped;
}

function isWrappable(value: unknown): value is object {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value) || ArrayBuffer.isView(value) || value instanceof Promise) return false;
  if (value instanceof Date || value instanceof RegExp || value instanceof Error || value instanceof Map)
    return false;
  if (value instanceof Set || value instanceof ArrayBuffer || value instanceof WeakMap) return false;
  const proto = Object.getPrototypeOf(value);
  if (proto === null || proto === Object.prototype) {
    return Object.values(value).some((v) => typeof v === 'function');
  }
  return true;
}

function wrapChild(driver: Driver, site: string, method: string, value: unknown): unknown {
  const deep = driver.options.deep;
  if (!isWrappable(value)) return value;
  if (typeof deep === 'function' && !deep(value, method)) return value;
  let child = driver.children.get(value);
  if (!child) {
    child = makeProxy(driver, value, site);
    driver.children.set(value, child);
  }
  return child;
}

function wrapResult(driver: Driver, site: string, method: string, result: unknown): unknown {
  if (result instanceof Promise) return result.then((v) => wrapChild(driver, site, method, v));
  return wrapChild(driver, site, method, result);
}

/** The AbortSignal a call carries, as an argument or as `signal` on an options argument. */
function signalIn(args: readonly unknown[]): AbortSignal | undefined {
  for (const a of args) {
    if (a instanceof AbortSignal) return a;
    if (a && typeof a === 'object' && (a as { signal?: unknown }).signal instanceof AbortSignal) {
      return (a as { signal: AbortSignal }).signal;
    }
  }
  return undefined;
}

function timeoutError(outcome: Outcome): Error {
  if (outcome.error) return outcome.error;
  const err = new Error(`operation timed out after ${outcome.hang?.timeoutMs} ms`) as NodeJS.ErrnoException;
  err.code = 'ETIMEDOUT';
  return err;
}

/** Waits until the caller's signal aborts (rejecting with its reason) or the hang's timeout passes. */
function hangUntil(outcome: Outcome, signal: AbortSignal | undefined): Promise<never> {
  return new Promise<never>((_, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      if (timer) clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const ms = outcome.hang?.timeoutMs;
    if (ms !== undefined) {
      timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        reject(timeoutError(outcome));
      }, ms);
    }
  });
}

function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/**
 * `result`, `ms` later: a promise settles later (its rejection is handled at once, so none goes unhandled while
 * waiting); a plain value is returned after blocking, as a slow sync call would.
 */
function delayResult(result: unknown, ms: number): unknown {
  if (!isThenable(result)) {
    blockFor(ms);
    return result;
  }
  return Promise.resolve(result).then(
    (value) => delay(ms).then(() => value),
    (err: unknown) =>
      delay(ms).then(() => {
        throw err;
      }),
  );
}

function emitOn(outcome: Outcome, result: unknown, target: object | undefined): void {
  const useResult = outcome.emit !== 'self' && isEmitter(result);
  const emitter = useResult ? result : isEmitter(target) && outcome.emit !== 'result' ? target : undefined;
  if (!emitter) return;
  const err = outcome.error;
  setImmediate(() => {
    const destroy = (emitter as { destroy?: unknown }).destroy;
    if (typeof destroy === 'function') destroy.call(emitter, err);
    else emitter.emit('error', err);
  });
}

function isEmitter(value: unknown): value is { emit(event: string, ...args: unknown[]): boolean } {
  return (
    value !== null && typeof value === 'object' && typeof (value as { emit?: unknown }).emit === 'function'
  );
}

function carryOut(
  outcome: Outcome,
  shape: CallShape,
  args: unknown[],
  callThrough: () => unknown,
  target: object | undefined,
  site: string,
): unknown {
  if (outcome.kind === 'emit') {
    // The call itself goes through; the error arrives as an event, as it does from a real stream or socket.
    const run = () => {
      const result = callThrough();
      emitOn(outcome, result, target);
      return result;
    };
    if (outcome.delayMs > 0 && shape === 'async') return delay(outcome.delayMs).then(run);
    if (shape === 'sync') blockFor(outcome.delayMs);
    return run();
  }
  if (shape === 'sync') {
    if (outcome.kind === 'hang') {
      if (outcome.hang?.timeoutMs === undefined) {
        throw new InvalidOptionError(
          `${outcome.entry.rule}.hang`,
          `${site} is called as a synchronous method, which can only hang with a timeoutMs ` +
            "(if it returns a promise, declare it: shapes: { method: 'async' })",
        );
      }
      blockFor(outcome.hang.timeoutMs);
      throw timeoutError(outcome);
    }
    blockFor(outcome.delayMs);
    if (outcome.error) throw outcome.error;
    if (outcome.kind === 'return') return outcome.value;
    return callThrough();
  }
  if (shape === 'callback') {
    const cb = args[args.length - 1] as (err: unknown, value?: unknown) => void;
    const finish = () => {
      if (outcome.error && outcome.kind === 'error') cb(outcome.error);
      else if (outcome.kind === 'return') cb(null, outcome.value);
      else callThrough();
    };
    if (outcome.kind === 'hang') {
      hangUntil(outcome, signalIn(args)).catch((err: unknown) => cb(err));
      return undefined;
    }
    // A later tick, never synchronously: callers rely on callbacks being asynchronous.
    if (outcome.delayMs > 0) setTimeout(finish, outcome.delayMs);
    else setImmediate(finish);
    return undefined;
  }
  // async: every fault surfaces as a rejection, never a synchronous throw.
  if (outcome.kind === 'hang') return hangUntil(outcome, signalIn(args));
  return delay(outcome.delayMs).then(() => {
    if (outcome.error) throw outcome.error;
    if (outcome.kind === 'return') return outcome.value;
    return callThrough();
  });
}
