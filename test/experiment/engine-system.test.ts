/**
 * The engine against a small real system: three replica processes behind a router that retries, all started by
 * the experiment (owned targets on free ports), with real HTTP load and monitors. Losing one replica is absorbed
 * (pass); pausing two of three breaks the latency promise (fail), and the result blames the pause.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pendingReverts, readJournal } from '../../src/disruptors/index.js';
import { readResult } from '../../src/report/write.js';
import { heavyTestFile } from '../helpers/exclusive.js';
import { assertAllReverted, assertAllStopped, assertSoundVerdict, runFile } from './engine-helpers.js';

const KILL = 'test/fixtures/experiment/kill-one.yaml';
const PAUSE = 'test/fixtures/experiment/pause-two.yaml';

heavyTestFile();

describe('engine: a 3-replica system', () => {
  test('killing one of three replicas keeps the hypothesis true: verdict pass, exit 0', async () => {
    const run = await runFile(KILL, { report: true });
    // or a latency breach the run blames on its own starved load generator (beside a CPU hog)
    assertSoundVerdict(run.result);
    const broken = run.result.assertions.filter((a) => !a.passed).length;
    assert.equal(run.exitCode, broken === 0 ? 0 : 1);
    const r = run.result;
    assert.equal(r.assertions.length, 3);
    // the fault really ran: one replica killed, restarted when its 2 s were up
    const kill = r.faultRuns.filter((f) => f.status === 'applied');
    assert.equal(kill.length, 1);
    assert.equal(kill[0]?.fault, 'kill-a-replica');
    assert.equal(typeof kill[0]?.info?.restartedPid, 'number');
    const windowMs = (kill[0]?.endMs as number) - kill[0]!.startMs;
    assert.ok(windowMs >= 2000, `fault window ${windowMs} ms`);
    assert.ok((kill[0]?.endMs as number) <= r.endedMs, 'reverted before the run ended');
    // phases: load KPIs exist for before, during and after, and the load kept its rate
    const k = r.load[0]!.kpis;
    for (const phase of ['before', 'during', 'after'] as const) assert.ok(k[phase].completed > 0, phase);
    assert.ok(k.during.throughput > 150, `throughput during ${k.during.throughput}`);
    assert.equal(r.steadyState.before?.ok, true);
    assert.equal(r.steadyState.after?.ok, true);
    // outputs: result.json reads back as a report, junit has one testcase per assertion + checks, journal complete
    assert.equal(readResult(run.outDir).verdict, run.verdict);
    const junit = readFileSync(run.junitPath, 'utf8');
    assert.equal((junit.match(/<testcase /g) ?? []).length, 5);
    assert.equal((junit.match(/<failure/g) ?? []).length, broken);
    assert.match(readFileSync(join(run.outDir, 'report.html'), 'utf8'), /kill-a-replica/);
    assertAllReverted(run.journalPath);
    assert.deepEqual(pendingReverts(readJournal(run.journalPath)), []);
    assertAllStopped(run.journalPath);
  });

  test('pausing two of three breaks the error budget: verdict fail, exit 1, and the breach names the pause', async () => {
    const run = await runFile(PAUSE);
    assert.equal(run.verdict, 'fail', run.reason);
    assert.equal(run.exitCode, 1);
    const byKpi = new Map(run.result.assertions.map((a) => [a.kpi, a]));
    const errors = byKpi.get('error_rate');
    assert.equal(errors?.passed, false);
    // a request whose two tries both meet a paused replica fails: about a third of them
    assert.ok((errors?.measured as number) > 10, `error rate ${errors?.measured}%`);
    assert.deepEqual(errors?.faultsActive, ['pause-two']);
    assert.equal(byKpi.get('error_rate')?.unit, '%');
    assert.match(run.reason, /error_rate during < 1%: measured \d+(\.\d+)?% \(faults: pause-two\)/);
    // before and after the pause, nothing failed
    const k = run.result.load[0]!.kpis;
    assert.equal(k.before.errorRate, 0);
    assert.equal(k.after.errorRate, 0);
    const paused = run.result.faultRuns.filter((f) => f.status === 'applied');
    assert.equal(paused.length, 2);
    assert.notEqual(paused[0]?.instance, paused[1]?.instance);
    const junit = readFileSync(run.junitPath, 'utf8');
    assert.match(
      junit,
      /<failure message="expected &lt; 1%, \d+(\.\d+)?%">faults active: pause-two<\/failure>/,
    );
    assertAllReverted(run.journalPath);
    assertAllStopped(run.journalPath);
  });

  test('the same seed gives the same fault schedule', async () => {
    // side by side: the schedule comes from the seed alone, so two runs at once must still agree
    const [a, b] = await Promise.all([
      runFile(PAUSE, { set: { duration: '2s' } }),
      runFile(PAUSE, { set: { duration: '2s' } }),
    ]);
    const picks = (r: typeof a) => r.result.faultRuns.map((f) => `${f.fault}@${f.instance}`).sort();
    assert.deepEqual(picks(a), picks(b));
    assert.deepEqual(a.result.plan, b.result.plan);
  });
});
