/**
 * Stopping a process faultline started (an owned target instance). The engine stops its instances itself at the
 * end of a run; this is the same stop written as a revert record, journaled when the instance starts, so
 * `faultline recover` can stop what a killed runner left running. Owned instances run in a process group of
 * their own, so the stop reaches whatever the command spawned, and a paused instance is continued first (a
 * stopped process does not act on SIGTERM until it runs again).
 */
import { isSameProcess, processStartTime, waitUntil } from './proc.js';
import type { RevertRecord } from './types.js';

/** The `owned.stop` record for an instance started as `pid` (a process group leader when `group`). */
export function ownedStopRecord(
  pid: number,
  options: { signal: NodeJS.Signals; timeoutMs: number; group: boolean },
): RevertRecord {
  const startTime = processStartTime(pid);
  return {
    type: 'owned.stop',
    pid,
    startTime: startTime ?? null,
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    group: options.group,
  };
}

// a process we did not spawn (recover) has no exit event to wait on; its /proc entry is polled
const EXIT_POLL_MS = 20;

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

/**
 * Continues, then signals `pid` (its group when `group`), waits up to `timeoutMs` for it to exit, then
 * SIGKILLs. Resolves true when it was running. Never signals a pid now owned by another process (`startTime`).
 */
export async function stopOwnedProcess(
  pid: number,
  options: { signal: NodeJS.Signals; timeoutMs: number; group: boolean; startTime?: number | undefined },
  exited?: Promise<unknown>,
): Promise<boolean> {
  const alive = () => isSameProcess(pid, options.startTime);
  if (!alive()) return false;
  send(pid, 'SIGCONT', options.group);
  send(pid, options.signal, options.group);
  let gone = false;
  if (exited !== undefined) {
    let timer: NodeJS.Timeout | undefined;
    gone = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), options.timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  } else {
    gone = await waitUntil(() => !alive(), options.timeoutMs, EXIT_POLL_MS);
  }
  if (!gone) send(pid, 'SIGKILL', options.group);
  else if (options.group) send(pid, 'SIGKILL', true); // whatever the command left behind in its group
  return true;
}

/** Undoes an `owned.stop` record: stops the process if it still runs. */
export async function revertOwnedStop(record: RevertRecord): Promise<void> {
  const pid = Number(record.pid);
  const startTime = typeof record.startTime === 'number' ? record.startTime : undefined;
  await stopOwnedProcess(pid, {
    signal: (record.signal as NodeJS.Signals | undefined) ?? 'SIGTERM',
    timeoutMs: Number(record.timeoutMs ?? 5000),
    group: record.group === true,
    startTime,
  });
  if (isSameProcess(pid, startTime)) {
    // SIGKILL was sent; a zombie clears when its parent reaps it, which is no longer our business
    await new Promise((r) => setTimeout(r, EXIT_POLL_MS));
    if (isSameProcess(pid, startTime)) throw new Error(`process ${pid} is still running after SIGKILL`);
  }
}
