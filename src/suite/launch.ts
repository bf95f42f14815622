/**
 * The edge where suite runs become processes: each run is `faultline run EXPERIMENT --seed N --set …
 * --out DIR` in a child process of its own, so one crash cannot take the others down, and each writes its own
 * journal. The child's output goes to `DIR/output.log`.
 *
 * Children get a process group of their own (a Ctrl-C in the terminal reaches the suite, which passes exactly
 * one signal on) and an IPC channel: they report their phase over it, and roll back by themselves when it
 * closes — the suite that started them is gone (kill -9).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { faultlineCliArgv } from '../cli/self.js';
import { shellWord } from '../core/shell-word.js';
import type { PlannedRun } from './plan.js';
import type { EntryOutcome, LaunchEntry, LaunchedEntry } from './runner.js';

/** What the child of one entry runs. */
export interface EntryCommand {
  /** The experiment file (as the suite resolved it). */
  file: string;
  /** The entry's `set:` overrides. */
  set: Readonly<Record<string, unknown>>;
  /** The entry's `env:`. */
  env: Readonly<Record<string, string>>;
}

export interface ChildLauncherOptions {
  /** Node arguments that start the faultline CLI (default: this package's cli/bin). */
  cli?: readonly string[];
  entryOf: (entry: string) => EntryCommand;
  outDirOf: (run: PlannedRun, start: number) => string;
  /** Base environment of the children (default process.env). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Write each run's report.html (default true). */
  report?: boolean;
}

export interface ChildLauncher {
  launch: LaunchEntry;
  /** Sends `signal` to every child still running. */
  signalAll: (signal: NodeJS.Signals) => void;
}

/** An override's value as `--set path=value` text that `faultline run` reads back to the same value. */
export function setText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value); // lists and maps: JSON is YAML flow, which run --set reads
}

/** The `faultline run` arguments of one run. */
export function runArgs(cmd: EntryCommand, seed: number, outDir: string, report = true): string[] {
  return [
    'run',
    cmd.file,
    '--seed',
    String(seed),
    ...Object.entries(cmd.set).flatMap(([k, v]) => ['--set', `${k}=${setText(v)}`]),
    '--out',
    outDir,
    ...(report ? [] : ['--no-report']),
  ];
}

/** The run's state from how its child ended, and its verdict from the result.json it wrote, if it did. */
export function outcomeOf(outDir: string, code: number | null, signal: NodeJS.Signals | null): EntryOutcome {
  let verdict: string | undefined;
  let reason: string | undefined;
  try {
    const r = JSON.parse(readFileSync(join(outDir, 'result.json'), 'utf8')) as {
      verdict?: unknown;
      reason?: unknown;
    };
    if (typeof r.verdict === 'string') verdict = r.verdict;
    if (typeof r.reason === 'string') reason = r.reason;
  } catch {
    // no result: the run died before writing one; the exit says how
  }
  const state = code === 0 ? 'passed' : code === 3 ? 'aborted' : 'failed';
  if (reason === undefined && code !== 0) {
    if (signal !== null) reason = `faultline run was killed by ${signal}`;
    else if (verdict === undefined)
      reason = `faultline run exited with code ${code} before writing result.json (see output.log)`;
  }
  return {
    state,
    exitCode: code,
    ...(verdict === undefined ? {} : { verdict }),
    ...(reason === undefined ? {} : { reason }),
  };
}

export function childLauncher(o: ChildLauncherOptions): ChildLauncher {
  const cli = o.cli ?? faultlineCliArgv();
  const live = new Set<ChildProcess>();
  const launch: LaunchEntry = (run, start, onPhase): LaunchedEntry => {
    const cmd = o.entryOf(run.entry);
    const outDir = o.outDirOf(run, start);
    // whatever the umask: recover trusts a journal only in a directory nobody else can write to
    mkdirSync(outDir, { recursive: true, mode: 0o755 });
    const args = runArgs(cmd, run.seed, outDir, o.report !== false);
    const log = openSync(join(outDir, 'output.log'), 'a', 0o600);
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [...cli, ...args], {
        cwd: o.cwd,
        env: { ...(o.env ?? process.env), ...cmd.env },
        stdio: ['ignore', log, log, 'ipc'],
        detached: true,
      });
    } finally {
      closeSync(log);
    }
    live.add(child);
    child.on('message', (m: unknown) => {
      const phase = (m as { faultline?: string; phase?: unknown } | null)?.phase;
      if (typeof phase === 'string') onPhase(phase);
    });
    const done = new Promise<EntryOutcome>((resolve) => {
      child.on('error', (err) => {
        live.delete(child);
        resolve({ state: 'failed', exitCode: null, reason: `could not start faultline run: ${err.message}` });
      });
      child.on('exit', (code, signal) => {
        live.delete(child);
        resolve(outcomeOf(outDir, code, signal));
      });
    });
    return {
      ...(child.pid === undefined ? {} : { pid: child.pid }),
      command: ['faultline', ...args].map(shellWord).join(' '),
      done,
    };
  };
  return {
    launch,
    signalAll: (signal) => {
      for (const c of live) {
        try {
          c.kill(signal);
        } catch {
          // already gone
        }
      }
    },
  };
}
