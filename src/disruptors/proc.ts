/**
 * Signalling a process by pid safely across processes: a pid recorded in a journal may have been reused by
 * the time `recover` runs, so records carry the process's start time (from /proc) and a signal is sent only
 * when the pid still belongs to the same process.
 */
import { readFileSync } from 'node:fs';
import { InvalidOptionError } from '../core/errors.js';

/** Fields of /proc/<pid>/stat after the command name (which may contain spaces and parentheses). */
function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
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

/** Sends `signal`; a process that is already gone counts as done. */
export function signalIfAlive(pid: number, signal: NodeJS.Signals, startTime?: number): boolean {
  if (!isSameProcess(pid, startTime)) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
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
