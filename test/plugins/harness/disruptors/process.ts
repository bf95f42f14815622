/** Harnesses for the process disruptors: a real sleeper process (test/fixtures/disruptors/sleeper.mjs) each. */
import { isSameProcess, processStartTime, processState } from '../../../../src/disruptors/proc.js';
import { type Child, startSleeper } from '../../../disruptors/helpers.js';
import type { ConformanceCase, DisruptorHarness } from './types.js';

const isStopped = (pid: number) => ['T', 't'].includes(processState(pid) ?? '');

async function end(c: Child | undefined): Promise<void> {
  if (c === undefined) return;
  c.stop();
  await c.exited;
}

/** A sleeper as an attached instance; `faulted` and `restored` see it through /proc. */
async function sleeperCase(
  fault: Pick<ConformanceCase, 'options' | 'ctx'> & {
    faulted: (pid: number, startTime: number) => boolean;
    restored: (pid: number, startTime: number) => boolean;
  },
  extra: () => Child | undefined = () => undefined,
): Promise<ConformanceCase> {
  const child = await startSleeper();
  const startTime = processStartTime(child.pid)!;
  return {
    instance: { id: 'sleeper-0', pid: child.pid },
    options: fault.options,
    ...(fault.ctx === undefined ? {} : { ctx: fault.ctx }),
    faulted: () => fault.faulted(child.pid, startTime),
    restored: () => fault.restored(child.pid, startTime),
    vanish: () => end(child),
    close: async () => {
      await end(child);
      await end(extra());
    },
  };
}

export const processPauseHarness: DisruptorHarness = {
  start: () =>
    sleeperCase({
      options: { scope: 'pid' },
      faulted: (pid) => isStopped(pid),
      restored: (pid) => !isStopped(pid),
    }),
  badOption: { options: { scope: 'planet' }, field: 'with.scope' },
};

export const processKillHarness: DisruptorHarness = {
  start: () =>
    sleeperCase({
      options: { signal: 'SIGKILL' },
      faulted: (pid, startTime) => !isSameProcess(pid, startTime),
      // a killed process stays killed: starting it again is the engine's (restartsOwnedOnEnd), not a revert's
      restored: () => true,
    }),
  badOption: { options: { signal: 'SIGNOPE' }, field: 'with.signal' },
};

export const processRestartHarness: DisruptorHarness = {
  start: () => {
    let replacement: Child | undefined;
    return sleeperCase(
      {
        options: { signal: 'SIGTERM', grace: '2s' },
        // the engine's restart callback, here starting another sleeper
        ctx: {
          restart: async () => {
            replacement = await startSleeper();
            return { pid: replacement.pid };
          },
        },
        faulted: (pid, startTime) =>
          !isSameProcess(pid, startTime) && replacement !== undefined && isSameProcess(replacement.pid),
        // the restart is complete once inject resolves: there is nothing left to revert
        restored: () => true,
      },
      () => replacement,
    );
  },
  badOption: { options: { grace: 'soon' }, field: 'with.grace' },
};
