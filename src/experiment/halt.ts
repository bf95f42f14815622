/**
 * The emergency stop. `faultline halt` drops a marker in a directory every runner on the machine knows
 * (FAULTLINE_STATE_DIR, default `<tmpdir>/faultline`); running experiments see it within a tick, stop injecting
 * and roll back (verdict `aborted`), and no new run starts until `faultline halt --clear` removes it. Running
 * experiments register there as `runs/<pid>.json` (with their process start time), so `halt` can say which ones
 * it stopped and wait for them. A runner killed with SIGKILL leaves its run file behind: a run file whose pid is
 * gone, or now belongs to a process with another start time, is stale — `halt` ignores it and `recover` removes it.
 */
import { randomUUID } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultlineError } from '../core/errors.js';
import { isSameProcess, processStartTime } from '../disruptors/proc.js';

/** The shared state directory. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.FAULTLINE_STATE_DIR || join(tmpdir(), 'faultline');
}

function haltFile(dir: string): string {
  return join(dir, 'halt');
}

/** What the halt marker says. */
export interface HaltInfo {
  at: string;
  pid: number;
  reason?: string;
}

/** The halt marker, when one is set. */
export function haltStatus(dir = stateDir()): HaltInfo | undefined {
  try {
    return JSON.parse(readFileSync(haltFile(dir), 'utf8')) as HaltInfo;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { at: 'unknown', pid: 0 }; // unreadable: still halted, better safe
  }
}

/** Sets the halt marker. */
export function setHalt(dir = stateDir(), reason?: string): HaltInfo {
  mkdirSync(dir, { recursive: true });
  const info: HaltInfo = { at: new Date().toISOString(), pid: process.pid, ...(reason ? { reason } : {}) };
  writeFileSync(haltFile(dir), `${JSON.stringify(info)}\n`);
  return info;
}

/** Removes the halt marker; true when one was set. */
export function clearHalt(dir = stateDir()): boolean {
  const was = existsSync(haltFile(dir));
  rmSync(haltFile(dir), { force: true });
  return was;
}

/** @throws FaultlineError (exit 3) when a halt is in force. */
export function assertNotHalted(dir = stateDir()): void {
  const h = haltStatus(dir);
  if (h !== undefined) {
    throw new FaultlineError(
      'FAULTLINE_HALTED',
      `experiments are halted (since ${h.at}${h.reason ? `: ${h.reason}` : ''}); run \`faultline halt --clear\` to allow them again`,
      { exitCode: 3 },
    );
  }
}

/**
 * A registered experiment, as its run file in `runs/<pid>.json` says. `startTime` (clock ticks since boot, field
 * 22 of /proc/<pid>/stat) tells the run from a later process that got the same pid; `runId` is also in the
 * journal's first record (`run.started`), so `recover` can tell the run's own journal from one put in its place.
 */
export interface RunningExperiment {
  pid: number;
  title: string;
  outDir: string;
  startedAt: string;
  /** Absent in run files of older versions and where there is no /proc. */
  startTime?: number;
  /** Absent in run files of older versions. */
  runId?: string;
}

/** What {@link registerRun} registered, and how to take it back. */
export interface RunRegistration {
  runId: string;
  pid: number;
  startTime?: number;
  /** The run file. */
  file: string;
  unregister(): void;
}

/**
 * What a registration is: an experiment's run (`runs/`) or a suite (`suites/`), which runs experiments as child
 * processes and is registered apart so that a suite is never mistaken for a run with a journal of its own.
 */
export type RegistrationKind = 'runs' | 'suites';

function runsDir(dir: string, kind: RegistrationKind = 'runs'): string {
  return join(dir, kind);
}

/** Registers this process as running an experiment (its run file); `unregister` removes it at the end of the run. */
export function registerRun(
  run: Omit<RunningExperiment, 'pid' | 'startedAt' | 'startTime' | 'runId'>,
  dir = stateDir(),
  kind: RegistrationKind = 'runs',
): RunRegistration {
  mkdirSync(runsDir(dir, kind), { recursive: true });
  const file = join(runsDir(dir, kind), `${process.pid}.json`);
  const startTime = processStartTime(process.pid);
  const runId = randomUUID();
  const entry: RunningExperiment = {
    pid: process.pid,
    ...(startTime === undefined ? {} : { startTime }),
    runId,
    startedAt: new Date().toISOString(),
    ...run,
  };
  // written aside and renamed: halt and recover never see half a run file (and replace a stale one of this pid)
  const tmp = `${file}.${runId}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(entry)}\n`);
  renameSync(tmp, file);
  return {
    runId,
    pid: entry.pid,
    ...(startTime === undefined ? {} : { startTime }),
    file,
    unregister: () => rmSync(file, { force: true }),
  };
}

/** A run file and whether its run is still going. */
export interface RunFile {
  /** The run file's path. */
  file: string;
  run: RunningExperiment;
  /** The uid that owns the run file. */
  uid: number;
  /**
   * Why the run file is stale (its runner died without removing it, e.g. after kill -9), or undefined while
   * the process it names is the run's own.
   */
  stale?: string;
}

/** A run file's content, or undefined when it is not one (the state directory may be shared: trust no field). */
function runFromJson(v: unknown): RunningExperiment | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (!Number.isInteger(o.pid) || (o.pid as number) <= 0 || typeof o.outDir !== 'string') return undefined;
  return {
    pid: o.pid as number,
    title: typeof o.title === 'string' ? o.title : '(untitled)',
    outDir: o.outDir,
    startedAt: typeof o.startedAt === 'string' ? o.startedAt : 'unknown',
    ...(typeof o.startTime === 'number' ? { startTime: o.startTime } : {}),
    ...(typeof o.runId === 'string' ? { runId: o.runId } : {}),
  };
}

/** Why a registered run is no longer running, or undefined while it is. */
function staleness(r: RunningExperiment): string | undefined {
  if (!isSameProcess(r.pid)) return `process ${r.pid} is gone`;
  // without a start time (older run files, no /proc) a live pid has to be taken as the run's own
  if (r.startTime !== undefined && !isSameProcess(r.pid, r.startTime))
    return `pid ${r.pid} now belongs to another process`;
  return undefined;
}

/**
 * Every run file in the state directory, live or stale. Nothing is removed here: a stale run file marks a
 * run that died without rolling back, which `faultline recover` deals with (and then removes the file).
 */
export function runFiles(dir = stateDir(), kind: RegistrationKind = 'runs'): RunFile[] {
  let names: string[];
  try {
    names = readdirSync(runsDir(dir, kind));
  } catch {
    return [];
  }
  const out: RunFile[] = [];
  for (const name of names.sort()) {
    if (!name.endsWith('.json')) continue;
    const file = join(runsDir(dir, kind), name);
    let run: RunningExperiment | undefined;
    let uid = -1;
    try {
      uid = statSync(file).uid;
      run = runFromJson(JSON.parse(readFileSync(file, 'utf8')));
    } catch {
      // a half-written entry: its writer is starting or gone; skip it this time
    }
    if (run === undefined) continue;
    const stale = staleness(run);
    out.push(stale === undefined ? { file, run, uid } : { file, run, uid, stale });
  }
  return out;
}

/** Experiments running on this machine: run files whose process is still the run's own. */
export function runningExperiments(dir = stateDir()): RunningExperiment[] {
  return runFiles(dir).flatMap((f) => (f.stale === undefined ? [f.run] : []));
}

/**
 * Removes a stale run file, unless it changed since it was read (a new run with the same pid registered) or is
 * not this user's: the state directory may be shared, and only the run's own user should drop its marker.
 */
export function removeStaleRunFile(f: RunFile): boolean {
  try {
    const st = lstatSync(f.file);
    const uid = typeof process.geteuid === 'function' ? process.geteuid() : undefined;
    if (!st.isFile() || (uid !== undefined && st.uid !== uid)) return false;
    const now = runFromJson(JSON.parse(readFileSync(f.file, 'utf8')));
    if (now === undefined) return false;
    if (now.pid !== f.run.pid || now.startTime !== f.run.startTime || now.runId !== f.run.runId) return false;
    if (staleness(now) === undefined) return false;
    rmSync(f.file, { force: true });
    return true;
  } catch {
    return false;
  }
}
