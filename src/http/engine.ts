/**
 * The part of chaos HTTP that does not depend on which client carries a request: naming the site, choosing the
 * injector (the client's own, or the active chaos scope's), asking the core for a decision, turning it into a
 * concrete HTTP outcome and recording it in the trace. The undici interceptor and the node:http interceptor
 * both carry out the outcomes this module decides, so one rule means the same thing for every client.
 */

import { announceRandomSeed, resolveSeed } from '../chaos/env.js';
import {
  buildError,
  type ErrorSpec,
  errorDetail,
  errorFromDetail,
  type SystemErrorDetails,
  validateErrorSpec,
} from '../chaos/errors.js';
import type { InjectedMark } from '../chaos/outcome.js';
import { activeScope, scopesInUse } from '../chaos/scope.js';
import { type ChaosControl, controlFor, registerControl } from '../chaos/wrap.js';
import { InvalidOptionError } from '../core/errors.js';
import { type Decision, FaultInjector, type SiteState } from '../core/injector.js';
import { laneOf, type SeedInput } from '../core/random.js';
import { describeEntry, type Trace, type TraceEntry, type TraceJSON } from '../core/trace.js';
import {
  actionOf,
  compileHttpRules,
  type HttpAction,
  type HttpFaultRule,
  type HttpRequestInfo,
  type ResetMode,
  statusText,
  validateName,
} from './rules.js';

/** Options shared by every chaos HTTP entry point. */
export interface HttpChaosOptions {
  /** First word of every site (`http POST /pay`). Defaults to `'http'`. */
  name?: string;
  /** The seed. Defaults to `FAULTLINE_SEED`, else a random seed printed when the first fault fires. */
  seed?: SeedInput;
  /** The rules, tried in order; the first that fires wins. */
  faults?: readonly HttpFaultRule[];
  /** Replay a recorded trace: exactly its faults, at their (site, index), and nothing else. */
  replay?: Trace | TraceJSON | string;
  /** Called with every fault as it is injected. */
  onFault?: (entry: TraceEntry) => void;
  /** Start with faults switched off (see {@link HttpChaosControl.enable}). */
  enabled?: boolean;
}

/** Run-time control of a chaos HTTP client: the same controls as a chaos driver, with HTTP rules. */
export interface HttpChaosControl extends ChaosControl<HttpFaultRule> {
  /** The client name sites start with. */
  readonly name: string;
}

/** A fault ready to carry out on one request. */
export interface HttpOutcome {
  kind: 'status' | 'reset' | 'hang' | 'error' | 'delay' | 'modify';
  /** Latency before the outcome (or before the request goes through). */
  delayMs: number;
  response: { status: number; statusText: string; headers: Record<string, string>; body: Buffer } | undefined;
  reset: ResetMode | undefined;
  error: Error | undefined;
  /** For a hang: the peer closes the connection after this long (else only the caller ends it). */
  hangTimeoutMs: number | undefined;
  /** Latency before each body chunk. */
  bodyDelayMs: number | undefined;
  /** Bytes of body to deliver before the connection dies. */
  truncate: number | undefined;
  entry: TraceEntry;
  mark: InjectedMark;
}

const MARK = Symbol.for('faultline.injected');
const BODY_LANE = laneOf('http-body-delay');
const DECLARED_LANE = laneOf('declared-error');

/** Marks `err` so that `injectedFault(err)` tells where it came from (for fetch: look at `err.cause`). */
export function markInjected(err: Error, mark: InjectedMark): Error {
  Object.defineProperty(err, MARK, { value: mark, enumerable: false, configurable: true });
  return err;
}

/** Where a system error about this request's connection points: the origin's host and port. */
function connectionDetails(origin: string, code: string): SystemErrorDetails {
  let host = '';
  let port: number | undefined;
  try {
    const url = new URL(origin);
    host = url.hostname.replace(/^\[|\]$/g, '');
    port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  } catch {
    // an origin that is not a URL still gets an error, just without an address
  }
  if (code === 'EAI_AGAIN' || code === 'ENOTFOUND') return { hostname: host };
  if (code === 'ECONNRESET' || code === 'EPIPE') return {};
  return host ? { syscall: 'connect', address: host, port } : { syscall: 'connect' };
}

/** What an error spec means for HTTP: a status answers, ECONNRESET resets, anything else fails the request. */
function actionFromSpec(spec: ErrorSpec): HttpAction {
  const tag = actionOf(spec);
  if (tag) return tag;
  const status =
    typeof spec === 'number'
      ? spec
      : typeof spec === 'string'
        ? /^HTTP[_ ]?(\d{3})$/i.exec(spec)?.[1]
        : undefined;
  if (status !== undefined)
    return {
      kind: 'status',
      status: Number(status),
      headers: undefined,
      body: undefined,
      retryAfter: undefined,
      bodyDelay: undefined,
      truncate: undefined,
    };
  if (spec === 'ECONNRESET') return { kind: 'reset', mode: 'rst' };
  return { kind: 'error', spec };
}

function bodyBytes(body: unknown, status: number): { bytes: Buffer; type: string | undefined } {
  if (body === undefined)
    return { bytes: Buffer.from(statusText(status)), type: 'text/plain; charset=utf-8' };
  if (typeof body === 'string') return { bytes: Buffer.from(body), type: 'text/plain; charset=utf-8' };
  if (body instanceof Uint8Array) return { bytes: Buffer.from(body), type: 'application/octet-stream' };
  return { bytes: Buffer.from(JSON.stringify(body)), type: 'application/json' };
}

/** The shared decision-maker behind every chaos HTTP client. */
export class HttpChaosEngine {
  readonly name: string;
  readonly injector: FaultInjector<ErrorSpec>;
  readonly control: HttpChaosControl;
  /** False once uninstalled: the client then passes every request through untouched. */
  active = true;
  readonly #seedSource: 'option' | 'env' | 'random';

  constructor(options: HttpChaosOptions = {}) {
    if (options === null || typeof options !== 'object')
      throw new InvalidOptionError('options', 'must be an object');
    this.name = validateName(options.name ?? 'http');
    if (options.enabled !== undefined && typeof options.enabled !== 'boolean') {
      throw new InvalidOptionError('enabled', `must be true or false; got ${String(options.enabled)}`);
    }
    const { seed, source } = resolveSeed(options.seed);
    this.#seedSource = source;
    this.injector = new FaultInjector<ErrorSpec>({
      seed,
      rules: compileHttpRules(options.faults, this.name),
      replay: options.replay,
      validateError: validateErrorSpec,
      onFault: options.onFault,
    });
    if (options.enabled === false) this.injector.setEnabled(false);
    const injector = this.injector;
    const name = this.name;
    this.control = Object.assign(
      controlFor<HttpFaultRule>(injector, (rules) => compileHttpRules(rules, name)),
      { name },
    );
  }

  /** Makes `traceOf(obj)` / `controlOf(obj)` work on a chaos HTTP client, as on a chaos driver. */
  register(obj: object): void {
    registerControl(obj, this.control as unknown as ChaosControl);
  }

  /** The site a request counts at: `name METHOD /path`. */
  site(info: HttpRequestInfo): string {
    return `${this.name} ${info.method} ${info.path}`;
  }

  /**
   * Decides the fault for one request, synchronously as the request starts (its index at the site is its
   * identity), and records it. Undefined: let the request through untouched.
   */
  decide(info: HttpRequestInfo): HttpOutcome | undefined {
    if (!this.active) return undefined;
    let injector = this.injector;
    let declared: Readonly<Record<string, readonly ErrorSpec[]>> | undefined;
    if (scopesInUse.value) {
      const scope = activeScope();
      if (scope !== undefined) {
        injector = scope.injector;
        declared = scope.errors;
      }
    }
    const state = injector.site(this.site(info), info.method);
    const decision = injector.begin(state, [info]);
    if (decision === undefined) return undefined;
    const outcome = resolve(injector, state, decision, info, declared);
    if (this.#seedSource === 'random' && injector === this.injector)
      announceRandomSeed(injector.seed, `chaos HTTP client "${this.name}"`);
    return outcome;
  }
}

function resolve(
  injector: FaultInjector<ErrorSpec>,
  state: SiteState<ErrorSpec>,
  decision: Decision<ErrorSpec>,
  info: HttpRequestInfo,
  declared: Readonly<Record<string, readonly ErrorSpec[]>> | undefined,
): HttpOutcome {
  const { site, index } = decision;
  const rule = decision.rule;
  const replay = decision.replay;
  const mark: InjectedMark = { site, index, rule: decision.ruleId, seed: injector.seed };
  // A replayed fault starts from its recorded detail, so the new trace equals the recorded one.
  const detail: Record<string, unknown> = replay ? { ...replay.detail } : {};
  const outcome: HttpOutcome = {
    kind: 'delay',
    delayMs: decision.delayMs ?? 0,
    response: undefined,
    reset: undefined,
    error: undefined,
    hangTimeoutMs: undefined,
    bodyDelayMs: undefined,
    truncate: undefined,
    entry: { site, index, rule: decision.ruleId, action: 'delay', detail },
    mark,
  };
  if (decision.delayMs !== undefined) detail.ms = decision.delayMs;

  // What to do: from the rule, or — replaying an entry whose rule is gone — from the entry alone.
  let action: HttpAction | 'hang' | 'delay';
  if (rule) {
    if (rule.hang) action = 'hang';
    else if (rule.errors.length > 0) action = actionFromSpec(rule.errors[decision.errorIndex]!);
    else if (rule.hasReturn) action = returnedAction(rule.spec.returns, info);
    else if (rule.delay) action = 'delay';
    else {
      const list = declared?.[info.method] ?? declared?.['*'] ?? [];
      const chosen = replay
        ? ((replay.detail.errorIndex as number | undefined) ?? 0)
        : Math.floor(injector.draw(state, index, DECLARED_LANE) * list.length);
      action = list[chosen] !== undefined ? actionFromSpec(list[chosen]!) : { kind: 'reset', mode: 'close' };
      if (list.length > 1) detail.errorIndex = chosen;
      detail.declared = true;
    }
    if (rule.errors.length > 1) detail.errorIndex = decision.errorIndex;
  } else {
    action = actionFromEntry(replay!);
  }

  if (action === 'hang') {
    outcome.kind = 'hang';
    const t = replay?.detail.timeoutMs ?? rule?.hang?.timeoutMs;
    if (typeof t === 'number') outcome.hangTimeoutMs = detail.timeoutMs = t;
  } else if (action === 'delay') {
    outcome.kind = 'delay';
  } else if (action.kind === 'reset') {
    outcome.kind = 'reset';
    outcome.reset = detail.mode = action.mode;
  } else if (action.kind === 'error') {
    outcome.kind = 'error';
    const spec = action.spec;
    const ctx = { site, method: info.method, index, args: [info], seed: injector.seed };
    outcome.error =
      typeof spec === 'string'
        ? buildError(spec, ctx, connectionDetails(info.origin, spec))
        : rule || !replay
          ? buildError(spec, ctx)
          : errorFromDetail(replay.detail);
    markInjected(outcome.error, mark);
    Object.assign(detail, errorDetail(outcome.error));
  } else {
    if (action.kind === 'status') {
      outcome.kind = 'status';
      const noBody = info.method === 'HEAD' || action.status === 204 || action.status === 304;
      const { bytes, type } = bodyBytes(action.body, action.status);
      const headers: Record<string, string> = {};
      if (!noBody && type) headers['content-type'] = type;
      if (action.retryAfter !== undefined) headers['retry-after'] = String(action.retryAfter);
      for (const [k, v] of Object.entries(action.headers ?? {})) headers[k.toLowerCase()] = v;
      if (!noBody) headers['content-length'] = String(bytes.length);
      outcome.response = {
        status: action.status,
        statusText: statusText(action.status),
        headers,
        body: noBody ? Buffer.alloc(0) : bytes,
      };
      detail.status = action.status;
      if (action.retryAfter !== undefined) detail.retryAfter = action.retryAfter;
      if (action.headers !== undefined) detail.headers = { ...action.headers };
      if (typeof action.body === 'string') detail.body = action.body;
      else if (action.body !== undefined && !(action.body instanceof Uint8Array)) detail.body = action.body;
    } else {
      outcome.kind = 'modify';
    }
    if (action.truncate !== undefined) outcome.truncate = detail.truncate = action.truncate;
    if (action.bodyDelay !== undefined) {
      const recorded = replay?.detail.chunkMs;
      const [min, max] = action.bodyDelay;
      outcome.bodyDelayMs =
        typeof recorded === 'number'
          ? recorded
          : min === max
            ? min
            : Math.round(min + injector.draw(state, index, BODY_LANE) * (max - min));
      detail.chunkMs = outcome.bodyDelayMs;
    }
  }
  outcome.entry.action =
    outcome.kind === 'modify' ? (outcome.truncate !== undefined ? 'truncate' : 'slow-body') : outcome.kind;
  injector.record(outcome.entry);
  return outcome;
}

/** A core rule's `returns` in HTTP terms: `{ status, headers, body }`, or any value as a 200 JSON body. */
function returnedAction(value: unknown, info: HttpRequestInfo): HttpAction {
  const v = typeof value === 'function' ? (value as (a: readonly unknown[]) => unknown)([info]) : value;
  const r = v as { status?: unknown; headers?: unknown; body?: unknown } | null;
  const isResponse = r !== null && typeof r === 'object' && typeof r.status === 'number';
  return {
    kind: 'status',
    status: isResponse ? (r.status as number) : 200,
    headers: isResponse
      ? (r.headers as Record<string, string> | undefined)
      : { 'content-type': 'application/json' },
    body: (isResponse ? r.body : JSON.stringify(v ?? null)) as HttpFaultRule['body'],
    retryAfter: undefined,
    bodyDelay: undefined,
    truncate: undefined,
  };
}

/** Rebuilds what to do from a recorded entry (replay with no rule of that id). */
function actionFromEntry(entry: TraceEntry): HttpAction | 'hang' | 'delay' {
  const d = entry.detail;
  const chunk = typeof d.chunkMs === 'number' ? ([d.chunkMs, d.chunkMs] as const) : undefined;
  const truncate = typeof d.truncate === 'number' ? d.truncate : undefined;
  switch (entry.action) {
    case 'hang':
      return 'hang';
    case 'delay':
      return 'delay';
    case 'reset':
      return { kind: 'reset', mode: d.mode === 'rst' ? 'rst' : 'close' };
    case 'status':
      return {
        kind: 'status',
        status: typeof d.status === 'number' ? d.status : 500,
        headers: d.headers as Record<string, string> | undefined,
        body: d.body as string | undefined,
        retryAfter: typeof d.retryAfter === 'number' ? d.retryAfter : undefined,
        bodyDelay: chunk,
        truncate,
      };
    case 'slow-body':
    case 'truncate':
      return { kind: 'modify', bodyDelay: chunk, truncate };
    default: {
      const code = typeof d.code === 'string' ? d.code : undefined;
      return { kind: 'error', spec: code ?? (() => errorFromDetail(d)) };
    }
  }
}

/** One line per fault (the core's {@link describeEntry}, kept under this name for HTTP users). */
export function describeHttpEntry(e: TraceEntry): string {
  return describeEntry(e);
}
