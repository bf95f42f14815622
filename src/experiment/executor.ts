/**
 * Executes an experiment's faults on one timeline: the plan's `at:`/`every:` steps at their times, `when:` faults
 * when their condition holds, each revert when its fault's duration is up, and everything still applied at the
 * end (rollback) last in, first out. Every injection goes through the journal (the revert record is on disk
 * before the fault takes effect).
 *
 * The blast radius is enforced here too, whatever the plan says: the plan already respects `max_unavailable`
 * for scheduled faults, but `when:` faults fire at moments no plan knows, so before any injection the executor
 * checks the group's live count and delays (or drops, per the group's `excess`) what does not fit. Time is
 * milliseconds from the start of the method on an injected clock; the engine calls {@link FaultExecutor.tick}.
 */
import { randomStream } from '../core/random.js';
import { applyFault, type RevertOutcome, revertFault } from '../disruptors/apply.js';
import { getDisruptor } from '../disruptors/registry.js';
import type { AppliedFault, DisruptorInstance, Json, RevertRecord } from '../disruptors/types.js';
import type { Clock } from '../load/clock.js';
import { parseDuration } from '../load/parse.js';
import { type ConditionInputs, evaluateCondition } from '../monitors/condition.js';
import { faultName } from './check.js';
import type { Journal } from './journal.js';
import { type ExperimentPlan, maxUnavailableOf, seededOrder, wantedInstances } from './plan.js';
import type { ExperimentSpec, FaultSpec } from './schema.js';

/** What the executor needs of a target group. */
export interface ExecutorGroup {
  readonly instances: readonly { id: string }[];
  readonly owned: boolean;
  disruptorInstance(index: number): DisruptorInstance;
  restart(index: number): Promise<{ pid: number }>;
}

/** One fault instance as it ran. Times are epoch ms. */
export interface FaultRun {
  /** The journal id. */
  id: string;
  fault: string;
  disruptor: string;
  target: string;
  occurrence: number;
  instance: string;
  /** `applied`: took effect; `failed`: the injection failed (and was reverted); `dropped`: no room. */
  status: 'applied' | 'failed' | 'dropped';
  startMs: number;
  /** When it was reverted; null while applied or when its revert failed. */
  endMs: number | null;
  /** A short description of what was done. */
  detail: string;
  error?: string;
  /** What the injection reported (a pid, a new pid). */
  info?: Record<string, Json>;
  /** The condition that fired a `when:` fault. */
  trigger?: string;
}

interface Active {
  run: FaultRun;
  faultIndex: number;
  group: string;
  index: number;
  revert: RevertRecord;
  /** Method ms when the revert is due; Infinity: at rollback. */
  dueMs: number;
}

interface Pending {
  faultIndex: number;
  occurrence: number;
  /** The planned instance, when the plan picked one. */
  instance: number | null;
  atMs: number;
}

/** Options of {@link FaultExecutor}. */
export interface ExecutorOptions {
  spec: ExperimentSpec;
  plan: ExperimentPlan;
  journal: Journal;
  groups: ReadonlyMap<string, ExecutorGroup>;
  clock: Clock;
  /** Fault options with run-time placeholders already expanded, by fault index (default: the spec's). */
  options?: readonly Record<string, unknown>[];
  /** Aborts injections in flight. */
  signal?: AbortSignal;
  onEvent?: (kind: string, message: string) => void;
}

/** `proxy.toxic latency=300 jitter=50`, `process.kill SIGKILL`: what a fault does, in a few words. */
export function describeFault(f: FaultSpec, options: Record<string, unknown> = f.with): string {
  const parts: string[] = [];
  const flat = (prefix: string, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v)) flat(prefix === '' ? k : `${prefix}.${k}`, x);
    } else if (!['api', 'endpoint', 'stream', 'toxicity', 'restart'].includes(prefix)) {
      parts.push(`${prefix}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
    }
  };
  flat('', options);
  return [f.disruptor, ...parts].join(' ');
}

/** Runs the faults of one experiment. */
export class FaultExecutor {
  /** Every fault instance, in the order they were applied (or failed, or dropped). */
  readonly runs: FaultRun[] = [];
  readonly #o: ExecutorOptions;
  readonly #active = new Map<string, Active>();
  readonly #unavailable = new Map<string, Set<number>>();
  #pending: Pending[];
  readonly #delayed: Pending[] = [];
  readonly #fired = new Map<number, number>();
  readonly #durationMs: number;
  #methodStart = 0;
  #stopped = false;

  constructor(options: ExecutorOptions) {
    this.#o = options;
    this.#durationMs = options.plan.durationMs;
    const index = new Map(options.spec.faults.map((f, i) => [faultName(f, i), i]));
    this.#pending = options.plan.steps
      .filter((s) => s.status === 'apply')
      .map((s) => ({
        faultIndex: index.get(s.fault) as number,
        occurrence: s.occurrence,
        instance: s.instance,
        atMs: s.startMs as number,
      }));
    for (const name of options.groups.keys()) this.#unavailable.set(name, new Set());
  }

  /** Marks the start of the method (monotonic ms of the clock). */
  start(methodStartMs: number): void {
    this.#methodStart = methodStartMs;
  }

  /** Method ms now. */
  now(): number {
    return this.#o.clock.nowMs() - this.#methodStart;
  }

  /** Faults applied right now. */
  active(): FaultRun[] {
    return [...this.#active.values()].map((a) => a.run);
  }

  /** Method ms of the next scheduled apply or revert (Infinity when none). */
  nextDueMs(): number {
    let next = Number.POSITIVE_INFINITY;
    for (const p of this.#pending) next = Math.min(next, p.atMs);
    for (const a of this.#active.values()) next = Math.min(next, a.dueMs);
    return next;
  }

  /** No more injections (an abort): pending steps are dropped, what is applied stays until {@link rollback}. */
  stopInjecting(): void {
    this.#stopped = true;
    this.#pending = [];
    this.#delayed.length = 0;
  }

  /**
   * Does what is due at method ms `nowMs`: reverts first (so an instance coming back frees room at the same
   * instant), then scheduled applies, then `when:` faults whose condition holds over `inputs`.
   */
  async tick(nowMs: number, inputs?: ConditionInputs): Promise<void> {
    const dueReverts = [...this.#active.values()]
      .filter((a) => a.dueMs <= nowMs)
      .sort((a, b) => a.dueMs - b.dueMs || a.run.startMs - b.run.startMs);
    for (const a of dueReverts) await this.#revert(a);
    if (this.#stopped) return;
    const due = this.#pending.filter((p) => p.atMs <= nowMs);
    this.#pending = this.#pending.filter((p) => p.atMs > nowMs);
    for (const p of due) await this.#applyStep(p, nowMs);
    if (inputs !== undefined) await this.#whenFaults(nowMs, inputs);
  }

  /** Reverts everything still applied, last applied first. Never rejects; outcomes say what failed. */
  async rollback(): Promise<RevertOutcome[]> {
    this.stopInjecting();
    const all = [...this.#active.values()].reverse();
    const outcomes: RevertOutcome[] = [];
    for (const a of all) outcomes.push(await this.#revert(a));
    return outcomes;
  }

  #room(groupName: string): number {
    const spec = this.#o.spec.targets[groupName];
    const down = this.#unavailable.get(groupName) as Set<number>;
    return spec === undefined ? 0 : Math.max(0, maxUnavailableOf(spec) - down.size);
  }

  /** Instances to use for one occurrence: the seeded order among those not unavailable, at most the room left. */
  #pick(faultIndex: number, occurrence: number, want: number, preferred: number | null): number[] {
    const f = this.#o.spec.faults[faultIndex] as FaultSpec;
    const group = this.#o.groups.get(f.target) as ExecutorGroup;
    const down = this.#unavailable.get(f.target) as Set<number>;
    const take = Math.min(want, this.#room(f.target));
    if (take <= 0) return [];
    if (preferred !== null && !down.has(preferred) && take >= 1) return [preferred];
    const order = seededOrder(
      randomStream(this.#o.plan.seed).fork(`experiment/fault/${faultName(f, faultIndex)}`),
      occurrence,
      group.instances.length,
    );
    return order.filter((i) => !down.has(i)).slice(0, take);
  }

  async #applyStep(p: Pending, nowMs: number): Promise<void> {
    const f = this.#o.spec.faults[p.faultIndex] as FaultSpec;
    const [index] = this.#pick(p.faultIndex, p.occurrence, 1, p.instance);
    if (index === undefined) {
      const target = this.#o.spec.targets[f.target];
      const max = target ? maxUnavailableOf(target) : 0;
      if (target?.excess === 'drop') {
        this.#drop(p, `max_unavailable ${max} of ${f.target} reached`);
      } else {
        this.#delayed.push(p);
        this.#o.onEvent?.(
          'fault.delayed',
          `${faultName(f, p.faultIndex)} delayed: max_unavailable ${max} of ${f.target} reached`,
        );
      }
      return;
    }
    await this.#apply(p.faultIndex, p.occurrence, index, nowMs);
  }

  #drop(p: Pending, why: string): void {
    const f = this.#o.spec.faults[p.faultIndex] as FaultSpec;
    const name = faultName(f, p.faultIndex);
    const now = this.#o.clock.epochMs();
    this.runs.push({
      id: `${name}.${p.occurrence}.dropped`,
      fault: name,
      disruptor: f.disruptor,
      target: f.target,
      occurrence: p.occurrence,
      instance: '',
      status: 'dropped',
      startMs: now,
      endMs: now,
      detail: describeFault(f, this.#options(p.faultIndex)),
      error: why,
    });
    this.#o.onEvent?.('fault.dropped', `${name} dropped: ${why}`);
  }

  #options(faultIndex: number): Record<string, unknown> {
    return (this.#o.options?.[faultIndex] ?? (this.#o.spec.faults[faultIndex] as FaultSpec).with) as Record<
      string,
      unknown
    >;
  }

  async #apply(
    faultIndex: number,
    occurrence: number,
    index: number,
    nowMs: number,
    trigger?: string,
  ): Promise<boolean> {
    const f = this.#o.spec.faults[faultIndex] as FaultSpec;
    const name = faultName(f, faultIndex);
    const group = this.#o.groups.get(f.target) as ExecutorGroup;
    const instance = group.disruptorInstance(index);
    const disruptor = getDisruptor(f.disruptor);
    const options = this.#options(faultIndex);
    const id = `${name}.${occurrence}.${instance.id}`;
    const run: FaultRun = {
      id,
      fault: name,
      disruptor: f.disruptor,
      target: f.target,
      occurrence,
      instance: instance.id,
      status: 'applied',
      startMs: this.#o.clock.epochMs(),
      endMs: null,
      detail: describeFault(f, options),
      ...(trigger === undefined ? {} : { trigger }),
    };
    this.runs.push(run);
    if (disruptor === undefined) {
      run.status = 'failed';
      run.endMs = run.startMs;
      run.error = `no runtime for disruptor ${f.disruptor}`;
      this.#o.onEvent?.('fault.failed', `${name} on ${instance.id}: ${run.error}`);
      return false;
    }
    const down = this.#unavailable.get(f.target) as Set<number>;
    down.add(index);
    let applied: AppliedFault;
    try {
      applied = await applyFault(
        this.#o.journal,
        disruptor,
        instance,
        options,
        {
          faultId: id,
          ...(group.owned ? { restart: () => group.restart(index) } : {}),
          ...(this.#o.signal ? { signal: this.#o.signal } : {}),
        },
        { fault: name },
      );
    } catch (err) {
      down.delete(index);
      run.status = 'failed';
      run.endMs = this.#o.clock.epochMs();
      run.error = (err as Error).message;
      this.#o.onEvent?.('fault.failed', `${name} on ${instance.id} failed: ${run.error}`);
      return false;
    }
    if (applied.detail !== undefined) run.info = applied.detail;
    const durationMs = f.duration === undefined ? Number.POSITIVE_INFINITY : parseDuration(f.duration);
    const end = nowMs + durationMs;
    this.#active.set(id, {
      run,
      faultIndex,
      group: f.target,
      index,
      revert: applied.revert,
      dueMs: end < this.#durationMs ? end : Number.POSITIVE_INFINITY,
    });
    this.#o.onEvent?.('fault.applied', `${name} → ${instance.id}: ${run.detail}`);
    return true;
  }

  async #revert(a: Active): Promise<RevertOutcome> {
    this.#active.delete(a.run.id);
    const outcome = await revertFault(this.#o.journal, a.run.id, a.revert);
    const f = this.#o.spec.faults[a.faultIndex] as FaultSpec;
    const group = this.#o.groups.get(a.group) as ExecutorGroup;
    // e.g. a killed owned process comes back when its fault ends (process.kill's `restart`)
    if (
      group.owned &&
      getDisruptor(f.disruptor)?.restartsOwnedOnEnd?.(this.#options(a.faultIndex)) === true
    ) {
      try {
        const { pid } = await group.restart(a.index);
        a.run.info = { ...(a.run.info ?? {}), restartedPid: pid };
      } catch (err) {
        this.#o.onEvent?.('target.restart-failed', `${a.run.instance}: ${(err as Error).message}`);
      }
    }
    if (outcome.ok) {
      a.run.endMs = this.#o.clock.epochMs();
      (this.#unavailable.get(a.group) as Set<number>).delete(a.index);
      this.#o.onEvent?.('fault.reverted', `${a.run.fault} on ${a.run.instance} reverted`);
    } else {
      a.run.error = `revert failed after ${outcome.attempts} attempts: ${outcome.error}`;
      this.#o.onEvent?.('revert.failed', `${a.run.fault} on ${a.run.instance}: ${a.run.error}`);
    }
    if (!this.#stopped && this.#delayed.length > 0) {
      const retry = this.#delayed.splice(0);
      for (const p of retry) await this.#applyStep(p, this.now());
    }
    return outcome;
  }

  async #whenFaults(nowMs: number, inputs: ConditionInputs): Promise<void> {
    const faults = this.#o.spec.faults;
    for (let i = 0; i < faults.length; i++) {
      const f = faults[i] as FaultSpec;
      if (f.when === undefined || this.#stopped) continue;
      const fired = this.#fired.get(i) ?? 0;
      if (fired >= (f.times ?? 1)) continue;
      const name = faultName(f, i);
      if ([...this.#active.values()].some((a) => a.run.fault === name)) continue;
      const state = evaluateCondition(f.when, inputs, this.#o.clock.epochMs());
      if (!state.holds) continue;
      const group = this.#o.groups.get(f.target) as ExecutorGroup;
      const picks = this.#pick(i, fired, wantedInstances(f, group.instances.length), null);
      if (picks.length === 0) continue; // no room: the condition is looked at again next tick
      this.#o.onEvent?.('fault.triggered', `${name}: ${state.reason}`);
      let any = false;
      for (const index of picks) any = (await this.#apply(i, fired, index, nowMs, state.reason)) || any;
      this.#fired.set(i, fired + 1);
      void any;
    }
  }
}
