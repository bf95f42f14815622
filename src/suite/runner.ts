/**
 * The suite runner's loop: for each start of the calendar --dry-run prints, wait until its time, then run its
 * runs as the scheduler decides (scheduler.ts), each through `launch`, until every run has finished or was
 * skipped. Time comes from an injected clock and runs from an injected launcher, so the calendar behaviour is
 * tested with a fake clock; the child processes are launch.ts's business.
 *
 * A stop (the signal: `faultline halt`, SIGINT/SIGTERM) skips what waits and lets what runs finish (it rolls
 * back on its own), and no later start begins. `stop_on: first-failure` ends the suite the same way.
 */
import { type Clock, sleepOn } from '../load/clock.js';
import type { SuiteDryRun } from './dry-run.js';
import type { PlannedRun } from './plan.js';
import { decide, type EntryState, type RunSlot, type SchedulerConfig } from './scheduler.js';

/** How a run ended. */
export interface EntryOutcome {
  state: 'passed' | 'failed' | 'aborted';
  /** The child's exit code; null when a signal ended it. */
  exitCode: number | null;
  /** The run's verdict from its result.json (pass, fail, aborted, not-ready), when it wrote one. */
  verdict?: string;
  reason?: string;
}

/** A run once launched. */
export interface LaunchedEntry {
  pid?: number;
  /** The command that runs it again on its own. */
  command?: string;
  done: Promise<EntryOutcome>;
}

/** Starts one run; `onPhase` hears the run's phase as it changes (optional for launchers). */
export type LaunchEntry = (
  run: PlannedRun,
  start: number,
  onPhase: (phase: string) => void,
) => LaunchedEntry | Promise<LaunchedEntry>;

/** One run of the suite as it stands. Times are epoch ms from the runner's clock. */
export interface SuiteRunRecord {
  /** The calendar start it belongs to, 1-based. */
  start: number;
  run: string;
  entry: string;
  seed: number;
  seedDrawn: boolean;
  state: EntryState;
  /** The phase of a running run (warmup, method, …), as it reports it. */
  phase?: string;
  skipReason?: string;
  startedMs?: number;
  endedMs?: number;
  pid?: number;
  command?: string;
  exitCode?: number | null;
  verdict?: string;
  reason?: string;
}

export interface ExecuteSuiteOptions {
  plan: SuiteDryRun;
  config: SchedulerConfig;
  clock: Clock;
  launch: LaunchEntry;
  /** Aborting stops the suite; its reason is the skip reason of what waits. */
  signal?: AbortSignal;
  /**
   * Called before every decision, so a stop another process ordered (a halt marker) is seen before the next run
   * starts, not only at the next poll: a run that rolled back because of a halt must not make room for another.
   */
  refreshStop?: () => void;
  /** Every change of a record (created waiting, started, phase, finished, skipped). */
  onChange?: (record: SuiteRunRecord, all: readonly SuiteRunRecord[]) => void;
}

export interface ExecutedSuite {
  records: SuiteRunRecord[];
  /** Why the suite stopped early: the signal's reason, or stop_on. */
  stopped?: string;
  /** Calendar starts begun. */
  startsBegun: number;
}

function reasonOf(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  return typeof r === 'string' ? r : r instanceof Error ? r.message : 'stopped';
}

/** Runs the suite's calendar. Resolves once every run begun has finished. */
export async function executeSuite(o: ExecuteSuiteOptions): Promise<ExecutedSuite> {
  const records: SuiteRunRecord[] = [];
  const changed = (r: SuiteRunRecord) => o.onChange?.(r, records);
  let stopped: string | undefined;
  let startsBegun = 0;
  for (const [i, atMs] of o.plan.startsMs.entries()) {
    await sleepOn(o.clock, atMs - o.clock.epochMs(), o.signal);
    if (o.signal?.aborted) {
      stopped = reasonOf(o.signal);
      break;
    }
    startsBegun += 1;
    const slots: (RunSlot & { record: SuiteRunRecord })[] = (o.plan.starts[i] ?? []).map((run) => {
      const record: SuiteRunRecord = {
        start: i + 1,
        run: run.run,
        entry: run.entry,
        seed: run.seed,
        seedDrawn: run.seedDrawn,
        state: 'waiting',
      };
      records.push(record);
      return { run, state: 'waiting', record };
    });
    for (const s of slots) changed(s.record);
    stopped = await runStart(o, i + 1, slots, changed);
    if (stopped !== undefined) break;
  }
  return { records, startsBegun, ...(stopped === undefined ? {} : { stopped }) };
}

/** Runs one start to its end; returns why the suite stops, if it does. */
async function runStart(
  o: ExecuteSuiteOptions,
  start: number,
  slots: (RunSlot & { record: SuiteRunRecord })[],
  changed: (r: SuiteRunRecord) => void,
): Promise<string | undefined> {
  let wake: () => void = () => {};
  const onAbort = () => wake();
  o.signal?.addEventListener('abort', onAbort);
  let stopReason: string | undefined;
  try {
    for (;;) {
      o.refreshStop?.();
      const stopped = o.signal?.aborted ? reasonOf(o.signal) : undefined;
      const d = decide(slots, o.config, stopped);
      for (const k of d.skip) {
        const s = slots.find((x) => x.run.run === k.run);
        if (!s) continue;
        s.state = 'skipped';
        s.skipReason = k.reason;
        s.record.state = 'skipped';
        s.record.skipReason = k.reason;
        changed(s.record);
        if (stopReason === undefined && (stopped !== undefined || k.reason.startsWith('stop_on')))
          stopReason = k.reason;
      }
      for (const name of d.start) {
        const s = slots.find((x) => x.run.run === name);
        if (s) launchOne(o, start, s, changed, () => wake());
      }
      if (stopped !== undefined) stopReason ??= stopped;
      if (!slots.some((s) => s.state === 'waiting' || s.state === 'running')) break;
      // a run ending, or the stop, wakes the loop; nothing else changes what the scheduler would decide
      await new Promise<void>((r) => {
        wake = r;
        if (o.signal?.aborted && stopped === undefined) r();
      });
    }
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
  return stopReason;
}

function launchOne(
  o: ExecuteSuiteOptions,
  start: number,
  s: RunSlot & { record: SuiteRunRecord },
  changed: (r: SuiteRunRecord) => void,
  wake: () => void,
): void {
  s.state = 'running';
  const record = s.record;
  record.state = 'running';
  record.startedMs = o.clock.epochMs();
  changed(record);
  const finish = (outcome: EntryOutcome) => {
    s.state = outcome.state;
    record.state = outcome.state;
    record.endedMs = o.clock.epochMs();
    record.exitCode = outcome.exitCode;
    delete record.phase;
    if (outcome.verdict !== undefined) record.verdict = outcome.verdict;
    if (outcome.reason !== undefined) record.reason = outcome.reason;
    changed(record);
    wake();
  };
  const onPhase = (phase: string) => {
    if (record.state !== 'running' || record.phase === phase) return;
    record.phase = phase;
    changed(record);
  };
  Promise.resolve()
    .then(() => o.launch(s.run, start, onPhase))
    .then((launched) => {
      if (launched.pid !== undefined) record.pid = launched.pid;
      if (launched.command !== undefined) record.command = launched.command;
      if (record.state === 'running') changed(record);
      return launched.done;
    })
    .then(finish, (err: unknown) =>
      finish({ state: 'failed', exitCode: null, reason: `could not run: ${(err as Error).message ?? err}` }),
    );
}
