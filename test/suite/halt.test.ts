/**
 * Stopping a suite of three (each run pauses processes, adds toxics and sets failpoints: the crash fixture):
 * `faultline halt` rolls the running one back and skips the others (exit 3); kill -9 of the suite and its running
 * child, then `faultline recover` on the suite's directory, leaves nothing; kill -9 of the suite alone makes the
 * child roll back by itself, and `faultline recover --suite` (the newest suite) finds nothing left to do. Nothing
 * left means: no stopped process, no toxic, no failpoint, no owned process still running, nothing registered.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { isSameProcess, waitUntil } from '../../src/disruptors/proc.js';
import { readJournal } from '../../src/experiment/journal.js';
import { createFailpointClient } from '../../src/failpoint/client.js';
import { SUITE_JOURNAL, type SuiteJournalEvent } from '../../src/suite/journal.js';
import type { SuiteJson } from '../../src/suite/suite-json.js';
import { type Child, startChild, waitForState } from '../disruptors/helpers.js';
import {
  assertAllReverted,
  type CrashWorld,
  startCrashWorld,
  startedPids,
  tempDir,
} from '../experiment/engine-helpers.js';
import { cli, cliArgv } from '../helpers/cli.js';

const CRASH = fileURLToPath(new URL('../fixtures/experiment/crash.yaml', import.meta.url));

describe('stopping a suite: halt, kill -9 and recover', () => {
  const dir = tempDir('suite-halt');
  const results = join(dir, 'results');
  const env = { ...process.env, FAULTLINE_STATE_DIR: join(dir, 'state') };
  let world: CrashWorld;
  let suiteFile: string;

  before(async () => {
    world = await startCrashWorld(dir);
    const set = [
      'duration: 30s',
      ...Object.entries(world.parameters).map(([k, v]) => `parameters.${k}: "${v}"`),
    ].join(', ');
    suiteFile = join(dir, 'three.yaml');
    writeFileSync(
      suiteFile,
      [
        'title: three crash runs',
        'runs:',
        ...['one', 'two', 'three'].map((n) => `  - { name: ${n}, experiment: ${CRASH}, set: { ${set} } }`),
        '',
      ].join('\n'),
    );
  });

  after(async () => {
    await cli(['halt', '--clear'], env);
    await world?.close();
  });

  /** Starts the suite and waits until its first run has a fault applied; returns the suite and that run's pid. */
  async function startSuite(
    out: string,
  ): Promise<{ suite: Child; runPid: number; runDir: string; first: string }> {
    const suite = startChild([...cliArgv, 'suite', suiteFile, '--out', out, '--no-report'], { env });
    // which entry goes first is the seed's choice (ties are shuffled): the one that says it runs
    const first = /(\w+) running/.exec(await suite.line((l) => / running /.test(l), 30_000))?.[1] as string;
    const runDir = join(out, first);
    const applied = () => {
      try {
        return readJournal(join(runDir, 'journal.ndjson')).some((e) => e.event === 'fault.applied');
      } catch {
        return false; // not written yet
      }
    };
    await waitUntil(applied, 30_000, 50);
    assert.ok(applied(), 'the first run applied a fault');
    const running = readJournal<SuiteJournalEvent>(join(out, SUITE_JOURNAL)).find(
      (e) => e.event === 'entry.running' && e.run === first,
    );
    assert.ok(running?.event === 'entry.running');
    return { suite, runPid: running.pid, runDir, first };
  }

  async function assertNothingLeft(runDir: string, where: string): Promise<void> {
    for (const pid of world.workers)
      assert.notEqual(await waitForState(pid, (s) => s !== 'T'), 'T', `${where}: worker ${pid} stopped`);
    for (const pid of startedPids(join(runDir, 'journal.ndjson')))
      assert.equal(isSameProcess(pid), false, `${where}: owned pid ${pid} still runs`);
    const res = await request(`${world.api}/proxies/db/toxics`);
    assert.deepEqual(await res.body.json(), [], `${where}: toxics left`);
    const fp = createFailpointClient({ target: world.endpoint });
    assert.equal((await fp.get('demo.declared')).term ?? null, null, `${where}: failpoint left`);
    for (const kind of ['runs', 'suites']) {
      const d = join(dir, 'state', kind);
      assert.deepEqual(existsSync(d) ? readdirSync(d) : [], [], `${where}: ${kind} left registered`);
    }
  }

  test('faultline halt: the running entry rolls back, the others are skipped, exit 3', async (t) => {
    const out = join(results, 'halted');
    const { suite, runDir, first } = await startSuite(out);
    // the next tests start suites: the halt is lifted whatever this one finds
    t.after(async () => {
      assert.equal((await cli(['halt', '--clear'], env)).code, 0);
    });
    const halt = await cli(['halt', '--wait', '60s'], env);
    assert.equal(halt.code, 0, halt.stdout + halt.stderr);
    assert.match(halt.stdout, /1 running experiment\(s\) rolling back, 1 suite\(s\) stopping/);
    const exit = await suite.exited;
    assert.equal(exit.code, 3);
    const s = JSON.parse(readFileSync(join(out, 'suite.json'), 'utf8')) as SuiteJson;
    assert.equal(s.verdict, 'halted');
    assert.equal(s.exitCode, 3);
    assert.deepEqual(
      Object.fromEntries(s.entries.map((e) => [e.run, [e.state, e.skipReason]])),
      Object.fromEntries(
        ['one', 'two', 'three'].map((n) => [
          n,
          n === first ? ['aborted', null] : ['skipped', 'halted by faultline halt'],
        ]),
      ),
    );
    assert.equal(s.entries.find((e) => e.run === first)?.verdict, 'aborted');
    assertAllReverted(join(runDir, 'journal.ndjson'));
    await assertNothingLeft(runDir, 'after halt');
  });

  test('kill -9 of the suite and its running run, then faultline recover on the suite: nothing left', async () => {
    const out = join(results, 'killed');
    const { suite, runPid, runDir } = await startSuite(out);
    suite.proc.kill('SIGKILL');
    process.kill(runPid, 'SIGKILL');
    assert.equal((await suite.exited).signal, 'SIGKILL');
    await waitUntil(() => !isSameProcess(runPid), 10_000, 20);
    const rec = await cli(['recover', out], env);
    assert.equal(rec.code, 0, rec.stdout + rec.stderr);
    assert.match(rec.stdout, /suite "three crash runs" .*: 1 run\(s\) started/);
    assert.match(rec.stdout, /recovered: (\d+) of \1 reverted/);
    assert.match(rec.stdout, /removed stale run file .*runs/);
    assert.match(rec.stdout, /removed stale run file .*suites/);
    await assertNothingLeft(runDir, 'after recover');
  });

  test('kill -9 of the suite alone: its run rolls back by itself; recover --suite has nothing to revert', async () => {
    const out = join(results, 'orphaned');
    const { suite, runPid, runDir } = await startSuite(out);
    suite.proc.kill('SIGKILL');
    await suite.exited;
    await waitUntil(() => !isSameProcess(runPid), 60_000, 50);
    assert.equal(isSameProcess(runPid), false, 'the orphaned run ended');
    const ended = readJournal(join(runDir, 'journal.ndjson')).findLast((e) => e.event === 'run.ended');
    assert.equal(ended?.event === 'run.ended' && ended.verdict, 'aborted');
    assertAllReverted(join(runDir, 'journal.ndjson'));
    const rec = await cli(['recover', '--suite', '--results', results], env);
    assert.equal(rec.code, 0, rec.stdout + rec.stderr);
    assert.match(rec.stdout, new RegExp(`${out}/${SUITE_JOURNAL}\\): 1 run\\(s\\) started`));
    assert.match(rec.stdout, /nothing to revert/);
    await assertNothingLeft(runDir, 'after the orphaned run');
  });
});
