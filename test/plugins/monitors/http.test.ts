import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../../src/load/clock.js';
import { sampleOnce } from '../../../src/monitors/sampler.js';
import { monitorImplementations } from '../../../src/plugins/monitors/index.js';
import { ctx, listen } from './helpers.js';

describe('http monitor against a real server', () => {
  let status = 200;
  let body = 'ready: yes';
  let delayMs = 0;
  let srv: Awaited<ReturnType<typeof listen>>;
  const pendingTimers = new Set<NodeJS.Timeout>();

  before(async () => {
    srv = await listen((req, res) => {
      const answer = () => {
        res.writeHead(status, { 'content-type': 'text/plain', 'x-method': req.method ?? '' });
        res.end(req.method === 'POST' ? `${body} posted` : body);
      };
      if (delayMs === 0) return answer();
      const t = setTimeout(() => {
        pendingTimers.delete(t);
        answer();
      }, delayMs);
      pendingTimers.add(t);
    });
  });
  after(async () => {
    for (const t of pendingTimers) clearTimeout(t);
    await srv.close();
  });

  const make = (o: Record<string, unknown>) =>
    monitorImplementations.create({ type: 'http', url: srv.url, ...o });

  it('is up on a 2xx by default and down when the status changes', async () => {
    status = 200;
    const m = make({});
    const up = await m.sample(ctx());
    assert.equal(up.ok, true);
    assert.equal(up.detail, 'status 200');
    status = 503;
    const down = await m.sample(ctx());
    assert.equal(down.ok, false);
    assert.match(down.error ?? '', /status 503, expected 2xx/);
    status = 200;
  });

  it('accepts an exact status or a list', async () => {
    status = 404;
    assert.equal((await make({ status: 404 }).sample(ctx())).ok, true);
    assert.equal((await make({ status: [200, 404] }).sample(ctx())).ok, true);
    assert.equal((await make({ status: '4xx' }).sample(ctx())).ok, true);
    assert.equal((await make({ status: 200 }).sample(ctx())).ok, false);
    status = 200;
  });

  it('matches the body with a regular expression, and sends method and body', async () => {
    body = 'ready: yes';
    assert.equal((await make({ body_match: 'ready: (yes|ok)' }).sample(ctx())).ok, true);
    body = 'ready: no';
    const r = await make({ body_match: 'ready: (yes|ok)' }).sample(ctx());
    assert.equal(r.ok, false);
    assert.match(r.error ?? '', /body does not match/);
    assert.equal((await make({ method: 'POST', body: 'x', body_match: 'posted$' }).sample(ctx())).ok, true);
    body = 'ready: yes';
  });

  it('is down when slower than max_latency (server delays 300 ms, limit 50 ms)', async () => {
    delayMs = 300;
    try {
      const r = await make({ max_latency: '50ms' }).sample(ctx());
      assert.equal(r.ok, false);
      assert.match(r.error ?? '', /took .* > 50 ms/);
      // Generous: the latency reported is at least the server's delay.
      assert.ok((r.latencyMs ?? 0) >= 290, `latency ${r.latencyMs}`);
    } finally {
      delayMs = 0;
    }
  });

  it('a response slower than the sample timeout is a down sample (real timers, 100 ms vs 2 s)', async () => {
    delayMs = 2000;
    try {
      const stop = new AbortController();
      const { sample, settled } = await sampleOnce(make({}), 100, systemClock, stop.signal);
      await settled;
      assert.equal(sample?.ok, false);
      assert.equal(sample?.error, 'timed out after 100 ms');
    } finally {
      delayMs = 0;
    }
  });

  it('a refused connection is a rejected sample (the sampler turns it into down)', async () => {
    const closed = await listen(() => {});
    const url = closed.url;
    await closed.close();
    const m = monitorImplementations.create({ type: 'http', url });
    const { sample } = await sampleOnce(m, 2000, systemClock, new AbortController().signal);
    assert.equal(sample?.ok, false);
    assert.match(sample?.error ?? '', /ECONNREFUSED|connect/);
  });
});
