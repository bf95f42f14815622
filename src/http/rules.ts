/**
 * HTTP fault rules: selectors on method / origin / path and HTTP actions (answer with a status, reset the
 * connection, hang, slow down, truncate the body), validated with messages that name the field, then mapped onto
 * the core's {@link FaultRule} so the core decides when a rule fires exactly as it does for chaos drivers (same
 * seed, same schedule, same trace and replay).
 *
 * The HTTP action travels through the core as an `error` entry: a factory function tagged with the action. The
 * core only needs to choose one (seeded, when a rule lists several statuses); the HTTP layer reads the tag. This
 * is also what lets HTTP rules run inside a chaos scope, whose injector only knows core rules.
 */
import { STATUS_CODES } from 'node:http';
import { type ErrorSpec, validateErrorSpec } from '../chaos/errors.js';
import { InvalidOptionError } from '../core/errors.js';
import { describeValue, type FaultRule, RULE_SCHEDULE_KEYS, type RuleSchedule } from '../core/rules.js';

/** What a `when` predicate (and `onFault` consumers) learn about a request. */
export interface HttpRequestInfo {
  /** Upper-case method, e.g. `POST`. */
  readonly method: string;
  /** Scheme, host and port, e.g. `http://127.0.0.1:8080`. */
  readonly origin: string;
  /** The path without its query string, e.g. `/pay`. */
  readonly path: string;
  /** The full URL. */
  readonly url: string;
  /** Request headers, names lower-cased (computed on first access). */
  readonly headers: Readonly<Record<string, string>>;
}

/** How a connection dies: `'close'` — the peer closes it (FIN); `'rst'` — the peer resets it (RST). */
export type ResetMode = 'close' | 'rst';

/**
 * One HTTP fault rule. Selectors (`method`, `origin`, `path`, `when`) pick requests; the schedule (`rate`,
 * `first`/`every`, `calls`, `after`, `times`, `timesPerSite`, `enabled`) is the core's, counted per site
 * `name METHOD /path` except `times`, which caps the rule over all its requests; the action is one of `status`,
 * `reset`, `hang`, `error`, optionally with `delay` before it, or a pass-through that is changed on the way back
 * (`delay`, `bodyDelay`, `truncate`).
 */
export interface HttpFaultRule extends RuleSchedule {
  /** HTTP method(s), case-insensitive; `'*'` (default) for all. */
  method?: string | readonly string[];
  /** The request's origin: a glob (`http://127.0.0.1:*`) or a RegExp. Defaults to every origin. */
  origin?: string | RegExp;
  /** The request path without its query: a glob where `*` matches any run of characters (`/api/*`), or a RegExp. */
  path?: string | RegExp;
  /** A predicate on the request. */
  when?: (request: HttpRequestInfo) => boolean;

  /** Answer with this status instead of reaching the server; a list means one of them, chosen by the seed. */
  status?: number | readonly number[];
  /** Headers of the injected response. */
  headers?: Readonly<Record<string, string>>;
  /** Body of the injected response (an object is sent as JSON). Defaults to the status text. */
  body?: string | Uint8Array | Readonly<Record<string, unknown>> | readonly unknown[];
  /** Seconds for a `Retry-After` header on the injected response (429, 503). */
  retryAfter?: number;
  /** Kill the connection before a response: `true`/`'close'` (peer closes) or `'rst'` (peer resets). */
  reset?: boolean | ResetMode;
  /** Never answer until the caller aborts or times out (or the peer gives up after `timeoutMs`). */
  hang?: boolean | { timeoutMs?: number };
  /** Fail the request with this error instead (e.g. `'ECONNREFUSED'`, `'EAI_AGAIN'`, a class or a factory). */
  error?: ErrorSpec | readonly ErrorSpec[];
  /** Latency before the response headers, ms or a seeded [min, max]. Alone: the request then goes through. */
  delay?: number | readonly [number, number];
  /** Latency before each chunk of the response body, ms or a seeded [min, max] (drawn once per request). */
  bodyDelay?: number | readonly [number, number];
  /** Deliver at most this many bytes of the body, then fail as a connection closed mid-body does. */
  truncate?: number;
}

/** What the HTTP layer does to a request whose rule fired (beyond a plain delay or hang). */
export type HttpAction =
  | {
      kind: 'status';
      status: number;
      headers: Readonly<Record<string, string>> | undefined;
      body: HttpFaultRule['body'];
      retryAfter: number | undefined;
      bodyDelay: readonly [number, number] | undefined;
      truncate: number | undefined;
    }
  | { kind: 'reset'; mode: ResetMode }
  | { kind: 'error'; spec: ErrorSpec }
  | {
      kind: 'modify';
      bodyDelay: readonly [number, number] | undefined;
      truncate: number | undefined;
    };

const ACTION = Symbol.for('faultline.http.action');

/** An {@link ErrorSpec} that carries an HTTP action (what the core stores as the rule's `error`). */
function tagged(action: HttpAction): ErrorSpec {
  const describe =
    action.kind === 'status' ? `HTTP ${action.status}` : action.kind === 'reset' ? 'reset' : action.kind;
  const factory = () => new Error(`HTTP fault (${describe}) outside an HTTP client`);
  Object.defineProperty(factory, ACTION, { value: action });
  return factory;
}

/** The HTTP action an error spec carries, if it was made from an HTTP rule. */
export function actionOf(spec: unknown): HttpAction | undefined {
  return typeof spec === 'function' ? (spec as { [ACTION]?: HttpAction })[ACTION] : undefined;
}

const RULE_KEYS = new Set<string>([
  ...RULE_SCHEDULE_KEYS,
  'method',
  'origin',
  'path',
  'site',
  'when',
  'status',
  'headers',
  'body',
  'retryAfter',
  'reset',
  'hang',
  'error',
  'delay',
  'bodyDelay',
  'truncate',
]);

/** Passed through to the core unchanged: the core validates them and names the same fields. */
const SCHEDULE_KEYS = [...RULE_SCHEDULE_KEYS, 'delay'] as const;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function globBody(glob: string): string {
  return glob.split('*').map(escapeRegExp).join('.*');
}

/** Checks a driver/client name: it starts every site, so it must be one word. */
export function validateName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || !/^\S+$/.test(name)) {
    throw new InvalidOptionError(
      field,
      `must be a non-empty string without spaces; got ${describeValue(name)}`,
    );
  }
  return name;
}

function range(value: unknown, field: string): readonly [number, number] {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return [value, value];
  if (
    Array.isArray(value) &&
    value.length === 2 &&
    value.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0)
  ) {
    if (value[0] > value[1])
      throw new InvalidOptionError(field, `range [min, max] has min > max: [${value.join(', ')}]`);
    return [value[0], value[1]];
  }
  throw new InvalidOptionError(field, `must be ms >= 0 or a [min, max] range; got ${describeValue(value)}`);
}

function checkStatus(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 200 || value > 599) {
    throw new InvalidOptionError(field, `must be an HTTP status 200–599; got ${describeValue(value)}`);
  }
  return value;
}

function methodMatcher(value: unknown, field: string): FaultRule['methods'] {
  if (value === undefined || value === '*') return undefined;
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) {
    throw new InvalidOptionError(
      field,
      `must be a method name, a list of them or '*'; got ${describeValue(value)}`,
    );
  }
  return list.map((m, i) => {
    const at = typeof value === 'string' ? field : `${field}[${i}]`;
    if (typeof m !== 'string' || !/^[A-Za-z]+$/.test(m))
      throw new InvalidOptionError(at, `must be an HTTP method such as 'GET'; got ${describeValue(m)}`);
    return m.toUpperCase();
  });
}

function stringMatcher(value: unknown, field: string): ((text: string) => boolean) | undefined {
  if (value === undefined || value === '*') return undefined;
  if (value instanceof RegExp) return (text) => value.test(text);
  if (typeof value === 'string' && value.length > 0) {
    const re = new RegExp(`^${globBody(value)}$`);
    return (text) => re.test(text);
  }
  throw new InvalidOptionError(field, `must be a glob string or a RegExp; got ${describeValue(value)}`);
}

/**
 * Validates HTTP rules and maps them onto core rules for a client called `name` (sites `name METHOD /path`).
 * Throws an {@link InvalidOptionError} naming the field (`faults[2].status`) for the first problem.
 */
export function compileHttpRules(
  rules: readonly HttpFaultRule[] | undefined,
  name: string,
  field = 'faults',
): FaultRule<ErrorSpec>[] {
  if (rules === undefined) return [];
  if (!Array.isArray(rules))
    throw new InvalidOptionError(field, `must be an array of rules; got ${describeValue(rules)}`);
  const prefix = `^${escapeRegExp(name)} \\S+ `;
  return rules.map((rule: HttpFaultRule, index) => {
    const at = `${field}[${index}]`;
    if (!rule || typeof rule !== 'object' || Array.isArray(rule))
      throw new InvalidOptionError(at, `must be a rule object; got ${describeValue(rule)}`);
    for (const key of Object.keys(rule)) {
      if (!RULE_KEYS.has(key))
        throw new InvalidOptionError(
          `${at}.${key}`,
          `unknown HTTP rule option (known: ${[...RULE_KEYS].join(', ')})`,
        );
    }
    const core: FaultRule<ErrorSpec> = {};
    for (const key of SCHEDULE_KEYS)
      if (rule[key] !== undefined) (core as Record<string, unknown>)[key] = rule[key];

    core.methods = methodMatcher(rule.method, `${at}.method`);
    const site = (rule as { site?: unknown }).site;
    if (site !== undefined && rule.path !== undefined)
      throw new InvalidOptionError(`${at}.site`, 'give either `path` or `site`, not both');
    if (rule.path instanceof RegExp) {
      // The site regexp confines the rule to this client; the path RegExp is tested on the path alone (below).
      core.site = new RegExp(prefix);
    } else if (typeof rule.path === 'string' && rule.path.length > 0) {
      core.site = new RegExp(`${prefix}${globBody(rule.path)}$`);
    } else if (rule.path !== undefined) {
      throw new InvalidOptionError(
        `${at}.path`,
        `must be a glob string or a RegExp; got ${describeValue(rule.path)}`,
      );
    } else if (typeof site === 'string' || site instanceof RegExp) {
      core.site = site;
    } else if (site !== undefined) {
      throw new InvalidOptionError(
        `${at}.site`,
        `must be a glob string or a RegExp; got ${describeValue(site)}`,
      );
    } else {
      // Every HTTP rule is confined to this client's sites, so in a scope it never touches chaos drivers.
      core.site = new RegExp(prefix);
    }
    const origin = stringMatcher(rule.origin, `${at}.origin`);
    if (rule.when !== undefined && typeof rule.when !== 'function')
      throw new InvalidOptionError(
        `${at}.when`,
        `must be a predicate function; got ${describeValue(rule.when)}`,
      );
    const pathRe = rule.path instanceof RegExp ? rule.path : undefined;
    const pathTest = pathRe ? (p: string) => pathRe.test(p) : undefined;
    if (origin || rule.when || pathTest) core.when = combineWhen(origin, pathTest, rule.when);

    const outcomes = (['status', 'reset', 'hang', 'error'] as const).filter(
      (k) => rule[k] !== undefined && rule[k] !== false,
    );
    if (outcomes.length > 1)
      throw new InvalidOptionError(
        `${at}.${outcomes[1]}`,
        `cannot be combined with \`${outcomes[0]}\`: a request gets one outcome`,
      );
    const bodyDelay = rule.bodyDelay === undefined ? undefined : range(rule.bodyDelay, `${at}.bodyDelay`);
    let truncate: number | undefined;
    if (rule.truncate !== undefined) {
      if (typeof rule.truncate !== 'number' || !Number.isInteger(rule.truncate) || rule.truncate < 0)
        throw new InvalidOptionError(
          `${at}.truncate`,
          `must be a byte count (an integer >= 0); got ${describeValue(rule.truncate)}`,
        );
      truncate = rule.truncate;
    }
    for (const key of ['headers', 'body', 'retryAfter'] as const) {
      if (rule[key] !== undefined && rule.status === undefined)
        throw new InvalidOptionError(`${at}.${key}`, 'only applies to an injected response: add `status`');
    }
    const outcome = outcomes[0];
    if ((bodyDelay || truncate !== undefined) && outcome !== undefined && outcome !== 'status') {
      throw new InvalidOptionError(
        `${at}.${bodyDelay ? 'bodyDelay' : 'truncate'}`,
        `changes a response body, so it cannot be combined with \`${outcome}\``,
      );
    }
    if (outcome === 'status') {
      const list = Array.isArray(rule.status) ? rule.status : [rule.status];
      if (list.length === 0) throw new InvalidOptionError(`${at}.status`, 'must not be an empty list');
      const statuses = list.map((s, i) =>
        checkStatus(s, Array.isArray(rule.status) ? `${at}.status[${i}]` : `${at}.status`),
      );
      if (rule.headers !== undefined) {
        if (typeof rule.headers !== 'object' || rule.headers === null || Array.isArray(rule.headers))
          throw new InvalidOptionError(`${at}.headers`, 'must be an object of header names to string values');
        for (const [k, v] of Object.entries(rule.headers))
          if (typeof v !== 'string')
            throw new InvalidOptionError(`${at}.headers.${k}`, `must be a string; got ${describeValue(v)}`);
      }
      if (
        rule.body !== undefined &&
        typeof rule.body !== 'string' &&
        !(rule.body instanceof Uint8Array) &&
        (typeof rule.body !== 'object' || rule.body === null)
      )
        throw new InvalidOptionError(
          `${at}.body`,
          `must be a string, bytes or a JSON object; got ${describeValue(rule.body)}`,
        );
      if (
        rule.retryAfter !== undefined &&
        (typeof rule.retryAfter !== 'number' || !Number.isInteger(rule.retryAfter) || rule.retryAfter < 0)
      )
        throw new InvalidOptionError(
          `${at}.retryAfter`,
          `must be whole seconds >= 0; got ${describeValue(rule.retryAfter)}`,
        );
      core.error = statuses.map((status) =>
        tagged({
          kind: 'status',
          status,
          headers: rule.headers,
          body: rule.body,
          retryAfter: rule.retryAfter,
          bodyDelay,
          truncate,
        }),
      );
    } else if (outcome === 'reset') {
      const mode = rule.reset === true ? 'close' : rule.reset;
      if (mode !== 'close' && mode !== 'rst')
        throw new InvalidOptionError(
          `${at}.reset`,
          `must be true, 'close' or 'rst'; got ${describeValue(rule.reset)}`,
        );
      core.error = tagged({ kind: 'reset', mode });
    } else if (outcome === 'hang') {
      if (rule.hang !== true && (typeof rule.hang !== 'object' || rule.hang === null))
        throw new InvalidOptionError(
          `${at}.hang`,
          `must be true or { timeoutMs }; got ${describeValue(rule.hang)}`,
        );
      core.hang = rule.hang;
    } else if (outcome === 'error') {
      const list = (Array.isArray(rule.error) ? rule.error : [rule.error]) as unknown[];
      if (list.length === 0) throw new InvalidOptionError(`${at}.error`, 'must not be an empty list');
      core.error = list.map((spec, i) => {
        validateErrorSpec(spec, Array.isArray(rule.error) ? `${at}.error[${i}]` : `${at}.error`);
        return tagged({ kind: 'error', spec });
      });
    } else if (bodyDelay || truncate !== undefined) {
      core.error = tagged({ kind: 'modify', bodyDelay, truncate });
    } else if (rule.delay === undefined) {
      throw new InvalidOptionError(
        at,
        'needs an action: `status`, `reset`, `hang`, `error`, `delay`, `bodyDelay` or `truncate`',
      );
    }
    return core;
  });
}

function combineWhen(
  origin: ((o: string) => boolean) | undefined,
  path: ((p: string) => boolean) | undefined,
  when: ((r: HttpRequestInfo) => boolean) | undefined,
): (args: readonly unknown[]) => boolean {
  return (args) => {
    const info = args[0] as HttpRequestInfo | undefined;
    // A core rule's predicate can be asked about a chaos driver's call in a scope: those are never HTTP requests.
    if (!info || typeof info !== 'object' || typeof (info as { origin?: unknown }).origin !== 'string')
      return false;
    if (origin && !origin(info.origin)) return false;
    if (path && !path(info.path)) return false;
    return when ? when(info) === true : true;
  };
}

/**
 * HTTP rules as core rules, for a chaos scope: `chaosScope({ faults: httpFaults([{ path: '/pay', status: 503 }]) })`
 * makes chaos HTTP clients called `name` (default `'http'`) answer 503 inside that scope only.
 */
export function httpFaults(
  rules: readonly HttpFaultRule[],
  options: { name?: string } = {},
): FaultRule<ErrorSpec>[] {
  return compileHttpRules(rules, validateName(options.name ?? 'http', 'name'));
}

/** The status line text for `status`. */
export function statusText(status: number): string {
  return STATUS_CODES[status] ?? 'Unknown';
}
