/** process.kill, process.pause and process.restart against real child processes; state read from /proc. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { InvalidOptionError } from '../../src/core/errors.js';
import { disruptorNames, getDisruptor, registerDisruptor } from '../../src/disruptors/index.js';
import { processStartTime } from '../../src/disruptors/proc.js';
import { disruptors } from '../../src/plugins/disruptors/index.js';
import { type Child, startSleeper, stopAll, waitForState } from './helpers.js';

after(stopAll);

const pause = getDisruptor('process.pause')!;
const kill = getDisruptor('process.kill')!;
const restart = getDisruptor('process.restart')!;
const opts = (name: string, o: unknown = {}) => getDisruptor(name)!.definition.options.parse(o);

describe('disruptor registry', () => {
  it('has a runtime for every disruptor type of the experiment file, under the same name', () => {
    assert.deepEqual(disruptorNames().sort(), disruptors.names().sort());
    for (const name of disruptors.names()) assert.equal(getDisruptor(name)!.definition, disruptors.get(name));
  });

  it('refuses a name registered twice', () => {
    assert.throws(() => registerDisruptor(pause), /registered twice/);
  });
});

describe('process.pause', () => {
  it('stops the process (state T) and the revert record alone continues it; reverting twice is fine', async () => {
    const c = await startSleeper();
    const applied = await pause.inject({ id: 'a-0', pid: c.pid }, opts('process.pause'), { faultId: 'f' });
    assert.equal(await waitForState(c.pid, (s) => s === 'T'), 'T');
    const record = JSON.parse(JSON.stringify(applied.revert));
    assert.equal(record.type, 'process.pause');
    assert.equal(record.pid, c.pid);
    await pause.revert(record);
    assert.notEqual(await waitForState(c.pid, (s) => s !== 'T'), 'T');
    await pause.revert(record);
    assert.notEqual(await waitForState(c.pid, (s) => s !== 'T'), 'T');
  });

  it('treats a process that is gone as reverted', async () => {
    const c = await startSleeper();
    const { revert } = await pause.inject({ id: 'a-0', pid: c.pid }, opts('process.pause'), { faultId: 'f' });
    c.stop();
    await c.exited;
    await pause.revert(revert);
  });

  it('does not signal a reused pid: a record whose start time differs leaves the process alone', async () => {
    const c: Child = await startSleeper();
    process.kill(c.pid, 'SIGSTOP');
    assert.equal(await waitForState(c.pid, (s) => s === 'T'), 'T');
    const start = processStartTime(c.pid)!;
    await pause.revert({ type: 'process.pause', pid: c.pid, signal: 'SIGCONT', startTime: start + 1 });
    assert.equal(await waitForState(c.pid, (s) => s !== 'T', 300), 'T', 'still stopped (checked for 300 ms)');
    process.kill(c.pid, 'SIGCONT');
  });

  it('rejects an instance without a pid, naming the field', () => {
    assert.throws(
      () => pause.revertFor({ id: 'x' }, {}, { faultId: 'f' }),
      (e: unknown) => e instanceof InvalidOptionError && e.field === 'instance.pid',
    );
  });
});

describe('process.kill', () => {
  it('sends the configured signal', async () => {
    const c = await startSleeper();
    await kill.inject({ id: 'a-0', pid: c.pid }, opts('process.kill', { signal: 'SIGTERM' }), {
      faultId: 'f',
    });
    assert.deepEqual(await c.exited, { code: 0, signal: null }, 'the fixture exits 0 on SIGTERM');
    const d = await startSleeper();
    const applied = await kill.inject({ id: 'a-1', pid: d.pid }, opts('process.kill'), { faultId: 'g' });
    assert.equal((await d.exited).signal, 'SIGKILL');
    await kill.revert(applied.revert);
  });
});

describe('process.restart', () => {
  it('SIGKILLs a process that ignores the stop signal after the grace period, then restarts it', async () => {
    const c = await startSleeper('--ignore-term');
    let started: Child | undefined;
    const applied = await restart.inject(
      { id: 'a-0', pid: c.pid },
      opts('process.restart', { grace: '200ms' }),
      {
        faultId: 'f',
        restart: async () => {
          started = await startSleeper();
          return { pid: started.pid };
        },
      },
    );
    assert.equal((await c.exited).signal, 'SIGKILL');
    assert.equal(applied.detail?.forced, true);
    assert.equal(applied.detail?.newPid, started!.pid);
  });

  it('stops gracefully when the process honours the signal', async () => {
    const c = await startSleeper();
    const applied = await restart.inject({ id: 'a-0', pid: c.pid }, opts('process.restart'), {
      faultId: 'f',
      restart: async () => ({ pid: (await startSleeper()).pid }),
    });
    assert.deepEqual(await c.exited, { code: 0, signal: null });
    assert.equal(applied.detail?.forced, false);
  });

  it('needs a restart callback, and says so naming the field', async () => {
    const c = await startSleeper();
    await assert.rejects(
      restart.inject({ id: 'a-0', pid: c.pid }, opts('process.restart'), { faultId: 'f' }),
      (e: unknown) => e instanceof InvalidOptionError && e.field === 'restart',
    );
  });
});
