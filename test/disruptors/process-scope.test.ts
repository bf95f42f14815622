/**
 * Process faults on wrapped targets (`sh -c …`, a launcher that spawns the real server): the fault reaches the
 * scope — the owned group by default, the tree, or the pid alone — and counts as applied only once /proc shows
 * its effect on every process. Real processes throughout; states read from /proc.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { InvalidOptionError } from '../../src/core/errors.js';
import { getDisruptor } from '../../src/disruptors/index.js';
import { ownedStopRecord, revertOwnedStop, stopOwnedProcess } from '../../src/disruptors/owned-process.js';
import { isSameProcess, processStartTime, processState, waitUntil } from '../../src/disruptors/proc.js';
import type { DisruptorInstance, RevertRecord } from '../../src/disruptors/types.js';
import { FIXTURES, waitForState } from './helpers.js';

const pause = getDisruptor('process.pause')!;
const kill = getDisruptor('process.kill')!;
const opts = (name: string, o: unknown = {}) => getDisruptor(name)!.definition.options.parse(o);

interface Launched {
  /** The launcher (`sh`), leader of its own group when detached. */
  sh: ChildProcess;
  shPid: number;
  /** Read right after spawn: until the event loop reaps it, even an exited launcher's /proc entry is there. */
  shStart: number;
  /** The sleeper it started. */
  server: number;
  exited: Promise<unknown>;
}

const launched: Launched[] = [];
after(() => {
  for (const l of launched) {
    for (const target of [-l.shPid, l.shPid, l.server]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});

const sleeper = (flags = '') => `'${process.execPath}' '${FIXTURES}sleeper.mjs' --print-pid ${flags}`;

/** `sh -c "<script>"`, resolved once the sleeper it starts has printed its pid and "ready". */
async function launch(script: string, detached: boolean, instance = 'api-0'): Promise<Launched> {
  const sh = spawn('/bin/sh', ['-c', script], {
    detached,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, FAULTLINE_INSTANCE: instance },
  });
  const shStart = processStartTime(sh.pid!)!;
  const exited = once(sh, 'exit');
  let out = '';
  sh.stdout!.setEncoding('utf8');
  const server = await new Promise<number>((resolve, reject) => {
    const onData = (d: string) => {
      out += d;
      const m = /pid (\d+)\n[\s\S]*ready\n/.exec(out);
      if (m) {
        sh.stdout!.off('data', onData);
        sh.stdout!.resume();
        resolve(Number(m[1]));
      }
    };
    sh.stdout!.on('data', onData);
    // the launcher may exit first (a background server); the server's end of the pipe is what counts
    sh.stdout!.on('end', () => reject(new Error(`output ended before ready: ${out}`)));
  });
  const l = { sh, shPid: sh.pid!, shStart, server, exited };
  launched.push(l);
  return l;
}

/** A wrapped owned target: a group of its own led by `sh`, which waits on the server it started. */
const launchOwned = (flags = '') => launch(`${sleeper(flags)}; true`, true);

const ownedInstance = (l: Launched): DisruptorInstance => ({
  id: 'api-0',
  pid: l.shPid,
  owned: true,
  startTime: l.shStart,
});

const stopped = (s: string | undefined) => s === 'T' || s === 't';

describe('process.pause scope', () => {
  it('pauses a wrapped owned target whole (wrapper and server), and the journaled record alone continues both', async () => {
    const l = await launchOwned();
    const journaled: RevertRecord[] = [];
    const applied = await pause.inject(ownedInstance(l), opts('process.pause'), {
      faultId: 'f',
      updateRevert: (r) => journaled.push(r),
    });
    // applied means stopped: no waiting needed before reading the states
    assert.ok(stopped(processState(l.server)), 'the server is stopped');
    assert.ok(stopped(processState(l.shPid)), 'the wrapper is stopped');
    assert.equal(applied.revert.scope, 'group');
    assert.deepEqual((applied.detail!.stopped as number[]).sort(), [l.shPid, l.server].sort());
    // the processes were journaled before any was stopped
    const members = (journaled.at(-1)!.members as number[][]).map(([pid]) => pid);
    assert.deepEqual(members.sort(), [l.shPid, l.server].sort());

    await pause.revert(JSON.parse(JSON.stringify(applied.revert)));
    assert.ok(!stopped(processState(l.server)), 'the server runs again');
    assert.ok(!stopped(processState(l.shPid)), 'the wrapper runs again');
    await pause.revert(applied.revert); // idempotent
  });

  it('scope pid pauses the named process alone', async () => {
    const l = await launchOwned();
    const applied = await pause.inject(ownedInstance(l), opts('process.pause', { scope: 'pid' }), {
      faultId: 'f',
    });
    assert.ok(stopped(processState(l.shPid)));
    // nothing was sent to the server, so no later signal could stop it
    assert.ok(!stopped(processState(l.server)), 'the server was not paused');
    await pause.revert(applied.revert);
    assert.ok(!stopped(processState(l.shPid)));
  });

  it('scope tree pauses a process and its descendants outside a group of their own', async () => {
    const l = await launch(`${sleeper()}; true`, false);
    const instance = { id: 'w-0', pid: l.shPid, startTime: processStartTime(l.shPid)! };
    await assert.rejects(
      pause.inject(instance, opts('process.pause', { scope: 'group' }), { faultId: 'f' }),
      (e: unknown) => e instanceof InvalidOptionError && e.field === 'with.scope',
      "a group scope that would reach faultline's own group is refused",
    );
    const applied = await pause.inject(instance, opts('process.pause', { scope: 'tree' }), { faultId: 'g' });
    assert.ok(stopped(processState(l.server)) && stopped(processState(l.shPid)));
    await pause.revert(JSON.parse(JSON.stringify(applied.revert)));
    assert.ok(!stopped(processState(l.server)) && !stopped(processState(l.shPid)));
  });
});

describe('process.kill scope', () => {
  it('kills a wrapped owned target whole and resolves once every process is gone', async () => {
    const l = await launchOwned();
    const applied = await kill.inject(ownedInstance(l), opts('process.kill'), { faultId: 'f' });
    assert.ok(!isSameProcess(l.server), 'the server is gone when inject resolves');
    assert.ok(!isSameProcess(l.shPid), 'the wrapper is gone when inject resolves');
    assert.deepEqual((applied.detail!.killed as number[]).sort(), [l.shPid, l.server].sort());
    assert.equal(applied.revert.scope, 'group');
  });

  it('kills a tree with a catchable signal: the processes handle it and exit', async () => {
    const l = await launch(`${sleeper()}; true`, false);
    const instance = { id: 'w-0', pid: l.shPid };
    const applied = await kill.inject(instance, opts('process.kill', { signal: 'SIGTERM', scope: 'tree' }), {
      faultId: 'f',
    });
    assert.deepEqual(applied.detail?.handled, [l.server], 'the sleeper handles SIGTERM');
    assert.ok(!isSameProcess(l.shPid), 'sh takes the default action and is gone');
    assert.ok(await waitUntil(() => !isSameProcess(l.server), 10_000, 10), 'the sleeper exits on SIGTERM');
  });

  it('does not apply when every process ignores the signal', async () => {
    const l = await launch(`trap '' TERM; ${sleeper()}; true`, true);
    await assert.rejects(
      kill.inject(ownedInstance(l), opts('process.kill', { signal: 'SIGTERM', scope: 'pid' }), {
        faultId: 'f',
      }),
      /ignores SIGTERM/,
    );
    assert.ok(isSameProcess(l.shPid));
  });

  it('rejects when the process is not running', async () => {
    const l = await launchOwned();
    process.kill(-l.shPid, 'SIGKILL');
    await l.exited;
    await waitUntil(() => !isSameProcess(l.server), 5000, 10);
    await assert.rejects(
      kill.inject({ id: 'a-0', pid: l.shPid }, opts('process.kill'), { faultId: 'f' }),
      /not running/,
    );
  });
});

describe('stopping an owned target', () => {
  it('stops what a wrapper left running after the wrapper itself exited', async () => {
    // `sh` starts the server in the background and exits at once: the group outlives its leader
    const l = await launch(`${sleeper()} & exit 0`, true);
    await l.exited;
    assert.ok(isSameProcess(l.server), 'the server still runs after its launcher exited');
    const ran = await stopOwnedProcess(l.shPid, {
      signal: 'SIGTERM',
      timeoutMs: 5000,
      group: true,
      startTime: l.shStart,
      instance: 'api-0',
    });
    assert.equal(ran, true);
    assert.ok(!isSameProcess(l.server), 'the server is gone');
  });

  it('recover stops the group from the journaled record, leader gone or not', async () => {
    const l = await launch(`${sleeper('--ignore-term')} & exit 0`, true);
    // as the engine journals it at start, while the launcher runs
    const record = {
      ...ownedStopRecord(l.shPid, { signal: 'SIGTERM', timeoutMs: 300, group: true, instance: 'api-0' }),
      startTime: l.shStart,
    };
    await l.exited;
    await revertOwnedStop(JSON.parse(JSON.stringify(record)));
    assert.ok(!isSameProcess(l.server), 'SIGKILLed after ignoring SIGTERM for 300 ms');
  });

  it('never signals an owned.stop record without a start time', async () => {
    const l = await launchOwned();
    await revertOwnedStop({
      type: 'owned.stop',
      pid: l.shPid,
      startTime: null,
      signal: 'SIGKILL',
      group: true,
    });
    await waitForState(l.server, (s) => s === undefined, 300);
    assert.ok(isSameProcess(l.server), 'still running (checked for 300 ms)');
  });
});
