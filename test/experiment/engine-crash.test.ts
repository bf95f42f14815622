/**
 * Crash safety of real runs: `faultline run` (the CLI, in a child process) is killed with SIGKILL at 20 points
 * drawn from a seed (a quarter counted from the run's start, the rest from its method's) across runs that pause
 * processes, add toxics and set failpoints; after `faultline recover` nothing is left: no stopped process, no
 * toxic, no failpoint, no owned process still running.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { randomStream } from '../../src/core/random.js';
import { isSameProcess } from '../../src/disruptors/proc.js';
import { createFailpointClient } from '../../src/failpoint/client.js';
import { startChild, waitForState } from '../disruptors/helpers.js';
import { cli, cliArgv } from '../helpers/cli.js';
import { type CrashWorld, startCrashWorld, startedPids, tempDir } from './engine-helpers.js';

const KILL_POINTS = 20;

describe('engine: kill -9 of the runner at 20 points, then faultline recover', () => {
  const dir = tempDir('crash');
  let world: CrashWorld;
  let sets: string[];

  before(async () => {
    world = await startCrashWorld(dir);
    sets = Object.entries(world.parameters).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
  });

  after(() => world?.close());

  it('leaves nothing behind at any of 20 kill points', async () => {
    const delays = randomStream(2026).fork('kill-points');
    const fp = createFailpointClient({ target: world.endpoint });
    let pendingSeen = 0;
    for (let k = 0; k < KILL_POINTS; k++) {
      const delayMs = delays.intAt(k, 0, 3200);
      const out = join(dir, `run-${k}`);
      const runner = startChild(
        [...cliArgv, 'run', 'test/fixtures/experiment/crash.yaml', ...sets, '--out', out, '--no-report'],
        { env: { ...process.env, FAULTLINE_STATE_DIR: join(dir, 'state') } },
      );
      // every fourth kill point counts from the start (targets starting, warm-up), the rest from the method's
      // start, so how long start-up takes on a busy machine does not decide how many land while faults are in
      const from = k % 4 === 0 ? 'start' : 'method';
      await runner.line((l) => (from === 'start' ? /run\.started/ : /\bphase\s+method\b/).test(l));
      await new Promise((r) => setTimeout(r, delayMs)); // the kill point itself, not a synchronisation
      runner.proc.kill('SIGKILL');
      assert.equal((await runner.exited).signal, 'SIGKILL');

      const where = `kill point ${k} at ${delayMs} ms after the ${from}`;
      const rec = await cli(['recover', join(out, 'journal.ndjson')]);
      assert.equal(rec.code, 0, `${where}: ${rec.stdout}${rec.stderr}`);
      if (!/nothing to revert/.test(rec.stdout)) pendingSeen += 1;

      for (const pid of world.workers)
        assert.notEqual(await waitForState(pid, (s) => s !== 'T'), 'T', `${where}: stopped`);
      for (const pid of startedPids(join(out, 'journal.ndjson')))
        assert.equal(isSameProcess(pid), false, `${where}: owned pid ${pid} still runs`);
      const res = await request(`${world.api}/proxies/db/toxics`);
      assert.deepEqual(await res.body.json(), [], `${where}: toxics left`);
      assert.equal((await fp.get('demo.declared')).term ?? null, null, `${where}: failpoint left`);
    }
    assert.ok(pendingSeen >= KILL_POINTS / 2, `only ${pendingSeen} kill points left anything to recover`);
  });
});
