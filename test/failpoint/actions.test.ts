/**
 * The actions borrowed from pingcap failpoint, fail(9) and gofail that act on the process rather than on the
 * caller — `delay`, `yield`, `break` — in a real child process (test/fixtures/failpoint/actions.ts). Each is
 * told apart from its neighbour by what it lets the event loop do, not by timing, so a busy machine changes
 * nothing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startFixture } from './helpers.js';

interface Result {
  delay: { timerFirst: boolean; ms: number };
  sleep: { timerFirst: boolean; ms: number };
  yield: boolean;
  plain: boolean;
  yieldSync: string | null;
  breakAlone: boolean;
  breakDebugged: string | null;
}

describe('delay, yield and break', () => {
  test('in a child process: delay holds the thread, yield lets ready work run, break stops in a debugger', async () => {
    const child = startFixture('actions', {
      FAULTLINE_FAILPOINTS: 'fp.delay=delay(100);fp.sleep=sleep(100);fp.yield=yield;fp.break=break',
    });
    const { code } = await child.exited;
    const line = child.lines.find((l) => l.startsWith('{'));
    assert.ok(line !== undefined, `no result (exit ${code}); stderr: ${child.stderr()}`);
    const r = JSON.parse(line) as Result;
    assert.equal(code, 0, child.stderr());

    // delay(100) spins: a timer due in 1 ms cannot run until it is over; sleep(100) lets it run
    assert.equal(r.delay.timerFirst, false);
    assert.ok(r.delay.ms >= 95, `delay took only ${r.delay.ms} ms`);
    assert.equal(r.sleep.timerFirst, true);
    assert.ok(r.sleep.ms >= 95, `sleep took only ${r.sleep.ms} ms`);

    // yield: an immediate queued before the hit runs before the caller goes on; without a term it does not
    assert.equal(r.yield, true);
    assert.equal(r.plain, false);
    assert.equal(r.yieldSync, 'FAULTLINE_FAILPOINT_SYNC_YIELD');

    // break: without a debugger the hit logs and returns; with one attached execution stops in breakHere
    assert.equal(r.breakAlone, true);
    assert.equal(r.breakDebugged, 'breakHere');
    assert.match(
      child.stderr(),
      /failpoint fp\.break hit #1 \(break\): break \(stops here if a debugger is attached\)/,
    );
  });
});
