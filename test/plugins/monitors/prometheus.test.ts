import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Gauge, Registry } from 'prom-client';
import { monitorImplementations } from '../../../src/plugins/monitors/index.js';
import { promQuery, promQueryValue } from '../../../src/plugins/monitors/support/promql.js';
import { closedPort } from '../harness/monitors/monitor.js';
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

describe('prometheus monitor: aggregate over every series, and over the instances at several ports', () => {
  // three prom-client exporters, as three replicas of one service would be; the third never answers (paused)
  const registries = [new Registry(), new Registry()];
  const queues = registries.map(
    (r) => new Gauge({ name: 'queue_depth', help: 'Jobs waiting', labelNames: ['peer'], registers: [r] }),
  );
  const exporters: Awaited<ReturnType<typeof listen>>[] = [];
  let silent: Awaited<ReturnType<typeof listen>>;
  const port = (url: string) => Number(new URL(url).port);
  before(async () => {
    queues[0]?.set({ peer: 'b' }, 5);
    queues[0]?.set({ peer: 'c' }, 7);
    queues[1]?.set({ peer: 'a' }, 30);
    for (const r of registries)
      exporters.push(
        await listen((_req, res) => {
          r.metrics().then(
            (text) => res.writeHead(200, { 'content-type': r.contentType }).end(text),
            () => res.writeHead(500).end(),
          );
        }),
      );
    silent = await listen(() => {});
  });
  after(async () => {
    for (const e of exporters) await e.close();
    await silent.close();
  });
  const make = (o: Record<string, unknown>) =>
    monitorImplementations.create({ type: 'prometheus', metric: 'queue_depth', ...o });

  it('sum, min, max, mean and count combine every matching series of one endpoint', async () => {
    const endpoint = `${exporters[0]?.url}/metrics`;
    const got: Record<string, number | undefined> = {};
    for (const aggregate of ['sum', 'min', 'max', 'mean', 'count'])
      got[aggregate] = (await make({ endpoint, aggregate }).sample(ctx())).value;
    assert.deepEqual(got, { sum: 12, min: 5, max: 7, mean: 6, count: 2 });
    const one = await make({ endpoint, aggregate: 'sum', labels: { peer: 'c' } }).sample(ctx());
    assert.equal(one.value, 7);
    assert.equal(one.detail, 'sum(queue_depth{peer="c"}) = 7');
  });

  it('ports scrapes the endpoint at each port; one that is closed or silent is left out, and said so', async () => {
    const [a, b] = exporters.map((e) => port(e.url));
    const endpoint = 'http://127.0.0.1:1/metrics';
    const all = await make({ endpoint, ports: `${a},${b}`, aggregate: 'sum' }).sample(ctx());
    assert.equal(all.ok, true, all.error);
    assert.equal(all.value, 42);
    assert.equal(all.detail, 'sum(queue_depth) = 42 over 2 of 2 endpoints');

    // the silent one gets half the sample's time: had it taken all of it, the sample would be down
    const closed = await closedPort();
    const some = await make({
      endpoint,
      ports: `${a}, ${closed},${port(silent.url)}`,
      aggregate: 'max',
    }).sample(ctx(2000));
    assert.equal(some.ok, true, some.error);
    assert.equal(some.value, 7);
    assert.match(some.detail ?? '', /over 1 of 3 endpoints \(left out: /);
    assert.match(some.detail ?? '', new RegExp(`127\\.0\\.0\\.1:${closed}/metrics: .*ECONNREFUSED`));
    assert.match(
      some.detail ?? '',
      new RegExp(`127\\.0\\.0\\.1:${port(silent.url)}/metrics: no answer in 1000 ms`),
    );
  });

  it('is down when no endpoint answers, or none has the series', async () => {
    const closed = await closedPort();
    const none = await make({
      endpoint: 'http://127.0.0.1:1/metrics',
      ports: closed,
      aggregate: 'sum',
    }).sample(ctx());
    assert.equal(none.ok, false);
    assert.match(
      none.error ?? '',
      /^no endpoint answered: http:\/\/127\.0\.0\.1:\d+\/metrics: .*ECONNREFUSED/,
    );
    const endpoint = `${exporters[0]?.url}/metrics`;
    const noSeries = await make({ endpoint, aggregate: 'sum', labels: { peer: 'z' } }).sample(ctx());
    assert.equal(noSeries.ok, false);
    assert.match(noSeries.error ?? '', /no series queue_depth\{peer="z"\}/);
    // count of nothing is a number
    assert.equal(
      (await make({ endpoint, aggregate: 'count', labels: { peer: 'z' } }).sample(ctx())).value,
      0,
    );
  });

  it('bad options name the field', () => {
    const endpoint = 'http://127.0.0.1:1/metrics';
    assert.throws(() => make({ endpoint, ports: '8101,8102' }), /aggregate.*required with ports/s);
    assert.throws(() => make({ endpoint, ports: '8101,x', aggregate: 'sum' }), /ports.*"x" is not a port/s);
    assert.throws(() => make({ endpoint, ports: 70000, aggregate: 'sum' }), /ports/);
    assert.throws(() => make({ endpoint, aggregate: 'median' }), /aggregate/);
    assert.throws(
      () =>
        monitorImplementations.create({ type: 'prometheus', api: endpoint, query: 'up', aggregate: 'sum' }),
      /aggregate.*in a PromQL query, aggregate there/s,
    );
    // a placeholder is checked once the targets run
    assert.doesNotThrow(() => make({ endpoint, ports: '{{targets.replicas.ports.http}}', aggregate: 'sum' }));
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
