/**
 * The emergency stop. `faultline halt` drops a marker in a directory every runner on the machine knows
 * (FAULTLINE_STATE_DIR, default `<tmpdir>/faultline`); running experiments see it within a tick, stop injecting
 * and roll back (verdict `aborted`), and no new run starts until `faultline halt --clear` removes it. Running
 * experiments register there as `runs/<pid>.json`, so `halt` can say which ones it stopped and wait for them.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultlineError } from '../core/errors.js';
import { isSameProcess } from '../disruptors/proc.js';

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

/** A registered running experiment. */
export interface RunningExperiment {
  pid: number;
  title: string;
  outDir: string;
  startedAt: string;
}

/** Registers this process as running an experiment; returns the function that unregisters it. */
export function registerRun(run: Omit<RunningExperiment, 'pid' | 'startedAt'>, dir = stateDir()): () => void {
  const runs = join(dir, 'runs');
  mkdirSync(runs, { recursive: true });
  const file = join(runs, `${process.pid}.json`);
  const entry: RunningExperiment = { pid: process.pid, startedAt: new Date().toISOString(), ...run };
  writeFileSync(file, `${JSON.stringify(entry)}\n`);
  return () => rmSync(file, { force: true });
}

/** Experiments running on this machine (entries of dead processes are cleaned up). */
export function runningExperiments(dir = stateDir()): RunningExperiment[] {
  const runs = join(dir, 'runs');
  let files: string[];
  try {
    files = readdirSync(runs);
  } catch {
    return [];
  }
  const out: RunningExperiment[] = [];
  for (const f of files) {
    const path = join(runs, f);
    try {
      const r = JSON.parse(readFileSync(path, 'utf8')) as RunningExperiment;
      if (isSameProcess(r.pid)) out.push(r);
      else rmSync(path, { force: true });
    } catch {
      // a half-written entry: its writer is starting or gone; skip it this time
    }
  }
  return out;
}
