/**
 * The generator in a worker thread: the same requests, counts and outcomes as in the caller's thread against a
 * real server, a synchronous `series()` / `progress()` while it runs, stop and abort, and the lag hook inside the
 * worker's own thread.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runLoad, startLoad } from '../../src/load/http-runner.js';
import { LAG_WARNING } from '../../src/load/lag.js';
import { totalOutcomes } from '../../src/load/samples.js';
import { thrownField } from '../helpers/option-error.js';
import { startTestServer, type TestServer } from './servers.js';

let srv: TestServer;
before(async () => {
  srv = await startTestServer();
});
after(async () => {
  await srv.close();
});

describe('the open model in a worker thread', () => {
  it('sends the same seeded requests with the same counts and outcomes as in the main thread', async () => {
    const outcomes = [];
    const paths = [];
    for (const thread of ['main', 'worker'] as const) {
      const from = srv.seen.length;
      const r = await runLoad({
        url: srv.url,
        rate: 100,
        durationMs: 2000,
        thread,
        seed: 7,
        requests: [
          { path: '/items/{{key}}', weight: 3 },
          { path: '/503', weight: 1 },
        ],
        vars: { key: { kind: 'uniform', min: 1, max: 1000 } },
      });
      assert.equal(r.model, 'open');
      assert.deepEqual(
        r.series.buckets.map((b) => b.sent),
        [100, 100],
      );
      for (const b of r.series.buckets) assert.equal(totalOutcomes(b.outcomes), b.sent);
      outcomes.push(r.series.buckets.map((b) => b.outcomes));
      paths.push(
        srv.seen
          .slice(from)
          .map((s) => s.path)
          .sort(),
      );
    }
    assert.deepEqual(outcomes[1], outcomes[0]);
    assert.deepEqual(paths[1], paths[0]);
    assert.ok((outcomes[0]?.[0]?.['5xx'] ?? 0) > 0, 'the mix reached /503');
  });

  it('counts 503 as 5xx, an ok list as ok, and keeps its engine', async () => {
    const plain = await runLoad({ url: `${srv.url}/503`, rate: 50, durationMs: 1000, thread: 'worker' });
    assert.equal(plain.summary.outcomes['5xx'], 50);
    assert.equal(plain.engine, 'raw');
    const listed = await runLoad({
      url: `${srv.url}/503`,
      rate: 50,
      durationMs: 1000,
      thread: 'worker',
      okStatus: ['2xx', 503],
      engine: 'undici',
    });
    assert.equal(listed.summary.ok, 50);
    assert.equal(listed.engine, 'undici');
  });

  it('answers series() and progress() synchronously while it runs, and reports progress', async () => {
    let reported!: () => void;
    const firstReport = new Promise<void>((resolve) => {
      reported = resolve;
    });
    const run = startLoad({
      url: srv.url,
      rate: 100,
      durationMs: 3000,
      thread: 'worker',
      progressIntervalMs: 500,
      onProgress: () => reported(),
    });
    // Once the worker reports progress it has started: a synchronous snapshot must then show what it sent.
    await firstReport;
    const p = run.progress();
    assert.ok(p.sent > 0, `progress() sent ${p.sent}`);
    const s = run.series();
    assert.ok(s.buckets.length >= 1);
    assert.ok(s.buckets.reduce((n, b) => n + b.sent, 0) > 0);
    run.stop();
    const r = await run.done;
    assert.equal(r.stopped, true);
    assert.ok(r.summary.sent < 300);
    assert.equal(r.summary.sent, r.summary.completed);
    assert.deepEqual(run.series(), r.series);
    assert.equal(run.progress().sent, r.summary.sent);
  });

  it('stops on an abort signal, even one aborted before the worker started', async () => {
    const ac = new AbortController();
    ac.abort();
    const r = await runLoad({
      url: srv.url,
      rate: 100,
      durationMs: 10_000,
      thread: 'worker',
      signal: ac.signal,
    });
    assert.equal(r.stopped, true);
    assert.ok(r.summary.sent < 100, `sent ${r.summary.sent}`);
  });

  it('measures the lag of its own thread: a blocked worker loop shows, with the warning', async () => {
    const r = await runLoad({
      url: srv.url,
      rate: 200,
      durationMs: 3000,
      thread: 'worker',
      blockLoop: { everyMs: 1000, forMs: 200 },
    });
    // every arrival due in a block is sent late by about the block's length (the event-loop figure is read once
    // a second and can miss a block that straddles the read: lag.test.ts)
    const worst = Math.max(...r.series.buckets.map((b) => b.lag?.sendMaxMs ?? 0));
    assert.ok(worst >= 150, `send lag max ${worst} ms`);
    assert.ok(r.lag?.warning?.startsWith(LAG_WARNING), r.lag?.warning);
    assert.equal(r.summary.ok, 600);
  });

  it('refuses bad options in the caller, synchronously, naming the field', () => {
    assert.equal(
      thrownField(() => startLoad({ url: srv.url, rate: -1, thread: 'worker' })),
      'rate',
    );
    assert.equal(
      thrownField(() => startLoad({ url: srv.url, rate: 1, thread: 'worker', ok: () => true })),
      'thread',
    );
    assert.equal(
      thrownField(() => startLoad({ url: srv.url, rate: 1, thread: 'elsewhere' as 'main' })),
      'thread',
    );
    assert.equal(
      thrownField(() => startLoad({ url: 'https://127.0.0.1:1/', rate: 1, thread: 'worker', engine: 'raw' })),
      'engine',
    );
  });
});
