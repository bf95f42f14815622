/**
 * Executes an experiment's faults on one timeline: the plan's `at:`/`every:` steps at their times, `when:` faults
 * when their condition holds, each revert when its fault's duration is up, and everything still applied at the
 * end (rollback) last in, first out. Every injection goes through the journal (the revert record is on disk
 * before the fault takes effect).
 *
 * Injections and reverts run concurrently: {@link FaultExecutor.tick} only starts them, so one that hangs until
 * its timeout (an `http` call nobody answers) delays neither the clock nor any other fault. A fault's window is
 * from the moment its injection took effect to the moment its revert did, and its `duration` is counted from
 * the first: a 500 ms pause is on for 500 ms however long the injection took to land.
 *
 * The blast radius is enforced here too, whatever the plan says: the plan already respects `max_unavailable`
 * for scheduled faults, but `when:` faults fire at moments no plan knows, so before any injection the executor
 * checks the group's live count and delays (or drops, per the group's `excess`) what does not fit. Time is
 * milliseconds from the start of the method on an injected clock; the engine calls {@link FaultExecutor.tick}.
 */
import { randomStream } from '../core/random.js';
import { applyFault, type RevertOutcome, revertFault } from '../disruptors/apply.js';
import type { AppliedFault, DisruptorInstance, Json, RevertRecord } from '../disruptors/types.js';
import type { FleetContext } from '../fleet/context.js';
import type { Clock, TimerHandle } from '../load/clock.js';
import { parseDuration } from '../load/parse.js';
import { type ConditionInputs, evaluateCondition } from '../monitors/condition.js';
import { getDisruptor } from '../plugins/disruptors/index.js';
import { faultName } from './check.js';
import type { Journal } from './journal.js';
import { type ExperimentPlan, groupHold, groupSplit, seededOrder, wantedInstances } from './plan.js';
import type { ExperimentSpec, FaultSpec } from './schema.js';
import { describeExcess, type Excess, type Hold, UnavailableLedger } from './unavailable.js';

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
  /** When it took effect (the injection returned); for a failed one, when the injection started. */
  startMs: number;
  /** When its revert took effect (or the injection failed); null while applied or when its revert failed. */
  endMs: number | null;
  /** When the injection was started (before `startMs` by however long it took to land). */
  injectStartMs?: number;
  /** When the revert was started (before `endMs` by however long it took). */
  revertStartMs?: number;
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
  /** The instance (-1 for a fault on the whole group). */
  index: number;
  /** What it counts as unavailable until its revert took effect (instances, and hosts when host-wide). */
  hold: Hold;
  revert: RevertRecord;
  /** Method ms when the revert is due; Infinity: at rollback. */
  dueMs: number;
  /** Method ms the plan expected it to end (scheduled faults only). */
  plannedEndMs?: number;
  timer?: TimerHandle;
  /** Set once the revert has started. */
  reverting?: Promise<RevertOutcome>;
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
  /** The run's hosts and SSH connections, for faults on hosts (and their reverts). */
  fleet?: FleetContext;
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
  /** Every fault instance, in the order they settled: took effect, failed, or were dropped. */
  readonly runs: FaultRun[] = [];
  readonly #o: ExecutorOptions;
  readonly #active = new Map<string, Active>();
  /** Who is unavailable, across targets (a host-wide fault holds its hosts for every target on them). */
  readonly #ledger: UnavailableLedger;
  #pending: Pending[];
  readonly #delayed: Pending[] = [];
  readonly #fired = new Map<number, number>();
  /** Injections in flight, per fault index: a `when:` fault does not fire again while one is landing. */
  readonly #applying = new Map<number, number>();
  /** Injections and reverts in flight. */
  readonly #inflight = new Set<Promise<void>>();
  /** Aborts injections in flight: the run's signal, or the end of injecting. */
  readonly #injections = new AbortController();
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
    this.#ledger = new UnavailableLedger(options.plan.targets);
    const signal = options.signal;
    if (signal?.aborted) this.#injections.abort(signal.reason);
    else signal?.addEventListener('abort', () => this.#injections.abort(signal.reason), { once: true });
  }

  /** Marks the start of the method (monotonic ms of the clock). */
  start(methodStartMs: number): void {
    this.#methodStart = methodStartMs;
  }

  /** Method ms now. */
  now(): number {
    return this.#o.clock.nowMs() - this.#methodStart;
  }

  /** Faults in effect right now (a fault whose revert is under way still is). */
  active(): FaultRun[] {
    return [...this.#active.values()].map((a) => a.run);
  }

  /** Method ms of the next scheduled apply (Infinity when none); reverts keep their own timers. */
  nextDueMs(): number {
    let next = Number.POSITIVE_INFINITY;
    for (const p of this.#pending) next = Math.min(next, p.atMs);
    return next;
  }

  /** Resolves once no injection or revert is in flight. */
  async settled(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.all([...this.#inflight]);
  }

  /**
   * No more injections (an abort, or the end of the method): pending steps are dropped and injections in flight
   * are aborted; what is applied stays until {@link rollback}.
   */
  stopInjecting(): void {
    this.#stopped = true;
    this.#pending = [];
    this.#delayed.length = 0;
    if (!this.#injections.signal.aborted) this.#injections.abort(new Error('injections stopped'));
  }

  /**
   * Starts what is due at method ms `nowMs` — scheduled applies, then `when:` faults whose condition holds over
   * `inputs` — without waiting for any of it. Reverts are not started here: each has a timer from the moment its
   * fault took effect.
   */
  tick(nowMs: number, inputs?: ConditionInputs): void {
    if (this.#stopped) return;
    const due = this.#pending.filter((p) => p.atMs <= nowMs);
    this.#pending = this.#pending.filter((p) => p.atMs > nowMs);
    for (const p of due)
      this.#onGroup(p.faultIndex) ? this.#applyGroupStep(p, true) : this.#applyStep(p, true);
    if (inputs !== undefined) this.#whenFaults(inputs);
  }

  /**
   * Stops injecting, waits for injections and reverts in flight (an injection that lands is then reverted
   * too), and reverts everything still applied, last applied first. Never rejects; outcomes say what failed.
   */
  async rollback(): Promise<RevertOutcome[]> {
    this.stopInjecting();
    for (const a of this.#active.values()) this.#o.clock.clearTimeout(a.timer);
    await this.settled();
    const all = [...this.#active.values()].reverse();
    const outcomes: RevertOutcome[] = [];
    for (const a of all) outcomes.push(await (a.reverting ?? this.#startRevert(a)));
    await this.settled();
    return outcomes;
  }

  /** Runs `work` in the background, tracked until it settles; a bug in it is reported, never unhandled. */
  #track(work: () => Promise<unknown>, what: string): void {
    const p: Promise<void> = work().then(
      () => undefined,
      (err: unknown) => {
        this.#o.onEvent?.('executor.error', `${what}: ${err instanceof Error ? err.message : String(err)}`);
      },
    );
    this.#inflight.add(p);
    void p.finally(() => this.#inflight.delete(p));
  }

  /** What picking instance `index` for the fault holds: the instance, and its host when the fault is host-wide. */
  #holdFor(faultIndex: number, index: number): Hold {
    const f = this.#o.spec.faults[faultIndex] as FaultSpec;
    const host = this.#o.plan.targets[f.target]?.hosts?.[index];
    return {
      fault: faultName(f, faultIndex),
      target: f.target,
      indices: [index],
      ...(getDisruptor(f.disruptor)?.hostWide === true && host !== undefined ? { hosts: [host] } : {}),
    };
  }

  /**
   * Instances to use for one occurrence: the planned one, else the seeded order among those not unavailable —
   * each only if it fits in every target's room (a host-wide fault takes its host from all of them). When fewer
   * than `want` fit, `why` says what is full.
   */
  #pick(
    faultIndex: number,
    occurrence: number,
    want: number,
    preferred: number | null,
  ): { picks: number[]; why: string } {
    const f = this.#o.spec.faults[faultIndex] as FaultSpec;
    const group = this.#o.groups.get(f.target) as ExecutorGroup;
    const down = this.#ledger.down(f.target);
    const room = this.#ledger.room(f.target);
    const order = seededOrder(
      randomStream(this.#o.plan.seed).fork(`experiment/fault/${faultName(f, faultIndex)}`),
      occurrence,
      group.instances.length,
    );
    const candidates =
      preferred !== null && !down.has(preferred) ? [preferred] : order.filter((i) => !down.has(i));
    const picks: number[] = [];
    const tentative: Hold[] = [];
    let blocked: Excess | undefined;
    for (const i of candidates) {
      if (picks.length >= want) break;
      const hold = this.#holdFor(faultIndex, i);
      const over = this.#ledger.excess(hold);
      if (over !== undefined) {
        blocked ??= over;
        continue;
      }
      tentative.push(this.#ledger.add(hold));
      picks.push(i);
    }
    // reserved only for the count: #apply holds each pick for real
    for (const h of tentative) this.#ledger.remove(h);
    if (picks.length >= want) return { picks, why: '' };
    return { picks, why: this.#fullReason(f, room < want ? undefined : blocked) };
  }

  /**
   * Why no instance fits: `max_unavailable 1 of svc reached (n1 by cut on etcd)`, the other target a host-wide
   * fault would overfill, or every instance already unavailable.
   */
  #fullReason(f: FaultSpec, blocked: Excess | undefined): string {
    if (blocked !== undefined && blocked.target !== f.target)
      return describeExcess(blocked, f.target, f.disruptor);
    const elsewhere = this.#ledger.heldFromElsewhere(f.target);
    const by = elsewhere.length ? ` (${elsewhere.join(', ')})` : '';
    const t = this.#o.plan.targets[f.target];
    if (blocked === undefined && this.#ledger.room(f.target) > 0)
      return `no instance of ${f.target} available${by}`;
    return `max_unavailable ${t?.maxUnavailable ?? 0} of ${f.target} reached${by}`;
  }

  /**
   * Whether room on `groupName` is only missing because a scheduled fault there is outliving its plan (its
   * duration counts from when it took effect, or its revert is still under way): the plan had room, so the
   * step waits for it rather than being dropped.
   */
  #overrunning(groupName: string): boolean {
    const now = this.now();
    return [...this.#active.values()].some(
      (a) =>
        this.#ledger.touches(a.hold, groupName) &&
        (a.reverting !== undefined || (a.plannedEndMs !== undefined && a.plannedEndMs <= now)),
    );
  }

  #applyStep(p: Pending, planned: boolean): void {
    const f = this.#o.spec.faults[p.faultIndex] as FaultSpec;
    const { picks, why } = this.#pick(p.faultIndex, p.occurrence, 1, p.instance);
    const [index] = picks;
    if (index === undefined) {
      this.#noRoom(p, planned, why);
      return;
    }
    const plannedEndMs = planned && f.duration !== undefined ? p.atMs + parseDuration(f.duration) : undefined;
    this.#apply(p.faultIndex, p.occurrence, index, { plannedEndMs });
  }

  /** No room for the step (`reason` says where): dropped (per the group's `excess`) or delayed until room frees. */
  #noRoom(p: Pending, planned: boolean, reason: string): void {
    const f = this.#o.spec.faults[p.faultIndex] as FaultSpec;
    const target = this.#o.spec.targets[f.target];
    if (target?.excess === 'drop' && !(planned && this.#overrunning(f.target))) {
      this.#drop(p, reason);
    } else {
      this.#delayed.push(p);
      this.#o.onEvent?.('fault.delayed', `${faultName(f, p.faultIndex)} delayed: ${reason}`);
    }
  }

  /** Whether the fault acts on its whole group at once (a partition). */
  #onGroup(faultIndex: number): boolean {
    const f = this.#o.spec.faults[faultIndex] as FaultSpec;
    return getDisruptor(f.disruptor)?.onGroup !== undefined;
  }

  /**
   * How the occurrence splits the group, and the instances it would leave unavailable; a reason instead when
   * they do not fit in the room left, or an error when the split cannot be made (options bad at run time).
   */
  #groupPick(
    faultIndex: number,
    occurrence: number,
  ): { hold: Hold; split: string } | { error: string } | string {
    const f = this.#o.spec.faults[faultIndex] as FaultSpec;
    let split: ReturnType<typeof groupSplit>;
    try {
      split = groupSplit(this.#o.spec, faultIndex, occurrence, this.#o.plan.seed, this.#options(faultIndex));
    } catch (err) {
      return { error: (err as Error).message };
    }
    if (split === undefined) return { error: `${f.disruptor} does not act on a group` };
    const hold = groupHold(f, faultName(f, faultIndex), split);
    const over = this.#ledger.excess(hold);
    if (over !== undefined) return describeExcess(over, f.target, f.disruptor);
    return { hold, split: split.describe };
  }

  #applyGroupStep(p: Pending, planned: boolean): void {
    const f = this.#o.spec.faults[p.faultIndex] as FaultSpec;
    const pick = this.#groupPick(p.faultIndex, p.occurrence);
    if (typeof pick === 'string') {
      this.#noRoom(p, planned, pick);
      return;
    }
    if ('error' in pick) {
      this.#drop(p, pick.error);
      return;
    }
    const plannedEndMs = planned && f.duration !== undefined ? p.atMs + parseDuration(f.duration) : undefined;
    this.#apply(p.faultIndex, p.occurrence, pick, { plannedEndMs });
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

  /**
   * Reserves the instance (or, for a fault on the whole group, the instances it leaves unavailable) at once —
   * the blast radius counts them from now — and injects in the background.
   */
  #apply(
    faultIndex: number,
    occurrence: number,
    pick: number | { hold: Hold; split: string },
    extra: { trigger?: string; plannedEndMs?: number | undefined } = {},
  ): void {
    const f = this.#o.spec.faults[faultIndex] as FaultSpec;
    const name = faultName(f, faultIndex);
    const group = this.#o.groups.get(f.target) as ExecutorGroup;
    const index = typeof pick === 'number' ? pick : -1;
    const hold = typeof pick === 'number' ? this.#holdFor(faultIndex, pick) : pick.hold;
    const instance: DisruptorInstance =
      typeof pick === 'number'
        ? group.disruptorInstance(pick)
        : { id: f.target, members: group.instances.map((_, i) => group.disruptorInstance(i)) };
    const disruptor = getDisruptor(f.disruptor);
    const options = this.#options(faultIndex);
    const id = `${name}.${occurrence}.${instance.id}`;
    const injectStartMs = this.#o.clock.epochMs();
    const run: FaultRun = {
      id,
      fault: name,
      disruptor: f.disruptor,
      target: f.target,
      occurrence,
      instance: instance.id,
      status: 'applied',
      startMs: injectStartMs,
      endMs: null,
      detail: `${describeFault(f, options)}${typeof pick === 'number' ? '' : ` (${pick.split})`}`,
      injectStartMs,
      ...(extra.trigger === undefined ? {} : { trigger: extra.trigger }),
    };
    if (disruptor === undefined) {
      run.status = 'failed';
      run.endMs = run.startMs;
      run.error = `no runtime for disruptor ${f.disruptor}`;
      this.runs.push(run);
      this.#o.onEvent?.('fault.failed', `${name} on ${instance.id}: ${run.error}`);
      return;
    }
    this.#ledger.add(hold);
    this.#applying.set(faultIndex, (this.#applying.get(faultIndex) ?? 0) + 1);
    this.#track(async () => {
      let applied: AppliedFault;
      try {
        applied = await applyFault(
          this.#o.journal,
          disruptor,
          instance,
          options,
          {
            faultId: id,
            ...(group.owned && index >= 0 ? { restart: () => group.restart(index) } : {}),
            signal: this.#injections.signal,
            ...(this.#o.fleet === undefined ? {} : { fleet: this.#o.fleet }),
          },
          { fault: name },
        );
      } catch (err) {
        this.#ledger.remove(hold);
        run.status = 'failed';
        run.endMs = this.#o.clock.epochMs();
        run.error = (err as Error).message;
        this.runs.push(run);
        this.#o.onEvent?.('fault.failed', `${name} on ${instance.id} failed: ${run.error}`);
        this.#retryDelayed();
        return;
      } finally {
        this.#applying.set(faultIndex, (this.#applying.get(faultIndex) ?? 1) - 1);
      }
      // it took effect now: its window and its duration start here
      run.startMs = this.#o.clock.epochMs();
      if (applied.detail !== undefined) run.info = applied.detail;
      this.runs.push(run);
      const durationMs = f.duration === undefined ? Number.POSITIVE_INFINITY : parseDuration(f.duration);
      const end = this.now() + durationMs;
      const a: Active = {
        run,
        faultIndex,
        group: f.target,
        index,
        hold,
        revert: applied.revert,
        dueMs: end < this.#durationMs ? end : Number.POSITIVE_INFINITY,
        ...(extra.plannedEndMs === undefined ? {} : { plannedEndMs: extra.plannedEndMs }),
      };
      this.#active.set(id, a);
      this.#o.onEvent?.('fault.applied', `${name} → ${instance.id}: ${run.detail}`);
      // a fault that lands after injecting stopped is left for rollback (which waits for this very task)
      if (Number.isFinite(a.dueMs) && !this.#stopped) {
        a.timer = this.#o.clock.setTimeout(
          () => {
            if (a.reverting === undefined && this.#active.get(id) === a) void this.#startRevert(a);
          },
          Math.max(0, a.dueMs - this.now()),
        );
      }
    }, `${name} on ${instance.id}`);
  }

  /** Starts reverting `a` in the background; the promise is also kept on `a` so rollback can wait for it. */
  #startRevert(a: Active): Promise<RevertOutcome> {
    this.#o.clock.clearTimeout(a.timer);
    let resolve!: (o: RevertOutcome) => void;
    a.reverting = new Promise<RevertOutcome>((r) => {
      resolve = r;
    });
    this.#track(async () => resolve(await this.#revert(a)), `reverting ${a.run.fault} on ${a.run.instance}`);
    return a.reverting;
  }

  async #revert(a: Active): Promise<RevertOutcome> {
    a.run.revertStartMs = this.#o.clock.epochMs();
    let outcome: RevertOutcome;
    try {
      outcome = await revertFault(this.#o.journal, a.run.id, a.revert, undefined, {
        connections: this.#o.fleet?.connections,
      });
    } finally {
      this.#active.delete(a.run.id);
    }
    // said in the order it happened: the revert took effect, then the owned process was started again
    if (outcome.ok) {
      // the window ends when the revert took effect; a restart after it is the system coming back, not the fault
      a.run.endMs = this.#o.clock.epochMs();
      this.#o.onEvent?.('fault.reverted', `${a.run.fault} on ${a.run.instance} reverted`);
    } else {
      a.run.error = `revert failed after ${outcome.attempts} attempts: ${outcome.error}`;
      this.#o.onEvent?.('revert.failed', `${a.run.fault} on ${a.run.instance}: ${a.run.error}`);
    }
    const f = this.#o.spec.faults[a.faultIndex] as FaultSpec;
    const group = this.#o.groups.get(a.group) as ExecutorGroup;
    // e.g. a killed owned process comes back when its fault ends (process.kill's `restart`)
    if (
      group.owned &&
      a.index >= 0 &&
      getDisruptor(f.disruptor)?.restartsOwnedOnEnd?.(this.#options(a.faultIndex)) === true
    ) {
      try {
        const { pid } = await group.restart(a.index);
        a.run.info = { ...(a.run.info ?? {}), restartedPid: pid };
      } catch (err) {
        this.#o.onEvent?.(
          'target.restart-failed',
          `${a.run.instance} did not come back: ${(err as Error).message}`,
        );
      }
    }
    // the instance counts as unavailable until it is back (or given up on): no other fault picks it meanwhile
    if (outcome.ok) this.#ledger.remove(a.hold);
    this.#retryDelayed();
    return outcome;
  }

  /** Room may have come back: delayed steps try again. */
  #retryDelayed(): void {
    if (this.#stopped || this.#delayed.length === 0) return;
    for (const p of this.#delayed.splice(0))
      this.#onGroup(p.faultIndex) ? this.#applyGroupStep(p, false) : this.#applyStep(p, false);
  }

  #whenFaults(inputs: ConditionInputs): void {
    const faults = this.#o.spec.faults;
    for (let i = 0; i < faults.length; i++) {
      const f = faults[i] as FaultSpec;
      if (f.when === undefined || this.#stopped) continue;
      const fired = this.#fired.get(i) ?? 0;
      if (fired >= (f.times ?? 1)) continue;
      const name = faultName(f, i);
      if ((this.#applying.get(i) ?? 0) > 0) continue;
      if ([...this.#active.values()].some((a) => a.run.fault === name)) continue;
      const state = evaluateCondition(f.when, inputs, this.#o.clock.epochMs());
      if (!state.holds) continue;
      const group = this.#o.groups.get(f.target) as ExecutorGroup;
      const picks: Array<number | { hold: Hold; split: string }> = [];
      if (this.#onGroup(i)) {
        const pick = this.#groupPick(i, fired);
        if (typeof pick !== 'string' && !('error' in pick)) picks.push(pick);
      } else picks.push(...this.#pick(i, fired, wantedInstances(f, group.instances.length), null).picks);
      if (picks.length === 0) continue; // no room: the condition is looked at again next tick
      this.#o.onEvent?.('fault.triggered', `${name}: ${state.reason}`);
      this.#fired.set(i, fired + 1);
      for (const pick of picks) this.#apply(i, fired, pick, { trigger: state.reason });
    }
  }
}
