import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Gauge, Registry } from 'prom-client';
import { monitorImplementations } from '../../../src/plugins/monitors/index.js';
import { promQuery, promQueryValue } from '../../../src/plugins/monitors/support/promql.js';
import { ctx, listen } from './helpers.js';

const fixture = async (name: string) =>
  JSON.parse(await readFile(new URL(`../../fixtures/monitors/${name}`, import.meta.url), 'utf8')) as unknown;

describe('prometheus monitor: scraping /metrics written by prom-client', () => {
  const registry = new Registry();
  const depth = new Gauge({
    name: 'queue_depth',
    help: 'Jobs waiting',
    labelNames: ['queue'],
    registers: [registry],
  });
  let srv: Awaited<ReturnType<typeof listen>>;
  let broken = false;
  before(async () => {
    depth.set({ queue: 'emails "urgent"' }, 120);
    depth.set({ queue: 'reports' }, 4);
    srv = await listen((_req, res) => {
      if (broken) {
        res.writeHead(500).end('oops');
        return;
      }
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    });
  });
  after(() => srv.close());

  const make = (labels?: Record<string, string>, metric = 'queue_depth') =>
    monitorImplementations.create({ type: 'prometheus', endpoint: `${srv.url}/metrics`, metric, labels });

  it('reads the series with the given labels, and follows changes', async () => {
    const r = await make({ queue: 'emails "urgent"' }).sample(ctx());
    assert.equal(r.ok, true);
    assert.equal(r.value, 120);
    depth.set({ queue: 'emails "urgent"' }, 80);
    assert.equal((await make({ queue: 'emails "urgent"' }).sample(ctx())).value, 80);
  });

  it('is down when no series or several series match, or the scrape fails', async () => {
    const none = await make({ queue: 'nope' }).sample(ctx());
    assert.equal(none.ok, false);
    assert.match(none.error ?? '', /no series queue_depth\{queue="nope"\}/);
    const many = await make().sample(ctx());
    assert.equal(many.ok, false);
    assert.match(many.error ?? '', /2 series match/);
    broken = true;
    try {
      const r = await make({ queue: 'reports' }).sample(ctx());
      assert.equal(r.ok, false);
      assert.match(r.error ?? '', /status 500/);
    } finally {
      broken = false;
    }
  });
});

describe('PromQL instant query: response envelope', () => {
  it('reads one value from a vector and a scalar; errors say why', async () => {
    assert.deepEqual(promQueryValue(await fixture('query-vector.json')), {
      time: 1700000000.123,
      value: 42.5,
      metric: { job: 'app' },
    });
    assert.equal(
      promQueryValue({ status: 'success', data: { resultType: 'scalar', result: [1, '+Inf'] } }).value,
      Infinity,
    );
    assert.throws(
      () => promQueryValue({ status: 'success', data: { resultType: 'vector', result: [] } }),
      /got 0/,
    );
    assert.throws(() => promQueryValue(null), /not a Prometheus API response/);
  });
  it('reports the API error text', async () => {
    const captured = await fixture('query-error.json');
    assert.throws(() => promQueryValue(captured), /query failed: bad_data: invalid parameter "query"/);
    assert.throws(
      () => promQueryValue(JSON.parse('{"status":"error","errorType":"bad_data","error":"parse error"}')),
      /bad_data: parse error/,
    );
  });
});

/** A real Prometheus (Debian's package) scraping our /metrics on a loopback port. */
describe('PromQL against a real Prometheus', () => {
  const registry = new Registry();
  const depth = new Gauge({ name: 'faultline_test_depth', help: 'Test gauge', registers: [registry] });
  let app: Awaited<ReturnType<typeof listen>>;
  let prom: ChildProcess | undefined;
  let dir = '';
  let api = '';

  before(async () => {
    depth.set(137);
    app = await listen((_req, res) => {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    });
    dir = await mkdtemp(join(tmpdir(), 'faultline-prom-'));
    const config = join(dir, 'prometheus.yml');
    const target = new URL(app.url).host;
    await writeFile(
      config,
      `global:\n  scrape_interval: 200ms\n  scrape_timeout: 150ms\nscrape_configs:\n  - job_name: app\n    static_configs:\n      - targets: ['${target}']\n`,
    );
    prom = spawn(
      'prometheus',
      [
        `--config.file=${config}`,
        '--web.listen-address=127.0.0.1:0',
        `--storage.tsdb.path=${join(dir, 'data')}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    // Prometheus logs the address it bound (port 0 → a free port) and then that it is ready.
    api = await new Promise<string>((resolve, reject) => {
      let log = '';
      let addr = '';
      prom?.once('error', reject);
      prom?.once('exit', (code) => reject(new Error(`prometheus exited ${code}: ${log.slice(-500)}`)));
      prom?.stderr?.setEncoding('utf8').on('data', (d: string) => {
        log += d;
        const m = /msg="Listening on" address=(\S+)/.exec(log);
        if (m) addr = m[1] as string;
        if (addr && log.includes('Server is ready to receive web requests')) resolve(`http://${addr}`);
      });
    });
    prom.removeAllListeners('exit');
  });

  after(async () => {
    if (prom && prom.exitCode === null) {
      const exited = new Promise((r) => prom?.once('exit', r));
      prom.kill('SIGTERM');
      await exited;
    }
    await app.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a monitor reads the value of a query once Prometheus has scraped our exporter', async () => {
    const monitor = monitorImplementations.create({
      type: 'prometheus',
      api,
      query: 'max(faultline_test_depth)',
    });
    // No event says "scraped"; poll the API (the thing under test) with a generous 20 s deadline.
    const deadline = Date.now() + 20_000;
    let last: Awaited<ReturnType<typeof monitor.sample>> | undefined;
    while (Date.now() < deadline) {
      last = await monitor.sample(ctx()).catch((e: Error) => ({ ok: false, error: e.message }));
      if (last.ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(last?.ok, true, last?.error);
    assert.equal(last?.value, 137);
  });

  it('an invalid query is an error quoting Prometheus', async () => {
    await assert.rejects(promQuery(api, 'max(('), /query failed: bad_data/);
  });
});
