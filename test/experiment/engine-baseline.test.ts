/**
 * The baseline a run compares with, on real runs: a system already slow before any fault is reported as such
 * (not blamed on the fault) and can be judged relative to itself; warm-up lasts until the latency settles, so a
 * slow start stays out of `before`; and a target that dies after its ready check stops the run as not ready.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { renderTextSummary } from '../../src/report/text.js';
import { heavyTestFile } from '../helpers/exclusive.js';
import { assertAllStopped, assertSoundVerdict, runFile } from './engine-helpers.js';

heavyTestFile();

const BASELINE_NOTE = /baseline already outside the promise: p99 before \d+(\.\d+)? ms/;

describe('engine: the baseline', () => {
  test('a promise broken before the first fault is reported as the baseline, everywhere; "3x before" judges the fault', async () => {
    const run = await runFile('test/fixtures/experiment/slow-baseline.yaml', { report: true });
    assert.equal(run.verdict, 'fail', run.reason);
    assert.equal(run.exitCode, 1);
    const [absolute, relative, after] = run.result.assertions;
    const before = run.result.load[0]?.kpis.before.latency.p99Ms as number;
    assert.ok(before >= 80, `every answer takes 80 ms: before p99 ${before}`);
    // under 40 ms: broken before any fault, and the result says so
    assert.equal(absolute?.passed, false);
    assert.match(absolute?.note ?? '', BASELINE_NOTE);
    // under 3× the baseline: the pause (3 s, longer than any baseline a busy machine gives) breaks it on its own
    assert.equal(relative?.name, 'p99 during < 3x before');
    assert.equal(relative?.passed, false);
    assert.equal(relative?.note, undefined);
    assert.ok((relative?.measured as number) > 3 * before, `${relative?.measured} vs ${before}`);
    assert.deepEqual(relative?.faultsActive, ['pause-api']);
    assert.match(relative?.expected ?? '', /^< 3x before \(\d+(\.\d+)? ms\)$/);
    assert.equal(after?.passed, true, `p50 after: ${after?.measured} ms, ${after?.expected}`);
    // the verdict, junit.xml, the report and the terminal summary all carry the note
    assert.match(
      run.reason,
      new RegExp(
        `p99 during < 40ms: measured \\d+ ms \\(${BASELINE_NOTE.source}\\), faults active: pause-api`,
      ),
    );
    assert.match(readFileSync(run.junitPath, 'utf8'), BASELINE_NOTE);
    assert.match(readFileSync(join(run.outDir, 'report.html'), 'utf8'), BASELINE_NOTE);
    assert.match(renderTextSummary(run.result), BASELINE_NOTE);
    const written = JSON.parse(readFileSync(run.resultPath, 'utf8'));
    assert.match(written.assertions[0].note, BASELINE_NOTE);
    assertAllStopped(run.journalPath);
  });

  test('warm-up lasts until the latency settles: the slow start stays out of the before phase', async () => {
    const run = await runFile('test/fixtures/experiment/settling.yaml');
    assertSoundVerdict(run.result);
    const w = run.result.warmup;
    assert.ok(w, 'result.json says how warm-up went');
    assert.equal(w.settled, true, w.reason);
    assert.equal(w.minMs, 1000);
    assert.ok(w.tookMs > w.minMs, `took ${w.tookMs} ms`);
    // the server's extra latency halves every second from 800 ms: four seconds on it is down to 50 ms
    const log = readFileSync(join(run.outDir, 'targets', 'api-0.log'), 'utf8');
    const started = Number(/started (\d+)/.exec(log)?.[1]);
    const before = run.result.phases.before as { startMs: number };
    assert.ok(
      before.startMs >= started + 4000,
      `before starts ${before.startMs - started} ms after the server`,
    );
    assert.ok(
      run.result.events.some((e) => e.kind === 'warmup' && /settled/.test(e.message)),
      'the run says when warm-up ended',
    );
  });

  test('a target that exits after its ready check (another process answered the probe) is not-ready, exit 4, pointing at its log', async () => {
    // the "other process" holding the port: it answers the target's probe, and tells the target it did
    let probed = false;
    const squatter: Server = createServer((req, res) => {
      if (req.url === '/health') probed = true;
      res.writeHead(req.url === '/probed' && !probed ? 503 : 200).end('ok\n');
    });
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
    const port = (squatter.address() as AddressInfo).port;
    try {
      const run = await runFile('test/fixtures/experiment/lost-target.yaml', { set: { port: String(port) } });
      assert.equal(run.verdict, 'not-ready', run.reason);
      assert.equal(run.exitCode, 4);
      assert.match(run.reason, /api-0 \(pid \d+\) exited with code 1 before the method started/);
      assert.match(run.reason, /see its log: .*targets\/api-0\.log\)/);
      const log = readFileSync(join(run.outDir, 'targets', 'api-0.log'), 'utf8');
      assert.match(log, /EADDRINUSE/);
      assert.equal(probed, true, 'the probe passed: the squatter answered it');
      assert.deepEqual(run.result.faultRuns, [], 'nothing was injected');
      assert.equal(run.result.phases.before, undefined, 'the method never started');
      assertAllStopped(run.journalPath);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  });
});
