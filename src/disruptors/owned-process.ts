/**
 * Stopping a process faultline started (an owned target instance). The engine stops its instances itself at the
 * end of a run; this is the same stop written as a revert record, journaled when the instance starts, so
 * `faultline recover` can stop what a killed runner left running. Owned instances run in a process group of
 * their own, so the stop reaches whatever the command spawned — also when the leader (a wrapper such as
 * `sh -c` or `npm start`) has already exited and left the server it spawned running — and a paused instance is
 * continued first (a stopped process does not act on SIGTERM until it runs again).
 *
 * A process is only signalled with proof it is the one started: its start time, or (for a group whose leader is
 * gone) membership in the recorded group with the instance's `FAULTLINE_INSTANCE`. A record without a start
 * time proves nothing, so `recover` never signals it.
 */
import { hasProc, isSameProcess, processStartTime, waitUntil } from './proc.js';
import { verifiedGroup } from './process-scope.js';
import type { RevertRecord } from './types.js';

/** The `owned.stop` record for instance `instance` started as `pid` (a process group leader when `group`). */
export function ownedStopRecord(
  pid: number,
  options: { signal: NodeJS.Signals; timeoutMs: number; group: boolean; instance?: string },
): RevertRecord {
  const startTime = processStartTime(pid);
  return {
    type: 'owned.stop',
    pid,
    startTime: startTime ?? null,
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    group: options.group,
    ...(options.instance === undefined ? {} : { instance: options.instance }),
  };
}

// a process we did not spawn (recover) has no exit event to wait on; its /proc entry is polled
const EXIT_POLL_MS = 20;
// after SIGKILL the kernel tears a process down promptly; this only bounds a wait that should be short
const KILL_WAIT_MS = 5000;

function send(pid: number, signal: NodeJS.Signals, group: boolean): void {
  try {
    process.kill(group ? -pid : pid, signal);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return;
    // the group may be gone while the leader lingers as a zombie: signal the process itself
    if (group && code === 'EPERM') send(pid, signal, false);
    else throw err;
  }
}

/** Options of {@link stopOwnedProcess}. */
export interface StopOwnedOptions {
  signal: NodeJS.Signals;
  timeoutMs: number;
  /** Signal the process group `pid` leads. */
  group: boolean;
  /** The leader's start time; without it (and without an exit event) nothing is signalled. */
  startTime?: number | undefined;
  /** The instance id its processes carry as `FAULTLINE_INSTANCE`, proof of a group whose leader is gone. */
  instance?: string | undefined;
}

/**
 * Continues, then signals `pid` (its group when `group`), waits up to `timeoutMs` for the leader and every
 * group member to exit, then SIGKILLs what is left. `exited` is the leader's exit event when the caller spawned
 * it. Resolves true when anything was running.
 */
export async function stopOwnedProcess(
  pid: number,
  options: StopOwnedOptions,
  exited?: Promise<unknown>,
): Promise<boolean> {
  const { startTime } = options;
  // without a start time only the caller's own child (its exit event) is proof the pid is still ours
  const leaderKnown = startTime !== undefined || exited !== undefined;
  const leaderAlive = () => leaderKnown && isSameProcess(pid, startTime);
  const useGroup = options.group && hasProc();
  const members = () =>
    useGroup && startTime !== undefined
      ? verifiedGroup(pid, { leaderStart: startTime, instance: options.instance })
      : [];
  if (!leaderAlive() && members().length === 0) return false;
  send(pid, 'SIGCONT', options.group);
  send(pid, options.signal, options.group);
  const allGone = () => !leaderAlive() && members().length === 0;
  let gone: boolean;
  if (exited !== undefined && !useGroup) {
    let timer: NodeJS.Timeout | undefined;
    gone = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), options.timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  } else {
    gone = await waitUntil(allGone, options.timeoutMs, EXIT_POLL_MS);
  }
  if (!gone || options.group) {
    // whatever is left in the group (or the leader that ignored the signal)
    if (leaderAlive() || members().length > 0 || !useGroup) send(pid, 'SIGKILL', options.group);
    if (useGroup) await waitUntil(allGone, KILL_WAIT_MS, EXIT_POLL_MS);
  }
  return true;
}

/** Undoes an `owned.stop` record: stops the process, and what is left of its group, if they still run. */
export async function revertOwnedStop(record: RevertRecord): Promise<void> {
  const pid = Number(record.pid);
  // a record without a verified start time could name any process by now: it is never signalled
  if (typeof record.startTime !== 'number') return;
  const startTime = record.startTime;
  const options: StopOwnedOptions = {
    signal: (record.signal as NodeJS.Signals | undefined) ?? 'SIGTERM',
    timeoutMs: Number(record.timeoutMs ?? 5000),
    group: record.group === true,
    startTime,
    instance: typeof record.instance === 'string' ? record.instance : undefined,
  };
  await stopOwnedProcess(pid, options);
  const left = () =>
    isSameProcess(pid, startTime) ||
    (options.group &&
      hasProc() &&
      verifiedGroup(pid, { leaderStart: startTime, instance: options.instance }).length > 0);
  if (left()) {
    // SIGKILL was sent; a zombie clears when its parent reaps it, which is no longer our business
    await new Promise((r) => setTimeout(r, EXIT_POLL_MS));
    if (left()) throw new Error(`process ${pid} (or its group) is still running after SIGKILL`);
  }
}
