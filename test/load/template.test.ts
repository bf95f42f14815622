import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomStream } from '../../src/core/random.js';
import { parseDuration, parseRate } from '../../src/load/parse.js';
import { createRequestFactory, parseVariableSpec } from '../../src/load/template.js';
import { createZipf } from '../../src/load/zipf.js';
import { thrownField } from '../helpers/option-error.js';

describe('zipf sampler', () => {
  it('matches the Zipf(100, 1) probabilities of the hottest keys within 1.5 points over 40 000 draws', () => {
    const z = createZipf(100, 1);
    const s = randomStream(7).fork('test/zipf');
    const counts = new Map<number, number>();
    const N = 40_000;
    for (let i = 0; i < N; i++) {
      const k = z.sample((a) => s.at(i, a));
      assert.ok(k >= 1 && k <= 100);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    let h = 0;
    for (let k = 1; k <= 100; k++) h += 1 / k;
    for (const k of [1, 2, 3, 10]) {
      const p = 1 / k / h;
      const got = (counts.get(k) ?? 0) / N;
      assert.ok(Math.abs(got - p) < 0.015, `k=${k}: ${got} vs ${p}`);
    }
  });
});

describe('request factory', () => {
  it('fills placeholders from the seed: same seed, same requests; another seed, other requests', () => {
    const opts = {
      url: 'http://127.0.0.1:9/',
      requests: {
        method: 'post',
        path: '/items/{{key}}',
        headers: { 'x-user': '{{user}}' },
        body: '{"key":{{key}}}',
      },
      vars: {
        key: { kind: 'uniform' as const, min: 1, max: 1_000_000 },
        user: { kind: 'oneOf' as const, values: ['ann', 'bob'] },
      },
    };
    const a = createRequestFactory({ ...opts, seed: 1 });
    const b = createRequestFactory({ ...opts, seed: 1 });
    const c = createRequestFactory({ ...opts, seed: 2 });
    const r = a.build(5);
    assert.equal(r.method, 'POST');
    const key = /^\/items\/(\d+)$/.exec(r.path)?.[1];
    assert.ok(key, r.path);
    assert.equal(r.body, `{"key":${key}}`, 'one draw per variable per request');
    assert.ok(r.headers?.['x-user'] === 'ann' || r.headers?.['x-user'] === 'bob');
    assert.deepEqual(b.build(5), r);
    const paths = (f: typeof a) => Array.from({ length: 20 }, (_, i) => f.build(i).path).join();
    assert.equal(paths(a), paths(b));
    assert.notEqual(paths(a), paths(c));
  });

  it('picks from a weighted mix in proportion to the weights', () => {
    const f = createRequestFactory({
      url: 'http://127.0.0.1:9/',
      seed: 3,
      requests: [
        { path: '/read', weight: 9 },
        { path: '/write', method: 'PUT', weight: 1 },
      ],
    });
    let writes = 0;
    for (let i = 0; i < 10_000; i++) if (f.build(i).path === '/write') writes += 1;
    assert.ok(writes > 850 && writes < 1150, `writes=${writes}`);
  });

  it('names the field of bad input', () => {
    const field = thrownField;
    assert.equal(
      field(() => createRequestFactory({ url: 'nope' })),
      'url',
    );
    assert.equal(
      field(() => createRequestFactory({ url: 'http://x/', requests: { path: '/{{k}}' } })),
      'request.path',
    );
    assert.equal(
      field(() => createRequestFactory({ url: 'http://x/', requests: [{ weight: 0 }, { weight: 0 }] })),
      'requests.weight',
    );
    assert.equal(
      field(() => parseVariableSpec('zipf:abc', '--var key')),
      '--var key',
    );
    assert.equal(
      field(() => parseRate('fast', '--rate')),
      '--rate',
    );
    assert.equal(
      field(() => parseDuration('-3s', '--duration')),
      '--duration',
    );
  });

  it('parses durations, rates and variable specs', () => {
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('2m'), 120_000);
    assert.equal(parseRate('500/s'), 500);
    assert.equal(parseRate('3000/m'), 50);
    assert.equal(parseRate('20'), 20);
    assert.deepEqual(parseVariableSpec('zipf:1000:1.2'), { kind: 'zipf', n: 1000, s: 1.2 });
    assert.deepEqual(parseVariableSpec('uniform:1-10'), { kind: 'uniform', min: 1, max: 10 });
  });
});
