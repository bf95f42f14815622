/**
 * Turns an injector's decision into a concrete outcome (which error, how long a delay, what value) and records
 * it in the trace. Kept apart from the Proxy plumbing so that the rules of "what a fault is" live in one place.
 */
import type { Decision, FaultInjector, SiteState } from '../core/injector.js';
import { laneOf } from '../core/random.js';
import type { FaultKind, TraceEntry } from '../core/trace.js';
import type { DetailsFor } from './details.js';
import { buildError, type ErrorSpec, errorDetail, errorFromDetail, type FaultContext } from './errors.js';

/** A fault ready to carry out. */
export interface Outcome {
  kind: FaultKind;
  /** Delay before the outcome (or before calling through, for a pure delay). */
  delayMs: number;
  error: Error | undefined;
  value: unknown;
  hang: { timeoutMs?: number } | undefined;
  emit: 'result' | 'self' | 'auto' | undefined;
  /** True for a pure delay: after it the real call goes ahead. */
  passThrough: boolean;
  entry: TraceEntry;
}

/** Which declared errors apply to a method: its own list, else the `'*'` list. */
export type DeclaredErrors = Readonly<Record<string, readonly ErrorSpec[]>>;

const DECLARED_LANE = laneOf('declared-error');
const MARK = Symbol.for('faultline.injected');

/** Where an injected error came from; present (non-enumerable) on every error faultline injects. */
export interface InjectedMark {
  site: string;
  index: number;
  rule: string;
  seed: number;
}

/** The injection details of `err` when faultline injected it, else undefined. */
export function injectedFault(err: unknown): InjectedMark | undefined {
  return err !== null && typeof err === 'object'
    ? ((err as Record<symbol, InjectedMark>)[MARK] ?? undefined)
    : undefined;
}

function mark(err: Error, m: InjectedMark): Error {
  Object.defineProperty(err, MARK, { value: m, enumerable: false, configurable: true });
  return err;
}

function declaredFor(declared: DeclaredErrors | undefined, method: string): readonly ErrorSpec[] {
  return declared?.[method] ?? declared?.['*'] ?? [];
}

/**
 * Works out the outcome of `decision` and records it. `declared` are the interface's errors, used by rules that
 * name no action of their own; `details` is what the call tells a system error (its path, its address).
 * Throws when user code it runs (an error factory, a `returns` function) misbehaves; nothing is recorded then.
 */
export function resolveOutcome(
  injector: FaultInjector<ErrorSpec>,
  state: SiteState<ErrorSpec>,
  decision: Decision<ErrorSpec>,
  args: readonly unknown[],
  declared: DeclaredErrors | undefined,
  details?: DetailsFor,
): Outcome {
  const { site, index } = decision;
  const ctx: FaultContext = { site, method: state.method, index, args, seed: injector.seed };
  const m: InjectedMark = { site, index, rule: decision.ruleId, seed: injector.seed };
  const rule = decision.rule;
  const replay = decision.replay;
  const delayMs = decision.delayMs ?? 0;
  const detail: Record<string, unknown> = {};
  if (decision.delayMs !== undefined) detail.ms = decision.delayMs;
  let kind: FaultKind;
  let error: Error | undefined;
  let value: unknown;
  let hang: Outcome['hang'];
  let emit: Outcome['emit'];
  let passThrough = false;
  const build = (spec: ErrorSpec, field: string) =>
    buildError(spec, ctx, typeof spec === 'string' ? details?.(spec) : undefined, field);
  const ruleField = (i: number) =>
    rule!.errors.length > 1 ? `faults[${rule!.index}].error[${i}]` : `faults[${rule!.index}].error`;

  // When replaying an entry whose rule is gone, the entry alone says what to do.
  const action = replay && !rule ? replay.action : undefined;
  if (rule?.hang || action === 'hang') {
    kind = 'hang';
    hang = rule?.hang ?? {};
    if (typeof replay?.detail.timeoutMs === 'number') hang = { timeoutMs: replay.detail.timeoutMs };
    if (hang.timeoutMs !== undefined) detail.timeoutMs = hang.timeoutMs;
    if (rule && rule.errors.length > 0)
      error = build(rule.errors[decision.errorIndex]!, ruleField(decision.errorIndex));
  } else if (rule ? rule.hasReturn : action === 'return') {
    kind = 'return';
    const ret = rule ? rule.spec.returns : replay!.detail.value;
    value = typeof ret === 'function' ? (ret as (a: readonly unknown[]) => unknown)(args) : ret;
    detail.value = value;
  } else if (rule ? rule.errors.length > 0 : action === 'error' || action === 'emit') {
    kind = (rule ? rule.emit : action === 'emit') ? 'emit' : 'error';
    error = rule
      ? build(rule.errors[decision.errorIndex]!, ruleField(decision.errorIndex))
      : errorFromDetail(replay!.detail, details);
    if (rule && rule.errors.length > 1) detail.errorIndex = decision.errorIndex;
    emit = rule?.emit ?? (kind === 'emit' ? 'auto' : undefined);
  } else if (rule?.delay || action === 'delay') {
    kind = 'delay';
    passThrough = true;
  } else {
    // No action of its own: one of the errors the interface declares for this method.
    const list = declaredFor(declared, state.method);
    const chosen = replay
      ? (replay.detail.errorIndex as number | undefined)
      : Math.floor(injector.draw(state, index, DECLARED_LANE) * list.length);
    const spec = list[chosen ?? 0];
    kind = rule?.emit ? 'emit' : 'error';
    emit = rule?.emit;
    const listName = declared?.[state.method] ? state.method : '*';
    error =
      spec !== undefined
        ? build(spec, `errors.${listName}[${chosen ?? 0}]`)
        : replay
          ? errorFromDetail(replay.detail, details)
          : undefined;
    if (!error) error = new Error(`injected fault at ${site} #${index}`);
    if (list.length > 1) detail.errorIndex = chosen;
    detail.declared = true;
  }
  if (error) {
    mark(error, m);
    Object.assign(detail, errorDetail(error));
  }
  // A replayed fault is recorded as it was, so a replay's trace equals the original's.
  const entry: TraceEntry = replay
    ? { site, index, rule: replay.rule, action: replay.action, detail: { ...replay.detail } }
    : { site, index, rule: decision.ruleId, action: kind, detail };
  injector.record(entry);
  return { kind, delayMs, error, value, hang, emit, passThrough, entry };
}
