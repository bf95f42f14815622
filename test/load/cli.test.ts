import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LoadResultJson } from '../../src/load/result-json.js';
import { cli } from '../helpers/cli.js';
import { startHoldingServer, startTestServer, type TestServer } from './servers.js';

let srv: TestServer;
before(async () => {
  srv = await startTestServer();
});
after(async () => {
  await srv.close();
});

describe('faultline load', () => {
  it('--json prints the result with its per-second series', async () => {
    const r = await cli(['load', `${srv.url}/x`, '--rate', '50/s', '--duration', '1s', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as LoadResultJson;
    assert.equal(result.model, 'open');
    assert.equal(result.series.format, 'faultline.load-series/1');
    assert.equal(result.summary.ok, 50);
    assert.equal(result.series.buckets[0]?.sent, 50);
    assert.equal(result.engine, 'raw');
  });

  it('--engine picks the transport', async () => {
    const r = await cli([
      'load',
      `${srv.url}/`,
      '--rate',
      '20/s',
      '--duration',
      '0.5s',
      '--engine',
      'undici',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as LoadResultJson;
    assert.equal(result.engine, 'undici');
    assert.equal(result.summary.ok, 10);
    const bad = await cli(['load', `${srv.url}/`, '--engine', 'curl']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--engine/);
  });

  it('prints plain progress lines when stdout is not a terminal, then a summary table', async () => {
    const r = await cli(['load', `${srv.url}/`, '--connections', '2', '--duration', '2.5s']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.ok(lines.filter((l) => /^\ds · sent \d+/.test(l)).length >= 2, r.stdout);
    assert.ok(!r.stdout.includes('\r'));
    assert.match(r.stdout, /^closed model, raw engine, /m);
    assert.match(r.stdout, /^latency ms +p50 /m);
  });

  it('runs a command as the load', async () => {
    const r = await cli(['load', '--command', 'exit 0', '--once', '--connections', '2', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as LoadResultJson).summary.ok, 2);
  });

  it('--threshold: exit 1 naming each broken threshold and its measured value, exit 0 when all hold', async () => {
    // every request answered 503: 100 % errors, which without thresholds exits 0
    const failing = await cli([
      'load',
      `${srv.url}/503`,
      '--rate',
      '20/s',
      '--duration',
      '0.5s',
      '--threshold',
      'error_rate<1%',
      '--threshold',
      'p99 < 10s',
    ]);
    assert.equal(failing.code, 1, failing.stderr);
    assert.equal(failing.stderr, 'faultline: threshold broken: error_rate<1%: measured 100%\n');
    assert.match(failing.stdout, /^thresholds +✗ error_rate<1%: measured 100%$/m);
    assert.match(failing.stdout, /^ +✓ p99<10s: measured [\d.]+ ms$/m);

    const holding = [
      'error_rate<=1%',
      'p50<10s',
      'p90<10s',
      'p95<10s',
      'p99<10s',
      'p99.9<10s',
      'max<10s',
      'throughput>=1/s',
      'throughput>0',
      'error_rate.5xx<0.01',
      'p99>=0ms',
    ];
    const passing = await cli([
      'load',
      `${srv.url}/`,
      '--rate',
      '20/s',
      '--duration',
      '0.5s',
      '--json',
      ...holding.flatMap((t) => ['--threshold', t]),
    ]);
    assert.equal(passing.code, 0, passing.stderr);
    const judged = (JSON.parse(passing.stdout) as LoadResultJson).thresholds;
    assert.equal(judged.length, holding.length);
    for (const t of judged) assert.ok(t.ok && typeof t.value === 'number', JSON.stringify(t));
    assert.deepEqual(
      judged.find((t) => t.metric === 'error_rate'),
      { expression: 'error_rate<=1%', metric: 'error_rate', op: '<=', limit: 0.01, value: 0, ok: true },
    );
  });

  it('--threshold on a value nothing measured is broken, not passed on a 0', async () => {
    const r = await cli([
      'load',
      `${srv.url}/hang`,
      '--rate',
      '10/s',
      '--duration',
      '0.3s',
      '--timeout',
      '200ms',
      '--threshold',
      'p99<200ms',
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /^faultline: threshold broken: p99<200ms: not measured \(no request was answered\)$/m,
    );
  });

  it('a bad --threshold exits 2 before any load, with one line naming --threshold and the text', async () => {
    for (const text of ['fast', 'p98<200ms', 'error_rate<lots', 'error_rate<150%']) {
      const r = await cli(['load', `${srv.url}/`, '--rate', '10/s', '--threshold', text]);
      assert.equal(r.code, 2, `${text}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.ok(r.stderr.startsWith(`faultline: --threshold: '${text}': `), r.stderr);
      assert.equal(r.stdout, '');
    }
  });

  it('names the cause of "other" errors (a name that never resolves) and shows no latency it did not measure', async () => {
    // RFC 6761: .invalid never resolves, and no query for it leaves the machine's resolver for the network
    const url = 'http://faultline-load-test.invalid/';
    const text = await cli(['load', url, '--rate', '20/s', '--duration', '0.5s']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^errors +other 10$/m);
    assert.match(
      text.stdout,
      /^causes +other: (ENOTFOUND|EAI_AGAIN) ×10 \(getaddrinfo \1 faultline-load-test\.invalid\)$/m,
    );
    assert.match(text.stdout, /^latency ms +p50 – +p90 – +p99 – +p99\.9 – +max –$/m);
    assert.doesNotMatch(text.stdout, /0\.000/);

    for (const engine of ['raw', 'undici']) {
      const r = await cli([
        'load',
        url,
        '--rate',
        '20/s',
        '--duration',
        '0.5s',
        '--engine',
        engine,
        '--json',
      ]);
      assert.equal(r.code, 0, r.stderr);
      const result = JSON.parse(r.stdout) as LoadResultJson;
      assert.equal(result.summary.outcomes.other, 10);
      assert.equal(result.errorCauses.length, 1, JSON.stringify(result.errorCauses));
      assert.equal(result.errorCauses[0]?.outcome, 'other');
      assert.match(result.errorCauses[0]?.cause ?? '', /^(ENOTFOUND|EAI_AGAIN)$/);
      assert.equal(result.errorCauses[0]?.count, 10);
      const l = result.summary.latency;
      assert.equal(l.count, 0);
      for (const v of [l.minMs, l.meanMs, l.p50Ms, l.p90Ms, l.p99Ms, l.p999Ms, l.maxMs])
        assert.equal(v, null);
      assert.equal(result.summary.errorRate, 1); // measured: every completed request failed
    }
  });

  it('names a TLS failure behind "other" (https to a plain-HTTP server)', async () => {
    const r = await cli([
      'load',
      srv.url.replace('http:', 'https:'),
      '--rate',
      '10/s',
      '--duration',
      '0.3s',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as LoadResultJson;
    assert.equal(result.summary.outcomes.other, 3);
    assert.equal(result.errorCauses[0]?.outcome, 'other');
    assert.match(result.errorCauses[0]?.cause ?? '', /SSL|TLS|EPROTO/);
  });

  it('a command that fails names its exit status as the cause', async () => {
    const r = await cli(['load', '--command', 'exit 3', '--once', '--connections', '2']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^causes +other: exit 3 ×2$/m);
  });

  it('--pipelining 4 --connections 1: four requests on the one connection before its first response', async () => {
    for (const model of [
      ['--duration', '1s'],
      ['--rate', '200/s', '--duration', '1s'],
    ]) {
      const held = await startHoldingServer(4);
      try {
        const r = await cli([
          'load',
          held.url,
          '--pipelining',
          '4',
          '--connections',
          '1',
          ...model,
          '--json',
        ]);
        assert.equal(r.code, 0, r.stderr);
        const result = JSON.parse(r.stdout) as LoadResultJson;
        assert.equal(result.model, model[0] === '--rate' ? 'open' : 'closed');
        assert.equal(held.batches.length, 1, `connections: ${held.batches.length}`);
        const batches = held.batches[0] as number[];
        assert.equal(batches[0], 4, `requests before the first response: ${batches.join(',')}`);
        assert.ok(Math.max(...batches) <= 4, `never more than 4 in flight: ${batches.join(',')}`);
        assert.ok(batches.filter((n) => n === 4).length >= 5, batches.join(','));
        const answered = batches.reduce((a, b) => a + b, 0);
        assert.equal(result.summary.ok, answered);
        assert.equal(result.summary.errorRate, 0);
        assert.deepEqual(result.errorCauses, []);
      } finally {
        await held.close();
      }
    }
    // without it, the same server gets one request at a time and answers each after its 200 ms wait
    const held = await startHoldingServer(4);
    try {
      const r = await cli(['load', held.url, '--connections', '1', '--duration', '0.5s', '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(held.batches.length, 1);
      const batches = held.batches[0] as number[];
      assert.ok(batches.length >= 1 && batches.every((n) => n === 1), batches.join(','));
    } finally {
      await held.close();
    }
  });

  it('a bad --pipelining exits 2 naming --pipelining, before any load', async () => {
    for (const value of ['0', '-1', '2.5', 'deep']) {
      const r = await cli(['load', `${srv.url}/`, '--pipelining', value, '--duration', '1s']);
      assert.equal(r.code, 2, `${value}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^faultline: --pipelining: .*'${value}'`));
      assert.equal(r.stdout, '');
    }
    const command = await cli(['load', '--command', 'exit 0', '--pipelining', '2']);
    assert.equal(command.code, 2);
    assert.match(command.stderr, /--pipelining: does not apply to --command/);
  });

  it('exits 2 with one line naming the bad option', async () => {
    const r = await cli(['load', `${srv.url}/`, '--rate', 'lots']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /--rate/);
    const missing = await cli(['load']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /url/);
  });
});
