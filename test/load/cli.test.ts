import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LoadResult } from '../../src/load/http-runner.js';
import { cli } from '../helpers/cli.js';
import { startTestServer, type TestServer } from './servers.js';

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
    const result = JSON.parse(r.stdout) as LoadResult;
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
    const result = JSON.parse(r.stdout) as LoadResult;
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
    assert.equal((JSON.parse(r.stdout) as LoadResult).summary.ok, 2);
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
