import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runLoad, startLoad } from '../../src/load/http-runner.js';
import { totalOutcomes } from '../../src/load/samples.js';
import { thrownField } from '../helpers/option-error.js';
import { closedPort, startTestServer, type TestServer } from './servers.js';

// What these tests judge holds on a busy machine (lower bounds, counts, one model against the other in the same
// test), so they run beside other files.

/** The tests run once per engine: the engine is the transport only, results must not depend on it. */
const ENGINES = ['raw', 'undici'] as const;

let srv: TestServer;
before(async () => {
  srv = await startTestServer();
});
after(async () => {
  await srv.close();
});

for (const engine of ENGINES) {
  describe(`${engine} engine`, () => {
    describe('open model against a real server', () => {
      it('sends 500 req/s over 4 s, never ahead of its schedule, as seen by the server', async () => {
        const from = srv.arrivals.length;
        const t0 = performance.now();
        const r = await runLoad({ url: `${srv.url}/`, rate: 500, durationMs: 4000, engine });
        const arrivals = srv.arrivals.slice(from);
        assert.equal(arrivals.length, 2000);
        // An open model never sends early, at any speed: request i leaves no sooner than i / 500 s after the
        // start, so the i-th arrival cannot come sooner either (2 ms of timer rounding allowed). How closely it
        // keeps the rate on a busy machine is measured in bench/ (the load suite), not judged here.
        const early = arrivals.findIndex((t, i) => t < t0 + i * 2 - 2);
        assert.equal(
          early,
          -1,
          `arrival ${early} came ${(t0 + early * 2 - (arrivals[early] ?? 0)).toFixed(1)} ms early`,
        );
        assert.deepEqual(
          r.series.buckets.map((b) => b.sent),
          Array.from({ length: 4 }, () => 500),
        );
        assert.equal(r.summary.ok, 2000);
        assert.equal(r.summary.errorRate, 0);
        assert.equal(r.engine, engine);
        // every send's lateness is recorded; its size depends on the machine and is the bench's to report
        assert.ok(r.scheduling && r.scheduling.count === 2000);
        assert.ok(r.scheduling.p99Us >= 0);
      });

      it('shows a 1 s server stall in p99, which the closed model hides (both shown)', async () => {
        const stall = async (model: 'open' | 'closed') => {
          const run = startLoad(
            model === 'open'
              ? { url: `${srv.url}/`, rate: 200, durationMs: 3000, engine }
              : { url: `${srv.url}/`, connections: 2, durationMs: 3000, engine },
          );
          const t = setTimeout(() => srv.stallUntil(performance.now() + 1000), 1000);
          try {
            return await run.done;
          } finally {
            clearTimeout(t);
          }
        };
        const open = await stall('open');
        const closed = await stall('closed');
        const show = (r: typeof open) =>
          `${r.model}: ${r.summary.completed} requests, p50 ${r.summary.latency.p50Ms} ms, p99 ${r.summary.latency.p99Ms} ms, max ${r.summary.latency.maxMs} ms`;
        process.stdout.write(`# ${show(open)}\n# ${show(closed)}\n`);
        // Open: about a quarter of the requests were meant to go out during the stall and waited up to 1 s.
        assert.ok(open.summary.latency.p99Ms > 500, show(open));
        // Closed: only the 2 users' in-flight requests waited; thousands of fast ones bury them below p99.
        assert.ok(closed.summary.latency.maxMs > 500, show(closed));
        // measured side by side in this test: the closed model's p99 hides what the open model's shows
        assert.ok(
          closed.summary.latency.p99Ms < open.summary.latency.p99Ms / 2,
          `${show(open)}; ${show(closed)}`,
        );
        // The stalled second carries the latency in the open model's series.
        const worst = Math.max(...open.series.buckets.map((b) => b.latency.p99Ms));
        assert.ok(worst > 500);
      });
    });

    describe('outcome classification', () => {
      const oneKind = async (url: string) =>
        runLoad({ url, rate: 20, durationMs: 500, timeoutMs: 300, connections: 4, engine });

      it('counts a reset connection as reset', async () => {
        const r = await oneKind(`${srv.url}/reset`);
        assert.equal(r.summary.outcomes.reset, 10);
        assert.equal(r.summary.latency.count, 0);
      });

      it('counts a server that never answers as timeout', async () => {
        const r = await oneKind(`${srv.url}/hang`);
        assert.equal(r.summary.outcomes.timeout, 10);
      });

      it('counts 503 as 5xx with its latency', async () => {
        const r = await oneKind(`${srv.url}/503`);
        assert.equal(r.summary.outcomes['5xx'], 10);
        assert.equal(r.summary.errorRates['5xx'], 1);
        assert.equal(r.summary.latency.count, 10);
      });

      it('counts a closed port as refused', async () => {
        const r = await oneKind(`http://127.0.0.1:${await closedPort()}/`);
        assert.equal(r.summary.outcomes.refused, 10);
      });

      it('leaves every bucket drained: sent = Σ outcomes', async () => {
        const r = await oneKind(`${srv.url}/503`);
        for (const b of r.series.buckets) assert.equal(b.sent, totalOutcomes(b.outcomes));
      });
    });

    describe('templates, closed model and stopping', () => {
      it('sends the seeded templates: path, header and body filled per request', async () => {
        const from = srv.seen.length;
        const r = await runLoad({
          url: srv.url,
          engine,
          rate: 100,
          durationMs: 300,
          seed: 9,
          requests: {
            method: 'POST',
            path: '/items/{{key}}',
            headers: { 'x-user': '{{user}}' },
            body: 'k={{key}}',
          },
          vars: { key: { kind: 'zipf', n: 50 }, user: { kind: 'oneOf', values: ['ann', 'bob'] } },
        });
        assert.equal(r.summary.ok, 30);
        const seen = srv.seen.slice(from);
        assert.equal(seen.length, 30);
        for (const s of seen) {
          const key = /^\/items\/(\d+)$/.exec(s.path)?.[1];
          assert.ok(key && Number(key) >= 1 && Number(key) <= 50, s.path);
          assert.equal(s.body, `k=${key}`);
          assert.ok(s.user === 'ann' || s.user === 'bob');
        }
      });

      it('runs N closed-model users with think time', async () => {
        const r = await runLoad({
          url: `${srv.url}/`,
          connections: 3,
          thinkTimeMs: 50,
          durationMs: 1000,
          engine,
        });
        // Each user: a request, then 50 ms of thinking; at most 1000/50 = 20 rounds each.
        assert.ok(r.summary.ok > 3 && r.summary.ok <= 63, `ok=${r.summary.ok}`);
        assert.equal(r.scheduling, undefined);
      });

      it('stops early on abort and still records what was outstanding', async () => {
        const ac = new AbortController();
        const run = startLoad({
          url: `${srv.url}/`,
          connections: 2,
          durationMs: 60_000,
          signal: ac.signal,
          engine,
        });
        setTimeout(() => ac.abort(), 200);
        const r = await run.done;
        assert.equal(r.stopped, true);
        assert.ok(r.elapsedMs < 5000);
        assert.equal(r.summary.sent, r.summary.completed);
      });
    });
  });
}

describe('options', () => {
  it('rejects bad options naming the field', () => {
    const field = thrownField;
    assert.equal(
      field(() => startLoad({ url: srv.url, rate: -5 })),
      'rate',
    );
    assert.equal(
      field(() => startLoad({ url: srv.url, connections: 0 })),
      'connections',
    );
    assert.equal(
      field(() => startLoad({ url: srv.url, rate: 5, rampMs: 20_000, durationMs: 1000 })),
      'rampMs',
    );
    assert.equal(
      field(() => startLoad({ url: 'ftp://x/' })),
      'url',
    );
    assert.equal(
      field(() => startLoad({ url: 'https://127.0.0.1:1/', engine: 'raw' })),
      'engine',
    );
    assert.equal(
      field(() => startLoad({ url: srv.url, engine: 'curl' as 'raw' })),
      'engine',
    );
  });

  it('picks the raw engine for http: and undici for https: unless told otherwise', async () => {
    const short = { durationMs: 50, connections: 1 };
    assert.equal((await runLoad({ url: srv.url, ...short })).engine, 'raw');
    assert.equal((await runLoad({ url: srv.url, engine: 'undici', ...short })).engine, 'undici');
    const tls = startLoad({ url: 'https://127.0.0.1:1/', ...short, timeoutMs: 200 });
    assert.equal((await tls.done).engine, 'undici');
  });
});
