/**
 * The method's timeline: faults are injected and reverted concurrently on one clock, so an injection that hangs
 * delays no other fault, and a fault's window runs from when it took effect to when its revert did.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readJournal } from '../../src/disruptors/index.js';
import { setHalt } from '../../src/experiment/halt.js';
import { assertAllStopped, runFile, tempDir } from './engine-helpers.js';

// judges a running system under load: run with the machine to itself (scripts/test.sh)

// accepts connections and never answers: an injection through it hangs until its timeout or an abort
const held = new Set<Socket>();
const silent = createServer((s) => {
  held.add(s);
  s.on('close', () => held.delete(s));
});
before(() => new Promise<void>((r) => silent.listen(0, '127.0.0.1', r)));
after(() => {
  for (const s of held) s.destroy();
  silent.close();
});

describe('engine: timeline', () => {
  test('an injection that hangs holds back neither the clock nor another fault', async () => {
    const port = (silent.address() as { port: number }).port;
    const run = await runFile('test/fixtures/experiment/slow-inject.yaml', {
      set: { hang_url: `http://127.0.0.1:${port}/never` },
    });
    const runs = run.result.faultRuns;
    const pause = runs.find((r) => r.fault === 'short-pause');
    const call = runs.find((r) => r.fault === 'slow-call');
    assert.ok(pause && call);
    assert.equal(pause.status, 'applied');
    assert.equal(call.status, 'failed', 'the hanging call was aborted when the method ended');
    const pauseEnd = pause.endMs as number;
    const callEnd = call.endMs as number;
    // before the fix the pause waited behind the call: it started only once the call had given up
    assert.ok(pause.startMs < callEnd, 'the pause took effect while the call still hung');
    assert.ok(pauseEnd < callEnd, 'and was reverted while the call still hung');
    assert.ok(
      pauseEnd - pause.startMs >= 500,
      `the pause lasted its 500 ms (${pauseEnd - pause.startMs} ms)`,
    );
    // the window is from the effect to the revert's effect; the injection started before it
    assert.ok((pause.injectStartMs as number) <= pause.startMs);
    assert.ok((pause.revertStartMs as number) <= pauseEnd);
    const reverted = readJournal(run.journalPath).filter((e) => e.event === 'fault.reverted');
    assert.ok(reverted.some((e) => e.id === pause.id));
    assertAllStopped(run.journalPath);
  });
});

describe('engine: stopping before the method', () => {
  const stoppedEarly = (run: Awaited<ReturnType<typeof runFile>>, reason: RegExp) => {
    assert.equal(run.verdict, 'aborted');
    assert.equal(run.exitCode, 3);
    assert.match(run.reason, reason);
    assert.ok(existsSync(run.resultPath) && existsSync(run.junitPath), 'result.json and junit.xml written');
    assert.deepEqual(run.result.faultRuns, [], 'nothing injected');
    assert.ok(!readJournal(run.journalPath).some((e) => e.event === 'fault.applying'));
    assertAllStopped(run.journalPath);
  };

  test('faultline halt aborts a run while its targets start', async () => {
    const stateDir = tempDir('halt-start');
    const run = await runFile('test/fixtures/experiment/slow-start.yaml', {
      stateDir,
      onEvent: (e) => {
        if (e.kind === 'target.starting' && e.message.startsWith('slow')) setHalt(stateDir);
      },
    });
    stoppedEarly(run, /halted by faultline halt/);
    assert.ok(
      !readJournal(run.journalPath).some((e) => e.event === 'target.started' && e.instance === 'later-0'),
    );
  });

  test('faultline halt aborts a run during warm-up', async () => {
    const stateDir = tempDir('halt-warmup');
    const run = await runFile('test/fixtures/experiment/long-warmup.yaml', {
      stateDir,
      onEvent: (e) => {
        if (e.kind === 'phase' && e.message === 'warmup') setHalt(stateDir);
      },
    });
    stoppedEarly(run, /halted by faultline halt/);
  });

  test('an abort (Ctrl-C) during target start-up is aborted, not a placeholder error', async () => {
    const stop = new AbortController();
    const run = await runFile('test/fixtures/experiment/slow-start.yaml', {
      signal: stop.signal,
      onEvent: (e) => {
        if (e.kind === 'target.starting' && e.message.startsWith('slow')) stop.abort('interrupted (SIGINT)');
      },
    });
    stoppedEarly(run, /interrupted \(SIGINT\)/);
    assert.equal(join(run.outDir, 'result.json'), run.resultPath);
  });
});
