/**
 * The dry-run schedule: which instance gets which fault when, as a pure function of (spec, seed). The engine
 * executes this plan for `at:`/`every:` faults; `--dry-run` prints it. Nothing here reads a clock or touches a
 * process.
 *
 * Instance picks read `randomStream(seed).fork('experiment/fault/<name>')` at the occurrence's counter, so one
 * fault's picks never depend on another fault being added or removed. The blast radius is enforced here, in
 * time order: an occurrence that would take a group past `max_unavailable` gets only the room left, and the
 * excess is delayed until an instance comes back (or dropped, per the group's `excess`), and the plan says so.
 */
import { normalizeSeed, randomStream, type SeedInput } from '../core/random.js';
import { parseDuration } from '../load/parse.js';
import { disruptors } from '../plugins/disruptors/index.js';
import type { GroupPlan } from '../plugins/registry.js';
import { faultName, hostNamesOf, instanceCount } from './check.js';
import { hostsOf } from './hosts.js';
import type { ConditionSpec, ExperimentSpec, FaultSpec, TargetSpec } from './schema.js';
import { describeExcess, describeFull, type Excess, type Hold, UnavailableLedger } from './unavailable.js';
import { warmupBounds } from './warmup.js';

/** One line of the schedule. Times are milliseconds from the start of the method (after warm-up). */
export interface PlanStep {
  /** The fault's name (its `name`, else `<disruptor>#<index>`). */
  fault: string;
  disruptor: string;
  target: string;
  /** Which occurrence of the fault (0 for `at:`; 0, 1, 2… for `every:`). */
  occurrence: number;
  /**
   * `apply`: the instance gets the fault from `startMs` to `endMs`. `dropped`: the blast radius left no room.
   * `on-condition`: a `when:` fault; instances are picked (with the same seed and limits) when it fires.
   */
  status: 'apply' | 'dropped' | 'on-condition';
  /** The instance index in the target group; null when not picked (dropped, on-condition). */
  instance: number | null;
  /** The picked instance's host (targets on hosts). */
  host?: string;
  /**
   * A fault on the whole group (`host.partition`): the hosts it acts on, how it splits them and which it leaves
   * unavailable (those count against `max_unavailable`). `instance` is then null.
   */
  group?: GroupPlan & { hosts: string[] };
  /** When the file asked for it. */
  requestedMs: number | null;
  startMs: number | null;
  endMs: number | null;
  /** Why a step was delayed or dropped, or what a condition waits for. */
  note?: string;
}

/** The resolved schedule of an experiment. */
export interface ExperimentPlan {
  seed: number;
  /** The shortest warm-up (it lasts until the load settles, up to its maximum). */
  warmupMs: number;
  durationMs: number;
  /** Per target group: instances, the most that may be unavailable at once, and (on hosts) each one's host. */
  targets: Record<string, { instances: number; maxUnavailable: number; hosts?: string[] }>;
  /** Ordered by start time (conditions last), then by fault order. */
  steps: PlanStep[];
}

/** The most instances of `target` that may be unavailable at once. */
export function maxUnavailableOf(target: TargetSpec): number {
  const n = instanceCount(target);
  const m = target.max_unavailable;
  if (m === undefined) return n;
  if (typeof m === 'number') return Math.min(m, n);
  return Math.min(n, Math.floor((Number.parseFloat(m) / 100) * n));
}

/** How many instances one occurrence of `fault` asks for. */
export function wantedInstances(fault: FaultSpec, n: number): number {
  if (fault.percent !== undefined) return Math.min(n, Math.max(1, Math.floor((fault.percent / 100) * n)));
  return Math.min(n, fault.count ?? 1);
}

/** A seeded permutation of 0..n-1 for one occurrence: Fisher–Yates reading lane j at counter `occurrence`. */
export function seededOrder(
  stream: ReturnType<typeof randomStream>,
  occurrence: number,
  n: number,
): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let j = n - 1; j > 0; j--) {
    const r = stream.intAt(occurrence, 0, j, j);
    [order[j], order[r]] = [order[r] as number, order[j] as number];
  }
  return order;
}

/** `queue_depth above 100 for 2s`. */
export function describeCondition(c: ConditionSpec): string {
  const subject =
    c.monitor !== undefined ? `monitor ${c.monitor}` : `${c.kpi}${c.load ? ` of ${c.load}` : ''}`;
  const parts: string[] = [];
  if (c.down) parts.push('is down');
  if (c.above !== undefined) parts.push(`above ${c.above}`);
  if (c.below !== undefined) parts.push(`below ${c.below}`);
  const held = parseDuration(c.for) > 0 ? ` for ${c.for}` : '';
  return `${subject} ${parts.join(' and ')}${held}`;
}

/**
 * How one occurrence of a fault on a whole group splits its target's hosts, or undefined for a fault on single
 * instances. Pure: the same (spec, seed, fault, occurrence, options) gives the same split in the plan and the run.
 * @throws InvalidOptionError for options the split cannot be made from.
 */
export function groupSplit(
  spec: ExperimentSpec,
  faultIndex: number,
  occurrence: number,
  seed: number,
  options: unknown = spec.faults[faultIndex]?.with,
): (GroupPlan & { hosts: string[] }) | undefined {
  const f = spec.faults[faultIndex] as FaultSpec;
  const onGroup = disruptors.get(f.disruptor)?.onGroup;
  const target = spec.targets[f.target];
  if (onGroup === undefined || target === undefined) return undefined;
  const names = hostNamesOf(target);
  const fleet = hostsOf(spec);
  const split = onGroup(options as never, {
    targets: names.flatMap((n) => fleet.filter((h) => h.name === n)),
    fleet,
    seed,
    // the journal id the run gives the occurrence: seeded choices fork on it
    faultId: `${faultName(f, faultIndex)}.${occurrence}.${f.target}`,
    target: target as Record<string, unknown>,
  });
  return { ...split, hosts: names };
}

interface Request {
  faultIndex: number;
  occurrence: number;
  atMs: number;
  requestedMs: number;
  want: number;
  /** The target whose `max_unavailable` delayed it (another than its own when a host-wide fault was in the way). */
  by?: { target: string; max: number };
}

/** `delayed 4000 ms by max_unavailable 1` (`… of target proxy` when another target's limit held it back). */
function delayNote(req: Request, target: string, max: number): string {
  const by = req.by ?? { target, max };
  return `delayed ${req.atMs - req.requestedMs} ms by max_unavailable ${by.max}${by.target === target ? '' : ` of target ${by.target}`}`;
}

/** The schedule of `spec` under `seed`. Same (spec, seed) ⇒ same plan. The spec must have passed validation. */
export function planExperiment(spec: ExperimentSpec, seed: SeedInput): ExperimentPlan {
  const s = normalizeSeed(seed);
  const root = randomStream(s);
  const durationMs = parseDuration(spec.duration);
  const targets: ExperimentPlan['targets'] = {};
  for (const [name, t] of Object.entries(spec.targets)) {
    const hosts = hostNamesOf(t);
    targets[name] = {
      instances: instanceCount(t),
      maxUnavailable: maxUnavailableOf(t),
      ...(hosts.length === 0 ? {} : { hosts }),
    };
  }

  const steps: PlanStep[] = [];
  const queue: Request[] = [];
  spec.faults.forEach((f, faultIndex) => {
    const t = targets[f.target];
    if (!t) return;
    const want = wantedInstances(f, t.instances);
    if (f.when) {
      steps.push({
        fault: faultName(f, faultIndex),
        disruptor: f.disruptor,
        target: f.target,
        occurrence: 0,
        status: 'on-condition',
        instance: null,
        requestedMs: null,
        startMs: null,
        endMs: null,
        note: `${disruptors.get(f.disruptor)?.onGroup ? `all ${t.instances}` : `${want} of ${t.instances}`} when ${describeCondition(f.when)}${f.times ? `, at most ${f.times} times` : ''}`,
      });
      return;
    }
    const first = f.at === undefined ? 0 : parseDuration(f.at);
    const period = f.every === undefined ? 0 : parseDuration(f.every);
    const times = f.every === undefined ? 1 : (f.times ?? Number.POSITIVE_INFINITY);
    for (let k = 0; k < times; k++) {
      const atMs = first + k * period;
      if (atMs >= durationMs) break;
      queue.push({ faultIndex, occurrence: k, atMs, requestedMs: atMs, want });
    }
  });

  // Who is unavailable when, across targets: a host-wide fault on one target holds its hosts for all of them.
  const ledger = new UnavailableLedger(targets);
  const byTime = (a: Request, b: Request) =>
    a.atMs - b.atMs || a.faultIndex - b.faultIndex || a.occurrence - b.occurrence;

  while (queue.length > 0) {
    queue.sort(byTime);
    const req = queue.shift() as Request;
    const f = spec.faults[req.faultIndex] as FaultSpec;
    const name = faultName(f, req.faultIndex);
    const group = targets[f.target] as ExperimentPlan['targets'][string];
    const target = spec.targets[f.target] as TargetSpec;
    if (disruptors.get(f.disruptor)?.onGroup !== undefined) {
      const next = planGroupRequest(spec, req, s, ledger, durationMs, steps);
      if (next !== undefined) queue.push(next);
      continue;
    }
    const hostWide = disruptors.get(f.disruptor)?.hostWide === true;
    const order = seededOrder(root.fork(`experiment/fault/${name}`), req.occurrence, group.instances);
    const down = ledger.down(f.target, req.atMs);
    const candidates = order.filter((i) => !down.has(i));
    const room = ledger.room(f.target, req.atMs);
    const full = describeFull(ledger, f.target, group, req.atMs);
    const endMs = Math.min(
      durationMs,
      req.atMs + (f.duration === undefined ? durationMs : parseDuration(f.duration)),
    );
    const delayed = req.atMs > req.requestedMs;
    const base = { fault: name, disruptor: f.disruptor, target: f.target, occurrence: req.occurrence };
    let picked = 0;
    let blocked: Excess | undefined;
    for (const instance of candidates) {
      if (picked >= req.want) break;
      const host = group.hosts?.[instance];
      const hold: Hold = {
        fault: name,
        target: f.target,
        indices: [instance],
        ...(hostWide && host !== undefined ? { hosts: [host] } : {}),
        startMs: req.atMs,
        endMs,
      };
      const over = ledger.excess(hold, req.atMs);
      if (over !== undefined) {
        blocked ??= over;
        continue;
      }
      ledger.add(hold);
      picked++;
      const step: PlanStep = {
        ...base,
        status: 'apply',
        instance,
        ...(host === undefined ? {} : { host }),
        requestedMs: req.requestedMs,
        startMs: req.atMs,
        endMs,
      };
      if (delayed) step.note = delayNote(req, f.target, group.maxUnavailable);
      steps.push(step);
    }
    const excess = req.want - picked;
    if (excess === 0) continue;
    const why =
      room < req.want
        ? full
        : candidates.length < req.want
          ? `only ${candidates.length} of ${group.instances} instances available`
          : describeExcess(blocked as Excess, f.target, f.disruptor);
    const next = ledger.nextEnd(req.atMs);
    if (target.excess === 'delay' && Number.isFinite(next) && next < durationMs) {
      const by =
        room < req.want || blocked === undefined ? undefined : { target: blocked.target, max: blocked.max };
      queue.push({ ...req, atMs: next, want: excess, ...(by === undefined ? {} : { by }) });
      continue;
    }
    const reason = target.excess === 'delay' ? `${why}, and no room before the end` : why;
    for (let i = 0; i < excess; i++) steps.push(droppedStep(base, req, reason));
  }

  const rank = (st: PlanStep) =>
    st.status === 'on-condition' ? Number.POSITIVE_INFINITY : (st.startMs ?? st.requestedMs ?? 0);
  const faultOrder = new Map(spec.faults.map((f, i) => [faultName(f, i), i]));
  steps.sort(
    (a, b) =>
      rank(a) - rank(b) ||
      (faultOrder.get(a.fault) ?? 0) - (faultOrder.get(b.fault) ?? 0) ||
      a.occurrence - b.occurrence ||
      (a.instance ?? -1) - (b.instance ?? -1),
  );
  return {
    seed: s,
    warmupMs: warmupBounds(spec.warmup).minMs,
    durationMs,
    targets,
    steps,
  };
}

/** An occurrence that does not run, with why. */
function droppedStep(
  base: Pick<PlanStep, 'fault' | 'disruptor' | 'target' | 'occurrence'>,
  req: Request,
  note: string,
): PlanStep {
  return {
    ...base,
    status: 'dropped',
    instance: null,
    requestedMs: req.requestedMs,
    startMs: null,
    endMs: null,
    note,
  };
}

/**
 * One occurrence of a fault on a whole group: applied when the hosts it leaves unavailable fit in the room
 * `max_unavailable` leaves — on its own target and, for a host-wide fault, on every target with an instance on
 * those hosts — else delayed (to the next end of a fault) or dropped, per `excess`. Returns the request again
 * when it is delayed.
 */
function planGroupRequest(
  spec: ExperimentSpec,
  req: Request,
  seed: number,
  ledger: UnavailableLedger,
  durationMs: number,
  steps: PlanStep[],
): Request | undefined {
  const f = spec.faults[req.faultIndex] as FaultSpec;
  const target = spec.targets[f.target] as TargetSpec;
  const base = {
    fault: faultName(f, req.faultIndex),
    disruptor: f.disruptor,
    target: f.target,
    occurrence: req.occurrence,
  };
  const dropped = (note: string) => steps.push(droppedStep(base, req, note));
  let split: ReturnType<typeof groupSplit>;
  try {
    split = groupSplit(spec, req.faultIndex, req.occurrence, seed);
  } catch (err) {
    dropped((err as Error).message);
    return undefined;
  }
  if (split === undefined) return undefined;
  const endMs = Math.min(
    durationMs,
    req.atMs + (f.duration === undefined ? durationMs : parseDuration(f.duration)),
  );
  const hold = groupHold(f, base.fault, split, { startMs: req.atMs, endMs });
  const over = ledger.excess(hold, req.atMs);
  if (over === undefined) {
    ledger.add(hold);
    steps.push({
      ...base,
      status: 'apply',
      instance: null,
      requestedMs: req.requestedMs,
      startMs: req.atMs,
      endMs,
      group: split,
      ...(req.atMs > req.requestedMs ? { note: delayNote(req, f.target, maxUnavailableOf(target)) } : {}),
    });
    return undefined;
  }
  const why = describeExcess(over, f.target, f.disruptor);
  const next = ledger.nextEnd(req.atMs);
  if (target.excess === 'delay' && Number.isFinite(next) && next < durationMs)
    return { ...req, atMs: next, by: { target: over.target, max: over.max } };
  dropped(target.excess === 'delay' ? `${why}, and no room before the end` : why);
  return undefined;
}

/** What one occurrence of a fault on a whole group holds: the hosts its split leaves unavailable. */
export function groupHold(
  f: FaultSpec,
  fault: string,
  split: GroupPlan & { hosts: string[] },
  window: { startMs?: number; endMs?: number } = {},
): Hold {
  const indices = split.unavailable.map((h) => split.hosts.indexOf(h)).filter((i) => i >= 0);
  return {
    fault,
    target: f.target,
    indices,
    ...(disruptors.get(f.disruptor)?.hostWide === true ? { hosts: split.unavailable } : {}),
    ...window,
  };
}

/**
 * The most instances of each group unavailable at any moment under `plan` (for checks and reports): its own
 * faults' instances, and every instance on a host a host-wide fault on any target holds.
 */
export function peakUnavailable(plan: ExperimentPlan): Record<string, number> {
  const applied = plan.steps.filter((s) => s.status === 'apply' && s.startMs !== null);
  // the steps as the ledger's holds, each over its window
  const holds: Hold[] = applied.map((s) => {
    const hostWide = disruptors.get(s.disruptor)?.hostWide === true;
    const hosts = s.group === undefined ? (s.host === undefined ? [] : [s.host]) : s.group.unavailable;
    const own = plan.targets[s.target]?.hosts ?? [];
    return {
      fault: s.fault,
      target: s.target,
      indices:
        s.group === undefined
          ? [s.instance as number]
          : hosts.map((h) => own.indexOf(h)).filter((i) => i >= 0),
      ...(hostWide ? { hosts } : {}),
      startMs: s.startMs as number,
      endMs: s.endMs as number,
    };
  });
  const ledger = new UnavailableLedger(plan.targets);
  for (const h of holds) ledger.add(h);
  const peaks: Record<string, number> = {};
  for (const name of Object.keys(plan.targets))
    peaks[name] = Math.max(0, ...holds.map((h) => ledger.down(name, h.startMs).size));
  return peaks;
}
