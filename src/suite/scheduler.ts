/**
 * The suite runner's decisions, as a pure function of the runs' states: which waiting runs are skipped (and why)
 * and which start now. The runner (runner.ts) applies them and waits; nothing here reads a clock or a process.
 *
 * - A first repeat waits for every run of the entries it depends on; its `if:` is judged on their outcome: an
 *   entry passed when every repeat passed, failed when one failed or aborted, was skipped otherwise.
 * - A later repeat follows the one before it whatever its verdict (a skipped one skips it too).
 * - Ready runs start in the order the plan lists them (the order --dry-run prints), up to `parallel`, never two
 *   that use the same `exclusive` target.
 * - A stop (halt, signal) or `stop_on: first-failure` after a failure skips every run still waiting.
 */
import type { PlannedRun } from './plan.js';

export type EntryState = 'waiting' | 'running' | 'passed' | 'failed' | 'aborted' | 'skipped';

/** One run of the current start, as the scheduler sees it. */
export interface RunSlot {
  run: PlannedRun;
  state: EntryState;
  skipReason?: string;
}

export interface SchedulerConfig {
  parallel: number;
  exclusive: ReadonlySet<string>;
  /** Target names an entry's experiment uses. */
  targetsOf: (entry: string) => readonly string[];
  stopOn: 'first-failure' | 'never';
}

export interface Decision {
  skip: { run: string; reason: string }[];
  start: string[];
}

const FINISHED: ReadonlySet<EntryState> = new Set(['passed', 'failed', 'aborted', 'skipped']);
const isFailure = (s: EntryState) => s === 'failed' || s === 'aborted';

/** An entry's outcome over all its runs in this start, once they are all finished. */
function entryOutcome(slots: readonly RunSlot[], entry: string): 'passed' | 'failed' | 'aborted' | 'skipped' {
  const states = slots.filter((s) => s.run.entry === entry).map((s) => s.state);
  if (states.includes('failed')) return 'failed';
  if (states.includes('aborted')) return 'aborted';
  return states.every((s) => s === 'passed') ? 'passed' : 'skipped';
}

/** Why a run whose predecessors all finished may not run, or undefined when it may. */
function blockedBy(slot: RunSlot, slots: readonly RunSlot[]): string | undefined {
  const { run } = slot;
  const sameEntry =
    run.after.length === 1 && slots.find((s) => s.run.run === run.after[0])?.run.entry === run.entry;
  if (sameEntry) {
    const prev = slots.find((s) => s.run.run === run.after[0]);
    return prev?.state === 'skipped' ? `${prev.run.run} was skipped` : undefined;
  }
  if (run.if === 'always') return undefined;
  const deps = [...new Set(run.after.map((a) => slots.find((s) => s.run.run === a)?.run.entry ?? a))];
  const outcomes = deps.map((d) => [d, entryOutcome(slots, d)] as const);
  const said = (o: string) => (o === 'skipped' ? 'was skipped' : o);
  if (run.if === 'passed') {
    const bad = outcomes.find(([, o]) => o !== 'passed');
    return bad ? `${bad[0]} ${said(bad[1])}; if: passed` : undefined;
  }
  // if: failed — runs when one of them failed (or aborted)
  if (outcomes.some(([, o]) => o === 'failed' || o === 'aborted')) return undefined;
  const first = outcomes.find(([, o]) => o === 'skipped') ?? outcomes[0];
  return first ? `${first[0]} ${said(first[1])}; if: failed` : undefined;
}

/**
 * What to do now. `stopped` is why the suite stops (a halt, a signal), if it does. Skips are followed through
 * (a skipped run can make the runs after it skip), so one call settles every run that can be settled now.
 */
export function decide(slots: readonly RunSlot[], config: SchedulerConfig, stopped?: string): Decision {
  const work = slots.map((s) => ({ ...s }));
  const skip: Decision['skip'] = [];
  const skipSlot = (s: RunSlot, reason: string) => {
    s.state = 'skipped';
    s.skipReason = reason;
    skip.push({ run: s.run.run, reason });
  };
  const failure = work.find((s) => isFailure(s.state));
  const stopReason =
    stopped ??
    (config.stopOn === 'first-failure' && failure
      ? `stop_on: first-failure (${failure.run.run} ${failure.state})`
      : undefined);
  if (stopReason !== undefined) {
    for (const s of work) if (s.state === 'waiting') skipSlot(s, stopReason);
    return { skip, start: [] };
  }
  const done = (name: string) => FINISHED.has(work.find((s) => s.run.run === name)?.state ?? 'skipped');
  for (let changed = true; changed; ) {
    changed = false;
    for (const s of work) {
      if (s.state !== 'waiting' || !s.run.after.every(done)) continue;
      const reason = blockedBy(s, work);
      if (reason !== undefined) {
        skipSlot(s, reason);
        changed = true;
      }
    }
  }
  const start: string[] = [];
  const running = work.filter((s) => s.state === 'running');
  const held = new Set(
    running.flatMap((s) => config.targetsOf(s.run.entry).filter((t) => config.exclusive.has(t))),
  );
  let busy = running.length;
  for (const s of work) {
    if (busy >= config.parallel) break;
    if (s.state !== 'waiting' || !s.run.after.every(done)) continue;
    const mine = config.targetsOf(s.run.entry).filter((t) => config.exclusive.has(t));
    if (mine.some((t) => held.has(t))) continue;
    for (const t of mine) held.add(t);
    start.push(s.run.run);
    busy += 1;
  }
  return { skip, start };
}
