/**
 * Signalling a process by pid safely across processes: a pid recorded in a journal may have been reused by
 * the time `recover` runs, so records carry the process's start time (from /proc) and a signal is sent only
 * when the pid still belongs to the same process.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { InvalidOptionError } from '../core/errors.js';

/** Fields of /proc/<pid>/stat after the command name (which may contain spaces and parentheses). */
function statFields(pid: number | 'self'): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** What /proc/<pid>/stat says about a process. */
export interface ProcStat {
  pid: number;
  /** `R`, `S`, `T`, `Z`, … */
  state: string;
  ppid: number;
  /** Process group id. */
  pgrp: number;
  session: number;
  /** Clock ticks since boot. */
  startTime: number;
}

function toStat(pid: number, f: string[] | undefined): ProcStat | undefined {
  if (f === undefined || f.length < 20) return undefined;
  return {
    pid,
    state: f[0] as string,
    ppid: Number(f[1]),
    pgrp: Number(f[2]),
    session: Number(f[3]),
    startTime: Number(f[19]),
  };
}

/** One process's /proc/<pid>/stat, or undefined when there is no such process (or no /proc). */
export function readStat(pid: number): ProcStat | undefined {
  return toStat(pid, statFields(pid));
}

/** This process's own stat (its process group and session). */
export function selfStat(): ProcStat | undefined {
  return toStat(process.pid, statFields('self'));
}

/** True when /proc can be read (Linux). */
export function hasProc(): boolean {
  return statFields('self') !== undefined;
}

/** Every process /proc lists right now (one that exits while it is read is left out). */
export function listProcesses(): ProcStat[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: ProcStat[] = [];
  for (const name of names) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const pid = Number(name);
    const s = readStat(pid);
    if (s !== undefined) out.push(s);
  }
  return out;
}

/** True for a state that is not a live process (zombie, dead). */
export function isGone(state: string | undefined): boolean {
  return state === undefined || state === 'Z' || state === 'X';
}

/** The signals a process catches and ignores (from /proc/<pid>/status), as bit masks by signal number. */
export function signalDisposition(pid: number): { caught: bigint; ignored: bigint } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const mask = (name: string) => {
    const m = new RegExp(`^${name}:\\s*([0-9a-f]+)$`, 'm').exec(text);
    return m === null ? 0n : BigInt(`0x${m[1]}`);
  };
  return { caught: mask('SigCgt'), ignored: mask('SigIgn') };
}

/** One variable of the environment a process was started with, when readable (same user) and set. */
export function environValue(pid: number, name: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    return undefined;
  }
  const prefix = `${name}=`;
  for (const entry of text.split('\0')) if (entry.startsWith(prefix)) return entry.slice(prefix.length);
  return undefined;
}

/**
 * This boot's id: start times count clock ticks since boot, so a record from an earlier boot names processes
 * that are all gone, whatever pids and start times the new boot hands out.
 */
export function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The process state letter (`R`, `S`, `T`, `Z`, …), or undefined when there is no such process or no /proc. */
export function processState(pid: number): string | undefined {
  return statFields(pid)?.[0];
}

/** The process start time in clock ticks since boot, or undefined when unknown. */
export function processStartTime(pid: number): number | undefined {
  const v = statFields(pid)?.[19];
  return v === undefined ? undefined : Number(v);
}

/** True while `pid` names a live (not zombie) process that started at `startTime` (when given). */
export function isSameProcess(pid: number, startTime?: number): boolean {
  const state = processState(pid);
  if (state === undefined) {
    // no /proc (not Linux): fall back to whether the pid exists at all
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  if (state === 'Z' || state === 'X') return false;
  return startTime === undefined || processStartTime(pid) === startTime;
}

/** The instance's pid, or an error naming the field when the instance has none. */
export function requirePid(pid: number | undefined, instance: string): number {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 0) {
    throw new InvalidOptionError('instance.pid', `instance ${instance} has no process id`);
  }
  return pid;
}

/** Sends a signal to a pid (or a group, negative); false when there is no such process (any more). */
export function send(target: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(target, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/** Sends `signal`; a process that is already gone counts as done. */
export function signalIfAlive(pid: number, signal: NodeJS.Signals, startTime?: number): boolean {
  return isSameProcess(pid, startTime) && send(pid, signal);
}

/**
 * Polls `done` every `pollMs` until it holds or `timeoutMs` has passed; true when it held. Another process's
 * state (exited, stopped, running again) has no event this process can wait on, so it is read from /proc.
 */
export async function waitUntil(done: () => boolean, timeoutMs: number, pollMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (done()) return true;
    if (performance.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
