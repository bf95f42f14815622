/**
 * Stopping early, every way a run can be stopped — an abort condition, SIGINT (once, twice), `faultline halt` —
 * always rolls back, writes results with verdict `aborted` and exits 3; a system that never gets ready is
 * `not-ready` (exit 4) and nothing is injected. The signal and halt cases run the real CLI in a child process
 * against processes the test owns (attach targets), so it can see them resumed afterwards.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pendingReverts, readJournal } from '../../src/disruptors/index.js';
import { type Child, startChild, startSleeper, stopAll, waitForState } from '../disruptors/helpers.js';
import { cli, cliArgv } from '../helpers/cli.js';
import { assertAllReverted, assertAllStopped, runFile, tempDir } from './engine-helpers.js';

// judges a running system under load: run with the machine to itself (scripts/test.sh)

after(async () => {
  await stopAll();
});

/** Two sleepers with pid files, for attach targets. */
async function workers(dir: string): Promise<{ pids: number[]; sets: string[] }> {
  const a = await startSleeper();
  const b = await startSleeper();
  writeFileSync(join(dir, 'a.pid'), `${a.pid}\n`);
  writeFileSync(join(dir, 'b.pid'), `${b.pid}\n`);
  return {
    pids: [a.pid, b.pid],
    sets: ['--set', `pid_a=${join(dir, 'a.pid')}`, '--set', `pid_b=${join(dir, 'b.pid')}`],
  };
}

function runCli(args: string[], env: NodeJS.ProcessEnv): Child {
  return startChild([...cliArgv, 'run', ...args], { env: { ...process.env, ...env } });
}

/** `attach-pause.yaml` run by the CLI over two sleepers, resolved once both are paused. */
async function pausedRun(name: string): Promise<{ pids: number[]; out: string; runner: Child }> {
  const dir = tempDir(name);
  const { pids, sets } = await workers(dir);
  const out = join(dir, 'out');
  const runner = runCli(
    ['test/fixtures/experiment/attach-pause.yaml', ...sets, '--out', out, '--no-report'],
    {
      FAULTLINE_STATE_DIR: join(dir, 'state'),
    },
  );
  await bothPaused(runner);
  return { pids, out, runner };
}

async function bothPaused(runner: Child): Promise<void> {
  await runner.line((l) => /fault\.applied .*freeze-both → workers-[01]/.test(l));
  await runner.line((l) => /fault\.applied .*freeze-both → workers-1/.test(l) || /workers-0/.test(l));
}

/** What the run said about reverts and restarts, in order. */
function restartLog(events: readonly { kind: string; message: string }[]): string[] {
  return events
    .filter((e) => e.kind === 'fault.reverted' || e.kind.startsWith('target.restart'))
    .map((e) => `${e.kind} ${e.message}`);
}

describe('engine: aborts', () => {
  test('abort_when stops the run early, reverts everything, verdict aborted (exit 3)', async () => {
    const run = await runFile('test/fixtures/experiment/abort.yaml');
    assert.equal(run.verdict, 'aborted');
    assert.equal(run.exitCode, 3);
    assert.match(
      run.reason,
      /abort_when\[0\] held: error_rate over 1000 ms = 0\.[5-9]|abort_when\[0\] held: error_rate over 1000 ms = 1/,
    );
    const r = run.result;
    // stopped before the 20 s method was over, whatever the machine's speed: the abort came from the condition
    const methodStart = r.phases.before?.startMs as number;
    const abortAt = r.events.find((e) => e.kind === 'abort')?.tMs as number;
    assert.ok(abortAt - methodStart < 20_000, `aborted ${abortAt - methodStart} ms into a 20 s method`);
    assert.equal(r.faultRuns.filter((f) => f.status === 'applied').length, 3);
    assert.ok(
      r.faultRuns.every((f) => f.endMs !== null),
      'every kill ended (replicas restarted) at rollback',
    );
    assert.ok(readJournal(run.journalPath).some((e) => e.event === 'abort'));
    assert.equal(r.steadyState.after?.ok, true, 'the restarted replicas answer again');
    // the log tells what happened, in order: each kill reverted, then its replica restarted and ready
    const said = restartLog(r.events);
    for (const f of r.faultRuns) {
      const reverted = said.indexOf(`fault.reverted kill-all on ${f.instance} reverted`);
      const restarted = said.findIndex((l) => l.startsWith(`target.restarted ${f.instance} restarted`));
      assert.ok(reverted >= 0 && restarted > reverted, said.join('\n'));
      assert.match(said[restarted] ?? '', /^target\.restarted replicas-\d restarted \(pid \d+\) and ready$/);
    }
    assert.match(
      readFileSync(run.junitPath, 'utf8'),
      /name="experiment"><failure message="aborted: abort_when/,
    );
    assertAllReverted(run.journalPath);
    assertAllStopped(run.journalPath);
  });

  test('stopped while a replica is killed: the kill is reverted, then the replica started again, not waited for', async () => {
    const stop = new AbortController();
    const run = await runFile('test/fixtures/experiment/kill-one.yaml', {
      signal: stop.signal,
      onEvent: (e) => {
        if (e.kind === 'fault.applied') stop.abort('stopped by the test');
      },
    });
    assert.equal(run.verdict, 'aborted');
    const kill = run.result.faultRuns.find((f) => f.status === 'applied');
    assert.ok(kill);
    // not "restarted", then "restart-failed: stopped while waiting", then "reverted": the process was started
    // again, and only its readiness was not waited for
    assert.deepEqual(restartLog(run.result.events), [
      `fault.reverted kill-a-replica on ${kill.instance} reverted`,
      `target.restarted ${kill.instance} started again (pid ${kill.info?.restartedPid}); not waited for until ready: the run is stopping`,
    ]);
    assertAllStopped(run.journalPath);
  });

  test('a revert that keeps failing fails the run loudly and stays in the journal for recover', async () => {
    const dir = tempDir('revert');
    const flag = join(dir, 'flag');
    const run = await runFile('test/fixtures/experiment/revert-fails.yaml', { set: { flag } });
    assert.equal(run.verdict, 'fail');
    assert.equal(run.exitCode, 1);
    assert.match(run.reason, /REVERT FAILED for sticky on box-0: still applied, run `faultline recover`/);
    const sticky = run.result.faultRuns.find((f) => f.fault === 'sticky');
    assert.equal(sticky?.endMs, null);
    assert.match(sticky?.error ?? '', /revert failed after 3 attempts/);
    assert.match(
      readFileSync(run.junitPath, 'utf8'),
      /name="every fault reverted"><failure message="sticky on box-0/,
    );
    const pending = pendingReverts(readJournal(run.journalPath));
    assert.deepEqual(
      pending.map((p) => p.fault),
      ['sticky'],
      'only the fault is left: the owned process was stopped',
    );
    writeFileSync(flag, ''); // whatever blocked the revert is fixed
    const rec = await cli(['recover', run.journalPath]);
    assert.equal(rec.code, 0, rec.stdout + rec.stderr);
    assert.deepEqual(pendingReverts(readJournal(run.journalPath)), []);
  });

  test('a system that never gets ready is not-ready (exit 4) and nothing is injected', async () => {
    const run = await runFile('test/fixtures/experiment/not-ready.yaml');
    assert.equal(run.verdict, 'not-ready');
    assert.equal(run.exitCode, 4);
    assert.match(run.reason, /steady state before: api down/);
    assert.deepEqual(run.result.faultRuns, []);
    assert.ok(!readJournal(run.journalPath).some((e) => e.event === 'fault.applying'));
    assertAllStopped(run.journalPath);
  });

  test('SIGINT rolls back: both paused processes run again, results say aborted, exit 3', async () => {
    const { pids, out, runner } = await pausedRun('sigint');
    for (const pid of pids) assert.equal(await waitForState(pid, (s) => s === 'T'), 'T');
    runner.proc.kill('SIGINT');
    const exit = await runner.exited;
    assert.equal(exit.code, 3);
    for (const pid of pids) assert.notEqual(await waitForState(pid, (s) => s !== 'T'), 'T');
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    assert.equal(result.verdict, 'aborted');
    assert.match(result.reason, /SIGINT received/);
    assertAllReverted(join(out, 'journal.ndjson'));
  });

  test('SIGTERM then SIGINT: the second signal skips the waits but still reverts', async () => {
    const { pids, out, runner } = await pausedRun('sigint2');
    runner.proc.kill('SIGTERM');
    runner.proc.kill('SIGINT');
    assert.equal((await runner.exited).code, 3);
    for (const pid of pids) assert.notEqual(await waitForState(pid, (s) => s !== 'T'), 'T');
    assertAllReverted(join(out, 'journal.ndjson'));
  });

  test('faultline halt aborts a running experiment, refuses new ones until --clear', async () => {
    const dir = tempDir('halt');
    const env = { ...process.env, FAULTLINE_STATE_DIR: join(dir, 'state') };
    const { pids, sets } = await workers(dir);
    const out = join(dir, 'out');
    const runner = runCli(
      ['test/fixtures/experiment/attach-pause.yaml', ...sets, '--out', out, '--no-report'],
      env,
    );
    await bothPaused(runner);
    const halt = await cli(['halt', '--reason', 'pager went off'], env);
    assert.equal(halt.code, 0, halt.stderr);
    assert.match(halt.stdout, /halt set: 1 running experiment/);
    assert.match(halt.stdout, /stopped pid \d+: Two processes/);
    assert.equal((await runner.exited).code, 3);
    for (const pid of pids) assert.notEqual(await waitForState(pid, (s) => s !== 'T'), 'T');
    assert.match(
      JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')).reason,
      /halted by faultline halt/,
    );

    const refused = await cli(
      ['run', 'test/fixtures/experiment/attach-pause.yaml', ...sets, '--out', join(dir, 'x')],
      env,
    );
    assert.equal(refused.code, 3);
    assert.match(refused.stderr, /experiments are halted .*pager went off.*faultline halt --clear/);
    for (const pid of pids)
      assert.notEqual(await waitForState(pid, (s) => s !== 'T'), 'T', 'a refused run touches nothing');
    assert.match((await cli(['halt', '--status'], env)).stdout, /halted since/);
    assert.match((await cli(['halt', '--clear'], env)).stdout, /halt cleared/);
    assert.match((await cli(['halt', '--status'], env)).stdout, /not halted/);
  });
});
