/**
 * Opening a run, before any stage: the seed, the output directory, the journal and the run file `faultline halt`
 * and `recover` look for, and the run's own stop signal fed by the caller's signal and by a halt marker.
 * {@link closeRun} (stop.ts) undoes all of it.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { normalizeSeed, type SeedInput } from '../../core/random.js';
import { createFleetContext, type FleetContext } from '../../fleet/context.js';
import type { Clock } from '../../load/clock.js';
import { assertNotHalted, haltStatus, type RunRegistration, registerRun, stateDir } from '../halt.js';
import { connectionSettingsOf, hostsOf } from '../hosts.js';
import { openJournal } from '../journal.js';
import { type ExperimentPlan, planExperiment } from '../plan.js';
import type { RunExperimentOptions } from '../run-types.js';
import type { ExperimentSpec } from '../schema.js';
import { createRunContext, type RunContext, reasonOf } from './context.js';

/** An open run: what the stages share, and what closing it needs. */
export interface OpenRun {
  ctx: RunContext;
  seed: number;
  plan: ExperimentPlan;
  command: string;
  outDir: string;
  journalPath: string;
  /** Epoch ms the run started (result.json's `startedMs`). */
  startedMs: number;
  /** Monotonic ms the run started, for progress. */
  runStartMs: number;
  registration: RunRegistration;
  /** Stops looking at the halt marker (at the end of the method). */
  stopHaltWatch: () => void;
  /** Lets go of the caller's signal. */
  detach: () => void;
}

/** The option's seed, else the file's, else one drawn from `random` (a seed up to 2^47). */
export function chooseSeed(option: SeedInput | undefined, file: SeedInput | undefined, random: () => number) {
  if (option !== undefined) return normalizeSeed(option);
  return file !== undefined ? normalizeSeed(file) : Math.floor(random() * 2 ** 47);
}

/** A time as a directory name: `2025-03-03T01-02-03-456Z`. */
export function timestamp(d: Date): string {
  return d.toISOString().replace(/[:.]/g, '-');
}

/** Calls `onHalt` once a halt is in force (polled every `everyMs`); returns the function that stops watching. */
export function watchHalt(dir: string, clock: Clock, everyMs: number, onHalt: () => void): () => void {
  let timer: unknown;
  let stopped = false;
  const look = () => {
    if (stopped) return;
    if (haltStatus(dir) !== undefined) onHalt();
    else timer = clock.setTimeout(look, everyMs);
  };
  look();
  return () => {
    stopped = true;
    clock.clearTimeout(timer);
  };
}

/** Opens the run; throws (before writing anything) when a halt is in force. */
export function openRun(
  spec: ExperimentSpec,
  options: RunExperimentOptions,
  clock: Clock,
  random: () => number,
): OpenRun {
  const haltDir = options.stateDir ?? stateDir();
  assertNotHalted(haltDir);
  const seed = chooseSeed(options.seed, spec.seed, random);
  const startedMs = clock.epochMs();
  const outDir = resolve(options.outDir ?? join('faultline-results', timestamp(new Date(startedMs))));
  // whatever the umask: recover trusts a journal only in a directory nobody else can write to
  mkdirSync(outDir, { recursive: true, mode: 0o755 });
  const journalPath = join(outDir, 'journal.ndjson');
  const journal = openJournal(journalPath);
  const registration = registerRun({ title: spec.title, outDir }, haltDir);
  const command =
    options.command ?? `faultline run ${options.file ?? 'EXPERIMENT.yaml'} --seed ${seed} --out ${outDir}`;
  const plan = planExperiment(spec, seed);
  const stop = new AbortController(); // the run's own stop: any abort reason, and the end of the run
  const outer = options.signal;
  const onOuterAbort = () => stop.abort(reasonOf(outer as AbortSignal));
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  if (outer?.aborted) onOuterAbort();
  // `faultline halt` leaves a marker: looked at from the first target's start to the end of the method
  const stopHaltWatch = watchHalt(haltDir, clock, options.tickMs ?? 100, () =>
    stop.abort('halted by faultline halt'),
  );
  // one set of SSH connections for the whole run (nothing connects until a command runs); closed at its end
  const hosts = hostsOf(spec);
  const fleet: FleetContext | undefined =
    hosts.length === 0
      ? undefined
      : createFleetContext({ hosts, settings: connectionSettingsOf(spec), runId: registration.runId, seed });
  const ctx = createRunContext({
    clock,
    journal,
    stop: stop.signal,
    hurry: options.hurry,
    onEvent: options.onEvent,
    fleet,
  });
  journal.append({
    event: 'run.started',
    title: spec.title,
    seed,
    pid: process.pid,
    // recover checks these against the run file (halt.ts), so a journal put in this run's place is refused
    runId: registration.runId,
    ...(registration.startTime === undefined ? {} : { startTime: registration.startTime }),
    ...(options.file === undefined ? {} : { file: options.file }),
  });
  // where recover (and `recover --sweep`) reconnects to, even for a fault it finds no record of
  if (fleet) journal.append({ event: 'fleet', hosts: [...fleet.hosts.keys()].map((h) => fleet.ref(h)) });
  ctx.emit('run.started', `${spec.title} (seed ${seed})`);
  const detach = () => outer?.removeEventListener('abort', onOuterAbort);
  const runStartMs = clock.nowMs();
  return {
    ctx,
    seed,
    plan,
    command,
    outDir,
    journalPath,
    startedMs,
    runStartMs,
    registration,
    stopHaltWatch,
    detach,
  };
}
