/**
 * The run order of one suite start, as a pure function: which entry starts when, in which slot, after which,
 * with which seed. It simulates the suite on estimated durations (each entry's warm-up plus method), assuming each
 * run ends when its estimate says and that every `if:` condition lets its entry run — the dry run says so.
 *
 * Random choices come from the stream it is given: the order among entries ready at the same moment (so a suite
 * does not always favour the first-written entry) and the seed of a run whose experiment sets none.
 */
import type { RandomStream } from '../core/random.js';

/** One entry as the planner needs it. */
export interface PlanEntry {
  name: string;
  dependsOn: string[];
  if: 'passed' | 'failed' | 'always';
  repeat: number;
  /** Target names its experiment uses (for `exclusive`). */
  targets: string[];
  /** Estimated length of one run. */
  durationMs: number;
  /** The experiment's own seed (from the file or `set: seed`), if any. */
  seed?: number;
}

export interface PlanInput {
  entries: PlanEntry[];
  parallel: number;
  exclusive: string[];
}

/** One run in the plan. */
export interface PlannedRun {
  /** `name`, or `name#k` for repeat k of several. */
  run: string;
  entry: string;
  startMs: number;
  endMs: number;
  /** 1-based slot among `parallel`. */
  slot: number;
  seed: number;
  /** Whether the seed was drawn from the suite's seed (the experiment sets none). */
  seedDrawn: boolean;
  /** Runs this one waited for (dependencies, or the previous repeat). */
  after: string[];
  if: PlanEntry['if'];
}

/** Largest drawn seed: seeds stay exact in a double and short enough to type. */
const SEED_RANGE = 2 ** 47;

interface Pending {
  run: string;
  entry: PlanEntry;
  after: string[];
}

function instances(entries: PlanEntry[]): Pending[] {
  const out: Pending[] = [];
  const lastRun = (e: PlanEntry) => (e.repeat > 1 ? `${e.name}#${e.repeat}` : e.name);
  const byName = new Map(entries.map((e) => [e.name, e]));
  for (const e of entries) {
    for (let k = 1; k <= e.repeat; k++) {
      const run = e.repeat > 1 ? `${e.name}#${k}` : e.name;
      // dependencies gate the first repeat; each later repeat follows the one before it
      const after =
        k === 1
          ? e.dependsOn.flatMap((d) => {
              const dep = byName.get(d);
              return dep ? [lastRun(dep)] : [];
            })
          : [`${e.name}#${k - 1}`];
      out.push({ run, entry: e, after });
    }
  }
  return out;
}

/** Plans one start of the suite. Dependencies must be acyclic and known (validation sees to it). */
export function planSuiteRuns(input: PlanInput, rng: RandomStream): PlannedRun[] {
  const order = rng.fork('order');
  const seeds = rng.fork('seeds');
  const exclusive = new Set(input.exclusive);
  const pending = instances(input.entries);
  const done = new Map<string, number>(); // run -> end
  const running: PlannedRun[] = [];
  const planned: PlannedRun[] = [];
  let now = 0;
  let draw = 0;
  while (pending.length > 0) {
    // finish what ends by now, freeing slots and targets
    for (const r of running.filter((x) => x.endMs <= now)) {
      done.set(r.run, r.endMs);
      running.splice(running.indexOf(r), 1);
    }
    const ready = pending.filter((p) => p.after.every((a) => done.has(a)));
    // seeded shuffle (Fisher–Yates): ties among ready entries are broken by the seed, not by file order
    for (let i = ready.length - 1; i > 0; i--) {
      const j = Math.floor(order.at(draw++) * (i + 1));
      [ready[i], ready[j]] = [ready[j] as Pending, ready[i] as Pending];
    }
    for (const p of ready) {
      if (running.length >= input.parallel) break;
      const held = new Set(running.flatMap((r) => exclusiveOf(input, r.entry, exclusive)));
      if (p.entry.targets.some((t) => exclusive.has(t) && held.has(t))) continue;
      const slot = firstFreeSlot(running, input.parallel);
      const drawn = p.entry.seed === undefined;
      const seed = p.entry.seed ?? Math.floor(seeds.fork(p.run).at(0) * SEED_RANGE);
      const r: PlannedRun = {
        run: p.run,
        entry: p.entry.name,
        startMs: now,
        endMs: now + p.entry.durationMs,
        slot,
        seed,
        seedDrawn: drawn,
        after: p.after,
        if: p.entry.if,
      };
      running.push(r);
      planned.push(r);
      pending.splice(pending.indexOf(p), 1);
    }
    if (running.length === 0) {
      if (pending.length > 0) throw new Error(`cannot order ${pending.map((p) => p.run).join(', ')}`);
      break;
    }
    now = Math.min(...running.map((r) => r.endMs));
  }
  return planned;
}

function exclusiveOf(input: PlanInput, entry: string, exclusive: Set<string>): string[] {
  return (input.entries.find((e) => e.name === entry)?.targets ?? []).filter((t) => exclusive.has(t));
}

function firstFreeSlot(running: PlannedRun[], parallel: number): number {
  for (let s = 1; s <= parallel; s++) if (!running.some((r) => r.slot === s)) return s;
  return parallel;
}

/**
 * A cycle among `depends_on`, as the names around it (`a → b → a`), or undefined. Unknown names are skipped:
 * they are reported on their own.
 */
export function findCycle(
  entries: ReadonlyArray<{ name: string; dependsOn: string[] }>,
): string[] | undefined {
  const deps = new Map(entries.map((e) => [e.name, e.dependsOn]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 'done') return undefined;
    if (state.get(n) === 'visiting') return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 'visiting');
    stack.push(n);
    for (const d of deps.get(n) ?? []) {
      if (!deps.has(d)) continue;
      const c = visit(d);
      if (c) return c;
    }
    stack.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const e of entries) {
    const c = visit(e.name);
    if (c) return c;
  }
  return undefined;
}
