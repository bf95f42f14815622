import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { laneOf, normalizeSeed, randomStream } from '../../src/core/random.js';

describe('random streams', () => {
  test('same seed, name and counter give the same value; values lie in [0, 1)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.string(), fc.nat(1e9), (seed, name, n) => {
        const a = randomStream(seed).fork(name).at(n);
        const b = randomStream(seed).fork(name).at(n);
        assert.equal(a, b);
        assert.ok(a >= 0 && a < 1);
      }),
    );
  });

  test('different seeds, names, counters and lanes give different values', () => {
    const root = randomStream(1);
    const seen = new Set<number>();
    for (let seed = 0; seed < 50; seed++) seen.add(randomStream(seed).fork('db.get').at(1));
    for (const name of ['a', 'b', 'db.get', 'db.set', 'db.get ']) seen.add(root.fork(name).at(1));
    for (let n = 0; n < 50; n++) seen.add(root.fork('db.get').at(n));
    for (let lane = 0; lane < 50; lane++) seen.add(root.fork('db.get').at(7, lane));
    assert.equal(seen.size, 50 + 5 + 50 + 50 - 3); // three draws repeat (seed 1/db.get/1, name db.get, counter 1, lane 0)
  });

  test('values are uniform: chi-square over 20 bins for 100,000 consecutive counters', () => {
    const s = randomStream(12345).fork('uniformity');
    const bins = new Array<number>(20).fill(0);
    const N = 100_000;
    for (let n = 1; n <= N; n++) bins[Math.floor(s.at(n) * 20)]! += 1;
    const expected = N / 20;
    const chi2 = bins.reduce((acc, o) => acc + (o - expected) ** 2 / expected, 0);
    // 19 degrees of freedom: the 99.9% critical value is 43.8.
    assert.ok(chi2 < 43.8, `chi-square ${chi2.toFixed(1)} too large: ${bins.join(',')}`);
  });

  test('neighbouring counters are uncorrelated', () => {
    const s = randomStream(7).fork('corr');
    const N = 50_000;
    let sxy = 0;
    let sx = 0;
    let sxx = 0;
    for (let n = 1; n <= N; n++) {
      const x = s.at(n);
      const y = s.at(n + 1);
      sx += x;
      sxx += x * x;
      sxy += x * y;
    }
    const mean = sx / N;
    const cov = sxy / N - mean * mean;
    const variance = sxx / N - mean * mean;
    assert.ok(Math.abs(cov / variance) < 0.02, `lag-1 correlation ${cov / variance}`);
  });

  test('forking: a child stream is independent of its siblings and reproducible', () => {
    const root = randomStream('a string seed');
    const a = Array.from({ length: 5 }, (_, i) => root.fork('x').at(i));
    const b = Array.from({ length: 5 }, (_, i) => root.fork('y').at(i));
    assert.notDeepEqual(a, b);
    assert.deepEqual(
      a,
      Array.from({ length: 5 }, (_, i) => randomStream('a string seed').fork('x').at(i)),
    );
  });

  test('next() reads a stream in order and reproduces from a fresh stream', () => {
    const a = randomStream(3).fork('conn-1');
    const b = randomStream(3).fork('conn-1');
    const xs = Array.from({ length: 100 }, () => a.nextInt(1, 6));
    assert.deepEqual(
      xs,
      Array.from({ length: 100 }, () => b.nextInt(1, 6)),
    );
    assert.deepEqual([...new Set(xs)].sort(), [1, 2, 3, 4, 5, 6]);
  });

  test('seeds: integers, bigints and numeric strings agree; bad seeds are refused', () => {
    assert.equal(normalizeSeed(42), 42);
    assert.equal(normalizeSeed('42'), 42);
    assert.equal(normalizeSeed(42n), 42);
    assert.equal(normalizeSeed(2n ** 53n + 5n), 5);
    assert.notEqual(normalizeSeed('alpha'), normalizeSeed('beta'));
    assert.throws(() => normalizeSeed(1.5), /integer/);
    assert.throws(() => normalizeSeed(Number.NaN), /integer/);
    assert.ok(laneOf('x') !== laneOf('y'));
  });

  test('a negative seed is refused, never taken as its absolute value', () => {
    for (const seed of [-5, -5n, '-5', ' -5 '])
      assert.throws(() => normalizeSeed(seed), /seed must be a whole number >= 0 or a word; got -5/);
    assert.equal(Object.is(normalizeSeed(-0), 0), true);
    // a word that starts with '-' is a word: hashed, and not the same seed as without the '-'
    assert.notEqual(normalizeSeed('-abc'), normalizeSeed('abc'));
  });
});
