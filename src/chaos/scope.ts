/**
 * Chaos scopes: faults limited to one async context. Inside `scope.run(fn)`, every chaos driver (and chaos
 * HTTP client) called from `fn` — however deep in awaits, timers and callbacks — uses the scope's seed, rules,
 * call counters and trace instead of its own. Two tests running in parallel in one process each get their own
 * faults and their own trace, which a process-wide switch cannot give.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { FaultInjector } from '../core/injector.js';
import type { SeedInput } from '../core/random.js';
import type { FaultRule } from '../core/rules.js';
import type { Trace, TraceEntry, TraceJSON } from '../core/trace.js';
import { resolveSeed } from './env.js';
import { type ErrorSpec, validateErrorSpec } from './errors.js';
import type { DeclaredErrors } from './outcome.js';

export interface ChaosScopeOptions {
  seed?: SeedInput;
  /** Rules for every chaos driver used in the scope; use `site: 'db.*'` to aim at one driver. */
  faults?: readonly FaultRule<ErrorSpec>[];
  /** Errors for rules with no action; drivers' own declared errors apply when this has none for a method. */
  errors?: DeclaredErrors;
  replay?: Trace | TraceJSON | string;
  onFault?: (entry: TraceEntry) => void;
}

/** The scope state a driver consults. */
export interface ActiveScope {
  readonly injector: FaultInjector<ErrorSpec>;
  readonly errors: DeclaredErrors | undefined;
}

const storage = new AsyncLocalStorage<ActiveScope>();

/** Flipped on by the first scope, so processes that never use scopes never pay for the lookup. */
export const scopesInUse = { value: false };

/** The scope the current async context runs in, if any. */
export function activeScope(): ActiveScope | undefined {
  return storage.getStore();
}

export interface ChaosScope {
  readonly seed: number;
  /** Faults injected inside this scope, with call counts per site. */
  readonly trace: Trace;
  readonly injector: FaultInjector<ErrorSpec>;
  /** Runs `fn` inside the scope. */
  run<R>(fn: () => R): R;
  counters(): Record<string, { calls: number; fires: number }>;
}

/** Creates a scope: its own seed, rules, counters and trace, active only inside `run`. */
export function chaosScope(options: ChaosScopeOptions = {}): ChaosScope {
  const injector = new FaultInjector<ErrorSpec>({
    seed: resolveSeed(options.seed).seed,
    rules: options.faults,
    replay: options.replay,
    validateError: validateErrorSpec,
    allowNoAction: true,
    onFault: options.onFault,
  });
  const active: ActiveScope = { injector, errors: options.errors };
  scopesInUse.value = true;
  return {
    seed: injector.seed,
    get trace() {
      return injector.syncCalls();
    },
    injector,
    run: (fn) => storage.run(active, fn),
    counters: () => injector.counters(),
  };
}
