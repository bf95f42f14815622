/**
 * Fault rules: which calls a fault applies to, when it fires, and what it does — validated once into a
 * compiled form that the hot path can test cheaply. The core knows nothing about what an "error" is (a Node
 * system error, an HTTP status…): the layer that injects supplies a validator for `error` values.
 */
import { InvalidOptionError } from './errors.js';
import { laneOf } from './random.js';

/** Which methods a rule applies to: a name, a list of names, a RegExp, `'*'` (all), or a predicate. */
export type MethodMatcher = string | readonly string[] | RegExp | ((method: string) => boolean);

/** How long to hang: until the caller's AbortSignal fires, or at most `timeoutMs` (then the rule's error). */
export interface HangSpec {
  timeoutMs?: number;
}

/** A rule's name and schedule: the part every layer's rules share (drivers, HTTP, …). */
export interface RuleSchedule {
  /** A stable name for traces and run-time control. Defaults to `rule-<index>`. */
  id?: string;
  /** Probability in [0, 1] that an otherwise eligible call fires, drawn from the seed. Defaults to 1. */
  rate?: number;
  /** Fire on the first N calls of every `every` calls (the first N calls overall when `every` is absent). */
  first?: number;
  /** Cycle length for `first`: `{ first: 2, every: 3 }` fires on calls 1, 2, 4, 5, 7, 8, … */
  every?: number;
  /** Fire exactly on these call indexes (counting from 1). */
  calls?: number | readonly number[];
  /** Fire only after this many calls have passed (calls 1..after never fire). */
  after?: number;
  /**
   * Fire at most this many times in all, over every site the rule covers. Which calls get those fires can depend
   * on the order in which calls at different sites arrive; {@link timesPerSite} cannot.
   */
  times?: number;
  /** Fire at most this many times at each site: a cap that concurrency across sites cannot move. */
  timesPerSite?: number;
  /** A rule can be switched off and on while running. Defaults to true. */
  enabled?: boolean;
}

/**
 * One fault rule. Selectors (`methods`, `site`, `when`) say which calls it considers; the schedule (`rate`,
 * `first`/`every`, `calls`, `after`, `times`, `timesPerSite`, `enabled`) says on which of them it fires; the
 * action (`error`, `delay`, `hang`, `returns`, `emit`) says what happens. `delay` may combine with `error` or
 * `returns` (slow, then fail or answer). A call gets at most one fault: rules are tried in order and the first
 * that fires wins.
 */
export interface FaultRule<E = unknown> extends RuleSchedule {
  /** Which methods (by name). Defaults to every method. */
  methods?: MethodMatcher;
  /** Which sites (`driver.method`, e.g. `db.collection.find`): a glob with `*`, or a RegExp. */
  site?: string | RegExp;
  /** A predicate on the call's arguments. */
  when?: (args: readonly unknown[]) => boolean;

  /** Raise an error (for async methods: reject). A list means one of them, chosen by the seed. */
  error?: E | readonly E[];
  /** Delay the call by a fixed number of ms, or by a value in [min, max] drawn from the seed. */
  delay?: number | readonly [number, number];
  /** Never answer until the caller's AbortSignal aborts (or `timeoutMs` passes). */
  hang?: boolean | HangSpec;
  /** Answer with this value instead of calling through (a function gets the arguments). */
  returns?: unknown;
  /** For EventEmitters and streams: emit `error` (on the returned emitter, or on the target itself). */
  emit?: boolean | 'result' | 'self';
}

/** A validated rule. */
export interface CompiledRule<E = unknown> {
  readonly index: number;
  readonly id: string;
  readonly spec: FaultRule<E>;
  readonly matchesMethod: (method: string) => boolean;
  readonly matchesSite: (site: string) => boolean;
  readonly when: ((args: readonly unknown[]) => boolean) | undefined;
  rate: number;
  readonly first: number | undefined;
  readonly every: number | undefined;
  readonly calls: ReadonlySet<number> | undefined;
  readonly after: number;
  /** The cap over all sites (`times`); Infinity when absent. */
  readonly times: number;
  /** The cap at each site (`timesPerSite`); Infinity when absent. */
  readonly timesPerSite: number;
  /** False when no `after`, `calls` or `first` narrows the schedule (the hot path skips the check). */
  readonly scheduled: boolean;
  enabled: boolean;
  readonly errors: readonly E[];
  readonly delay: readonly [number, number] | undefined;
  readonly hang: HangSpec | undefined;
  readonly hasReturn: boolean;
  readonly emit: 'result' | 'self' | 'auto' | undefined;
  /** Random lanes for this rule's draws, so rules never share a value. */
  readonly lanes: { fire: number; delay: number; error: number };
  /** True when the rule names methods by plain string (checked against the target's methods). */
  readonly methodNames: readonly string[] | undefined;
}

/** Checks an `error` value; throws an {@link InvalidOptionError} naming `field` when it is unusable. */
export type ErrorValidator<E> = (value: unknown, field: string) => asserts value is E;

/** The option names of {@link RuleSchedule}: every layer's rules accept them and the core validates them. */
export const RULE_SCHEDULE_KEYS = [
  'id',
  'rate',
  'first',
  'every',
  'calls',
  'after',
  'times',
  'timesPerSite',
  'enabled',
] as const;

const RULE_KEYS = new Set<string>([
  ...RULE_SCHEDULE_KEYS,
  'methods',
  'site',
  'when',
  'error',
  'delay',
  'hang',
  'returns',
  'emit',
]);

function nonNegativeInteger(value: unknown, field: string, min = 0): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InvalidOptionError(field, `must be an integer >= ${min}; got ${describeValue(value)}`);
  }
  return value;
}

/** How a bad option value is named in an error message: `"x"`, `a function`, `an array`, `null`, `42`. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** Compiles a glob (`*` = any run of characters) into a RegExp matching the whole string. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

function compileMethods(
  m: MethodMatcher | undefined,
  field: string,
): [(method: string) => boolean, string[] | undefined] {
  if (m === undefined || m === '*') return [() => true, undefined];
  if (typeof m === 'string') {
    if (m.length === 0) throw new InvalidOptionError(field, 'must not be empty');
    if (m.includes('*')) {
      const re = globToRegExp(m);
      return [(name) => re.test(name), undefined];
    }
    return [(name) => name === m, [m]];
  }
  if (Array.isArray(m)) {
    m.forEach((name, i) => {
      if (typeof name !== 'string' || name.length === 0) {
        throw new InvalidOptionError(`${field}[${i}]`, `must be a method name; got ${describeValue(name)}`);
      }
    });
    const set = new Set<string>(m);
    return [(name) => set.has(name), [...set]];
  }
  if (m instanceof RegExp) return [(name) => m.test(name), undefined];
  if (typeof m === 'function') return [m as (method: string) => boolean, undefined];
  throw new InvalidOptionError(
    field,
    `must be a method name, a list of names, a RegExp, '*' or a predicate; got ${describeValue(m)}`,
  );
}

function compileSite(s: string | RegExp | undefined, field: string): (site: string) => boolean {
  if (s === undefined || s === '*') return () => true;
  if (typeof s === 'string') {
    const re = globToRegExp(s);
    return (site) => re.test(site);
  }
  if (s instanceof RegExp) return (site) => s.test(site);
  throw new InvalidOptionError(field, `must be a glob string or a RegExp; got ${describeValue(s)}`);
}

/**
 * Validates `rules` (named `field` in messages, e.g. `faults`) into compiled rules. Throws an
 * {@link InvalidOptionError} for the first problem, naming the exact field (`faults[1].rate`).
 */
export function compileRules<E>(
  rules: readonly FaultRule<E>[] | undefined,
  options: {
    field?: string;
    validateError?: ErrorValidator<E>;
    /** True when a rule with no action is fine: the layer supplies one (e.g. the interface's declared errors). */
    allowNoAction?: boolean;
  } = {},
): CompiledRule<E>[] {
  const base = options.field ?? 'faults';
  if (rules === undefined) return [];
  if (!Array.isArray(rules))
    throw new InvalidOptionError(base, `must be an array of rules; got ${describeValue(rules)}`);
  const ids = new Set<string>();
  return rules.map((rule, index) => {
    const at = `${base}[${index}]`;
    if (!rule || typeof rule !== 'object' || Array.isArray(rule)) {
      throw new InvalidOptionError(at, `must be a rule object; got ${describeValue(rule)}`);
    }
    for (const key of Object.keys(rule)) {
      if (!RULE_KEYS.has(key)) {
        throw new InvalidOptionError(
          `${at}.${key}`,
          `unknown rule option (known: ${[...RULE_KEYS].join(', ')})`,
        );
      }
    }
    const id = rule.id ?? `rule-${index}`;
    if (typeof id !== 'string' || id.length === 0)
      throw new InvalidOptionError(`${at}.id`, 'must be a non-empty string');
    if (ids.has(id)) throw new InvalidOptionError(`${at}.id`, `duplicate rule id ${JSON.stringify(id)}`);
    ids.add(id);

    const [matchesMethod, methodNames] = compileMethods(rule.methods, `${at}.methods`);
    const matchesSite = compileSite(rule.site, `${at}.site`);
    if (rule.when !== undefined && typeof rule.when !== 'function') {
      throw new InvalidOptionError(
        `${at}.when`,
        `must be a predicate function; got ${describeValue(rule.when)}`,
      );
    }
    const rate = rule.rate ?? 1;
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) {
      throw new InvalidOptionError(
        `${at}.rate`,
        `must be a number between 0 and 1; got ${describeValue(rule.rate)}`,
      );
    }
    const first = rule.first === undefined ? undefined : nonNegativeInteger(rule.first, `${at}.first`);
    const every = rule.every === undefined ? undefined : nonNegativeInteger(rule.every, `${at}.every`, 1);
    if (every !== undefined && first === undefined) {
      throw new InvalidOptionError(`${at}.every`, 'needs `first` (fire on the first N of every M calls)');
    }
    if (every !== undefined && first !== undefined && first > every) {
      throw new InvalidOptionError(`${at}.first`, `cannot exceed every (${every}); got ${first}`);
    }
    let calls: Set<number> | undefined;
    if (rule.calls !== undefined) {
      const list = typeof rule.calls === 'number' ? [rule.calls] : rule.calls;
      if (!Array.isArray(list))
        throw new InvalidOptionError(`${at}.calls`, 'must be a call index or a list of them');
      calls = new Set(list.map((n, i) => nonNegativeInteger(n, `${at}.calls[${i}]`, 1)));
    }
    const after = rule.after === undefined ? 0 : nonNegativeInteger(rule.after, `${at}.after`);
    const times =
      rule.times === undefined ? Number.POSITIVE_INFINITY : nonNegativeInteger(rule.times, `${at}.times`);
    const timesPerSite =
      rule.timesPerSite === undefined
        ? Number.POSITIVE_INFINITY
        : nonNegativeInteger(rule.timesPerSite, `${at}.timesPerSite`);
    if (rule.enabled !== undefined && typeof rule.enabled !== 'boolean') {
      throw new InvalidOptionError(`${at}.enabled`, 'must be true or false');
    }

    let errors: E[] = [];
    if (rule.error !== undefined) {
      const list = (Array.isArray(rule.error) ? rule.error : [rule.error]) as unknown[];
      if (list.length === 0) throw new InvalidOptionError(`${at}.error`, 'must not be an empty list');
      list.forEach((e, i) => {
        options.validateError?.(e, Array.isArray(rule.error) ? `${at}.error[${i}]` : `${at}.error`);
      });
      errors = list as E[];
    }
    let delay: [number, number] | undefined;
    if (rule.delay !== undefined) {
      const d = rule.delay;
      if (typeof d === 'number') {
        if (!(d >= 0) || !Number.isFinite(d))
          throw new InvalidOptionError(`${at}.delay`, `must be ms >= 0; got ${d}`);
        delay = [d, d];
      } else if (Array.isArray(d) && d.length === 2 && d.every((x) => typeof x === 'number' && x >= 0)) {
        if (d[0]! > d[1]!)
          throw new InvalidOptionError(`${at}.delay`, `range [min, max] has min > max: [${d}]`);
        delay = [d[0]!, d[1]!];
      } else {
        throw new InvalidOptionError(
          `${at}.delay`,
          `must be ms >= 0 or a [min, max] range; got ${describeValue(d)}`,
        );
      }
    }
    let hang: HangSpec | undefined;
    if (rule.hang !== undefined && rule.hang !== false) {
      if (rule.hang === true) hang = {};
      else if (typeof rule.hang === 'object' && rule.hang !== null) {
        if (rule.hang.timeoutMs !== undefined)
          nonNegativeInteger(rule.hang.timeoutMs, `${at}.hang.timeoutMs`);
        hang = { ...rule.hang };
      } else throw new InvalidOptionError(`${at}.hang`, 'must be true or { timeoutMs }');
    }
    const hasReturn = 'returns' in rule;
    let emit: CompiledRule['emit'];
    if (rule.emit !== undefined && rule.emit !== false) {
      if (rule.emit === true) emit = 'auto';
      else if (rule.emit === 'result' || rule.emit === 'self') emit = rule.emit;
      else throw new InvalidOptionError(`${at}.emit`, "must be true, 'result' or 'self'");
      if (errors.length === 0 && !options.allowNoAction) {
        throw new InvalidOptionError(`${at}.emit`, 'needs `error`: the error to emit');
      }
    }
    if (hang && (hasReturn || delay)) {
      throw new InvalidOptionError(`${at}.hang`, 'cannot be combined with `returns` or `delay`');
    }
    if (hasReturn && errors.length > 0) {
      throw new InvalidOptionError(`${at}.returns`, 'cannot be combined with `error`: pick one outcome');
    }
    if (!options.allowNoAction && errors.length === 0 && !delay && !hang && !hasReturn) {
      throw new InvalidOptionError(at, 'needs an action: `error`, `delay`, `hang` or `returns`');
    }
    const lane = laneOf(id);
    return {
      index,
      id,
      spec: rule,
      matchesMethod,
      matchesSite,
      when: rule.when,
      rate,
      first,
      every,
      calls,
      after,
      times,
      timesPerSite,
      scheduled: after > 0 || calls !== undefined || first !== undefined,
      enabled: rule.enabled ?? true,
      errors,
      delay,
      hang,
      hasReturn,
      emit,
      lanes: { fire: lane, delay: laneOf(`${id}:delay`), error: laneOf(`${id}:error`) },
      methodNames,
    };
  });
}

/** Does the schedule part of `rule` let call `index` fire (ignoring rate, `times` and `timesPerSite`)? */
export function scheduleAllows(rule: CompiledRule<unknown>, index: number): boolean {
  if (index <= rule.after) return false;
  if (rule.calls !== undefined && !rule.calls.has(index)) return false;
  if (rule.first !== undefined) {
    const position = rule.every === undefined ? index - 1 : (index - 1) % rule.every;
    if (position >= rule.first) return false;
  }
  return true;
}
