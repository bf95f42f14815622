/**
 * The fault injector: given a seed and rules (or a trace to replay), decides for each call at a site whether a
 * fault fires and which. It is pure state — counters, a trace — with no I/O and no clock: the layers that wrap
 * real things (drivers, HTTP, the proxy) ask it and carry out the decision.
 *
 * Determinism: the call index at a site is assigned when the call starts, and the decision for (site, index)
 * depends only on the seed, the site, the index, the rules and the call's arguments. Concurrency can change which
 * caller gets index 3, but not what happens to call 3.
 */
import { InvalidOptionError } from './errors.js';
import { normalizeSeed, type RandomStream, randomStream, type SeedInput } from './random.js';
import {
  type CompiledRule,
  compileRules,
  type ErrorValidator,
  type FaultRule,
  scheduleAllows,
} from './rules.js';
import { Trace, type TraceEntry, type TraceJSON } from './trace.js';

/** What to do to one call. `entry` is set when replaying a recorded fault. */
export interface Decision<E = unknown> {
  readonly site: string;
  readonly index: number;
  /** The rule that fired; undefined when replaying an entry whose rule is not in the current rule set. */
  readonly rule: CompiledRule<E> | undefined;
  readonly ruleId: string;
  /** Delay before the outcome, in ms (drawn from the rule's range). */
  readonly delayMs: number | undefined;
  /** Which of the rule's errors (index into `rule.errors`, or into the layer's declared errors). */
  readonly errorIndex: number;
  /** The recorded fault this decision replays. */
  readonly replay: TraceEntry | undefined;
}

/** Per-site state the hot path keeps: the site's random stream, its counters and the rules that apply. */
export interface SiteState<E = unknown> {
  readonly site: string;
  readonly method: string;
  readonly random: RandomStream;
  calls: number;
  fires: number;
  /** Fires per rule at this site, for `timesPerSite`. */
  readonly firesByRule: Map<string, number>;
  rules: readonly CompiledRule<E>[];
  version: number;
  /** No rule applies and nothing is replayed: a call here only needs counting (see {@link FaultInjector.begin}). */
  passive: boolean;
}

export interface InjectorOptions<E = unknown> {
  seed: SeedInput;
  rules?: readonly FaultRule<E>[];
  /** Replay this trace: inject exactly its faults at their (site, index) and nothing else. */
  replay?: Trace | TraceJSON | string;
  /** Name used in error messages for the rules option. */
  field?: string;
  validateError?: ErrorValidator<E>;
  allowNoAction?: boolean;
  /** Called with every fault as it is recorded. */
  onFault?: (entry: TraceEntry) => void;
}

export class FaultInjector<E = unknown> {
  readonly seed: number;
  readonly trace: Trace;
  readonly random: RandomStream;
  readonly #field: string;
  readonly #validateError: ErrorValidator<E> | undefined;
  readonly #allowNoAction: boolean;
  readonly #sites = new Map<string, SiteState<E>>();
  /** Fires per rule id over all sites, for `times` (kept across `setRules`, like the per-site counts). */
  readonly #firesByRule = new Map<string, number>();
  readonly #replay: Map<string, TraceEntry> | undefined;
  #rules: CompiledRule<E>[];
  #rulesById = new Map<string, CompiledRule<E>>();
  #version = 0;
  #enabled = true;
  onFault: ((entry: TraceEntry) => void) | undefined;

  constructor(options: InjectorOptions<E>) {
    this.seed = normalizeSeed(options.seed);
    this.random = randomStream(this.seed);
    this.trace = new Trace(this.seed);
    this.#field = options.field ?? 'faults';
    this.#validateError = options.validateError;
    this.#allowNoAction = options.allowNoAction ?? false;
    this.onFault = options.onFault;
    this.#rules = this.#compile(options.rules);
    if (options.replay !== undefined) {
      const trace = options.replay instanceof Trace ? options.replay : Trace.fromJSON(options.replay);
      this.#replay = new Map(trace.entries.map((e) => [`${e.site}#${e.index}`, e]));
    }
  }

  #compile(rules: readonly FaultRule<E>[] | undefined): CompiledRule<E>[] {
    const compiled = compileRules(rules, {
      field: this.#field,
      validateError: this.#validateError,
      allowNoAction: this.#allowNoAction,
    });
    this.#rulesById = new Map(compiled.map((r) => [r.id, r]));
    return compiled;
  }

  /** The compiled rules, in order. */
  get rules(): readonly CompiledRule<E>[] {
    return this.#rules;
  }

  /** True when replaying a trace. */
  get replaying(): boolean {
    return this.#replay !== undefined;
  }

  /** Changes whenever rules change, so cached per-site rule lists know to refresh. */
  get version(): number {
    return this.#version;
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  /** Switches every rule of this injector off (calls still count, so indexes stay aligned) or back on. */
  setEnabled(enabled: boolean): void {
    this.#enabled = enabled;
  }

  /** Replaces the rule set (validated whole first: a bad set changes nothing). */
  setRules(rules: readonly FaultRule<E>[]): void {
    const compiled = this.#compile(rules);
    this.#rules = compiled;
    this.#version += 1;
  }

  /** The rule with this id, or an error naming it. */
  rule(id: string): CompiledRule<E> {
    const rule = this.#rulesById.get(id);
    if (!rule) {
      const known = this.#rules.map((r) => r.id).join(', ') || 'none';
      throw new InvalidOptionError('rule', `no rule with id ${JSON.stringify(id)} (known: ${known})`);
    }
    return rule;
  }

  /** Changes one rule's rate while running. */
  setRate(id: string, rate: number): void {
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) {
      throw new InvalidOptionError(`${id}.rate`, `must be a number between 0 and 1; got ${rate}`);
    }
    this.rule(id).rate = rate;
  }

  /** Switches one rule off or on while running. */
  setRuleEnabled(id: string, enabled: boolean): void {
    this.rule(id).enabled = enabled;
  }

  /** The state of `site` (created on first use), with its rule list brought up to date. */
  site(site: string, method: string): SiteState<E> {
    let state = this.#sites.get(site);
    if (!state) {
      state = {
        site,
        method,
        random: this.random.fork(site),
        calls: 0,
        fires: 0,
        firesByRule: new Map(),
        rules: [],
        version: -1,
        passive: false,
      };
      this.#sites.set(site, state);
    }
    if (state.version !== this.#version) {
      state.rules = this.#rules.filter((r) => r.matchesMethod(method) && r.matchesSite(site));
      state.version = this.#version;
      state.passive = state.rules.length === 0 && this.#replay === undefined;
    }
    return state;
  }

  /**
   * Starts a call at `state`'s site: assigns its index and decides its fault (undefined: pass through).
   * Must be called synchronously when the call starts — the index is the call's identity.
   */
  begin(state: SiteState<E>, args: readonly unknown[]): Decision<E> | undefined {
    const index = ++state.calls;
    if (state.version !== this.#version) this.site(state.site, state.method);
    if (!this.#enabled || !globalSwitch.enabled) return undefined;
    if (this.#replay !== undefined) return this.#replayed(state, index);
    const rules = state.rules;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      if (!rule.enabled || (rule.scheduled && !scheduleAllows(rule, index))) continue;
      // Fire counts matter only to rules with a cap; others skip the lookups.
      const capped = rule.times !== Number.POSITIVE_INFINITY;
      const cappedHere = rule.timesPerSite !== Number.POSITIVE_INFINITY;
      const fired = capped ? (this.#firesByRule.get(rule.id) ?? 0) : 0;
      if (fired >= rule.times) continue;
      const firedHere = cappedHere ? (state.firesByRule.get(rule.id) ?? 0) : 0;
      if (firedHere >= rule.timesPerSite) continue;
      if (rule.when !== undefined && !rule.when(args)) continue;
      if (rule.rate < 1 && !(state.random.at(index, rule.lanes.fire) < rule.rate)) continue;
      if (capped) this.#firesByRule.set(rule.id, fired + 1);
      if (cappedHere) state.firesByRule.set(rule.id, firedHere + 1);
      state.fires += 1;
      let delayMs: number | undefined;
      if (rule.delay) {
        const [min, max] = rule.delay;
        delayMs =
          min === max ? min : Math.round(min + state.random.at(index, rule.lanes.delay) * (max - min));
      }
      const errorCount = rule.errors.length;
      const errorIndex =
        errorCount > 1 ? Math.floor(state.random.at(index, rule.lanes.error) * errorCount) : 0;
      return { site: state.site, index, rule, ruleId: rule.id, delayMs, errorIndex, replay: undefined };
    }
    return undefined;
  }

  #replayed(state: SiteState<E>, index: number): Decision<E> | undefined {
    const entry = this.#replay!.get(`${state.site}#${index}`);
    if (!entry) return undefined;
    state.fires += 1;
    const ms = entry.detail.ms;
    return {
      site: state.site,
      index,
      rule: this.#rulesById.get(entry.rule),
      ruleId: entry.rule,
      delayMs: typeof ms === 'number' ? ms : undefined,
      errorIndex: typeof entry.detail.errorIndex === 'number' ? entry.detail.errorIndex : 0,
      replay: entry,
    };
  }

  /** A draw for the layer's own choices about this call (e.g. which declared error), on a named lane. */
  draw(state: SiteState<E>, index: number, lane: number): number {
    return state.random.at(index, lane);
  }

  /** Records a fault that was carried out. */
  record(entry: TraceEntry): void {
    this.trace.record(entry);
    this.onFault?.(entry);
  }

  /** Brings the trace's call counts up to date (cheap; call before reading the trace). */
  syncCalls(): Trace {
    for (const s of this.#sites.values()) if (s.calls > 0) this.trace.noteCall(s.site, s.calls);
    return this.trace;
  }

  /** Calls and fires per site. */
  counters(): Record<string, { calls: number; fires: number }> {
    const out: Record<string, { calls: number; fires: number }> = {};
    for (const site of [...this.#sites.keys()].sort()) {
      const s = this.#sites.get(site)!;
      out[site] = { calls: s.calls, fires: s.fires };
    }
    return out;
  }
}

/**
 * The process-wide off switch: when off, no injector fires (calls are still counted). Plain state, no I/O;
 * the layer that reads the environment sets it.
 */
export const globalSwitch = { enabled: true };
