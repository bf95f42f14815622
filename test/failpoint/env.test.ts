/**
 * FAULTLINE_FAILPOINTS and friends, in real child processes: each test starts
 * test/fixtures/failpoint/hits.ts with an environment and reads back what every hit did.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { randomStream } from '../../src/core/random.js';
import type { FailpointInfo } from '../../src/failpoint/index.js';
import { startFixture } from './helpers.js';

interface HitsResult {
  outcomes: Record<string, string[]>;
  ms: Record<string, number[]>;
  list: FailpointInfo[];
  seed: number;
  stderr: string;
  code: number | null;
}

async function runHits(env: Record<string, string>): Promise<HitsResult> {
  const child = startFixture('hits', env);
  const { code } = await child.exited;
  const line = child.lines.find((l) => l.startsWith('{'));
  assert.ok(line !== undefined, `no result from the fixture (exit ${code}); stderr: ${child.stderr()}`);
  return { ...(JSON.parse(line) as Omit<HitsResult, 'stderr' | 'code'>), stderr: child.stderr(), code };
}

const repeat = (n: number, s: string) => Array.from({ length: n }, () => s);

describe('FAULTLINE_FAILPOINTS in a child process', () => {
  test('counts and chains fire exactly as the terms say', async () => {
    const r = await runHits({
      FAULTLINE_FAILPOINTS: 'a.b=2*throw("boom")->return(1); c=3*return("x")->off; d=2*sleep(40)->off; e=off',
      FIXTURE_POINTS: 'a.b,c,d,e,untouched',
      FIXTURE_HITS: '5',
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.outcomes, {
      'a.b': ['throw:boom', 'throw:boom', 'return:1', 'return:1', 'return:1'],
      c: ['return:"x"', 'return:"x"', 'return:"x"', '-', '-'],
      d: repeat(5, '-'),
      e: repeat(5, '-'),
      untouched: repeat(5, '-'),
    });
    // the two sleeps took at least their 40 ms (only a lower bound: a loaded machine may be slower)
    for (const took of r.ms.d!.slice(0, 2)) assert.ok(took >= 35, `slept only ${took} ms`);
    const byName = Object.fromEntries(r.list.map((f) => [f.name, f]));
    assert.deepEqual(
      ['a.b', 'c', 'd', 'e', 'untouched'].map((n) => [n, byName[n]?.term, byName[n]?.hits, byName[n]?.fires]),
      [
        ['a.b', '2*throw("boom")->return(1)', 5, 5],
        ['c', '3*return("x")->off', 5, 3],
        ['d', '2*sleep(40)->off', 5, 2],
        ['e', 'off', 5, 0],
        ['untouched', null, 5, 0],
      ],
    );
  });

  test('failpointSync fires the same way', async () => {
    const r = await runHits({
      FAULTLINE_FAILPOINTS: 'a=1*throw->return([1,2])',
      FIXTURE_POINTS: 'a',
      FIXTURE_HITS: '3',
      FIXTURE_SYNC: '1',
    });
    assert.deepEqual(r.outcomes.a, [
      'throw:failpoint a fired (1*throw->return([1,2]))',
      'return:[1,2]',
      'return:[1,2]',
    ]);
  });

  test('seeded percentages: FAULTLINE_SEED reproduces which hits fired, independent of other failpoints', async () => {
    const expected = (seed: number) => {
      const stream = randomStream(seed).fork('failpoint/p');
      return Array.from({ length: 300 }, (_, i) => (stream.at(i) < 0.3 ? 'return:1' : '-'));
    };
    const [alone, withOther, otherSeed, unseeded] = await Promise.all([
      runHits({
        FAULTLINE_SEED: '42',
        FAULTLINE_FAILPOINTS: 'p=30%return(1)',
        FIXTURE_POINTS: 'p',
        FIXTURE_HITS: '300',
      }),
      runHits({
        FAULTLINE_SEED: '42',
        FAULTLINE_FAILPOINTS: 'q=50%return(2);p=30%return(1)',
        FIXTURE_POINTS: 'q,p',
        FIXTURE_HITS: '300',
      }),
      runHits({
        FAULTLINE_SEED: '43',
        FAULTLINE_FAILPOINTS: 'p=30%return(1)',
        FIXTURE_POINTS: 'p',
        FIXTURE_HITS: '300',
      }),
      runHits({ FAULTLINE_FAILPOINTS: 'p=30%return(1)', FIXTURE_POINTS: 'p', FIXTURE_HITS: '300' }),
    ]);
    assert.deepEqual(alone.outcomes.p, expected(42));
    assert.deepEqual(withOther.outcomes.p, expected(42));
    assert.deepEqual(otherSeed.outcomes.p, expected(43));
    assert.notDeepEqual(expected(43), expected(42));
    const fired = alone.outcomes.p!.filter((o) => o !== '-').length;
    assert.ok(fired > 60 && fired < 120, `${fired} of 300 fired at 30%`);

    // without a seed, the process picks one and says how to replay it
    const note = /draw from seed (\d+) \(FAULTLINE_SEED=(\d+) replays them\)/.exec(unseeded.stderr);
    assert.ok(note, unseeded.stderr);
    assert.equal(Number(note[1]), unseeded.seed);
    const replay = await runHits({
      FAULTLINE_SEED: note[2]!,
      FAULTLINE_FAILPOINTS: 'p=30%return(1)',
      FIXTURE_POINTS: 'p',
      FIXTURE_HITS: '300',
    });
    assert.deepEqual(replay.outcomes.p, unseeded.outcomes.p);
  });

  test('FAULTLINE_FAILPOINTS_OFF=1 wins: nothing fires, and it says so', async () => {
    const r = await runHits({
      FAULTLINE_FAILPOINTS_OFF: '1',
      FAULTLINE_FAILPOINTS: 'a=throw',
      FIXTURE_POINTS: 'a',
      FIXTURE_HITS: '3',
    });
    assert.deepEqual(r.outcomes.a, repeat(3, '-'));
    assert.match(r.stderr, /ignoring FAULTLINE_FAILPOINTS: FAULTLINE_FAILPOINTS_OFF=1 disables failpoints/);
  });

  test('NODE_ENV=production refuses unless FAULTLINE_ALLOW_PRODUCTION=1, and says so', async () => {
    const base = { FAULTLINE_FAILPOINTS: 'a=throw("boom")', FIXTURE_POINTS: 'a', FIXTURE_HITS: '2' };
    const [refused, allowed] = await Promise.all([
      runHits({ ...base, NODE_ENV: 'production' }),
      runHits({ ...base, NODE_ENV: 'production', FAULTLINE_ALLOW_PRODUCTION: '1' }),
    ]);
    assert.deepEqual(refused.outcomes.a, ['-', '-']);
    assert.match(
      refused.stderr,
      /refusing to activate FAULTLINE_FAILPOINTS: NODE_ENV=production; set FAULTLINE_ALLOW_PRODUCTION=1/,
    );
    assert.deepEqual(allowed.outcomes.a, ['throw:boom', 'throw:boom']);
  });

  test('every spelling of production refuses (any case, spaces around, prod), and the allow takes any yes', async () => {
    const base = { FAULTLINE_FAILPOINTS: 'a=throw("boom")', FIXTURE_POINTS: 'a', FIXTURE_HITS: '2' };
    const spellings = ['Production', 'PRODUCTION', ' production', 'prod'];
    const refused = await Promise.all(spellings.map((NODE_ENV) => runHits({ ...base, NODE_ENV })));
    refused.forEach((r, i) => {
      assert.deepEqual(
        r.outcomes.a,
        ['-', '-'],
        `NODE_ENV=${JSON.stringify(spellings[i])} applied failpoints`,
      );
      assert.match(
        r.stderr,
        /refusing to activate FAULTLINE_FAILPOINTS: NODE_ENV=(\w+|" production"); set FAULTLINE_ALLOW_PRODUCTION=1/,
      );
    });
    assert.match(refused[2]!.stderr, /NODE_ENV=" production"/);
    const [allowed, development] = await Promise.all([
      runHits({ ...base, NODE_ENV: 'Prod', FAULTLINE_ALLOW_PRODUCTION: ' True ' }),
      runHits({ ...base, NODE_ENV: 'development' }),
    ]);
    assert.deepEqual(allowed.outcomes.a, ['throw:boom', 'throw:boom'], allowed.stderr);
    assert.deepEqual(development.outcomes.a, ['throw:boom', 'throw:boom'], development.stderr);
  });

  test('NODE_ENV=PRODUCTION keeps the control endpoint from starting, and says so', async () => {
    const child = startFixture('serve', { NODE_ENV: 'PRODUCTION', FAULTLINE_FAILPOINTS_ADDR: '127.0.0.1:0' });
    try {
      await child.stderrMatch(
        /failpoint endpoint not started: refusing to start the failpoint endpoint: NODE_ENV=PRODUCTION; set FAULTLINE_ALLOW_PRODUCTION=1/,
      );
      assert.doesNotMatch(child.stderr(), /listening on/);
    } finally {
      child.kill();
    }
  });

  test('FAULTLINE_FAILPOINTS_OFF: any yes switches failpoints off, a value that is neither warns and does too', async () => {
    const base = { FAULTLINE_FAILPOINTS: 'a=throw("boom")', FIXTURE_POINTS: 'a', FIXTURE_HITS: '2' };
    const yes = ['true', 'yes', ' TRUE ', 'On'];
    const off = await Promise.all(yes.map((v) => runHits({ ...base, FAULTLINE_FAILPOINTS_OFF: v })));
    off.forEach((r, i) => {
      assert.deepEqual(
        r.outcomes.a,
        ['-', '-'],
        `FAULTLINE_FAILPOINTS_OFF=${JSON.stringify(yes[i])} was ignored`,
      );
      assert.match(
        r.stderr,
        /ignoring FAULTLINE_FAILPOINTS: FAULTLINE_FAILPOINTS_OFF=\S+ disables failpoints/,
      );
    });
    const [unknown, no, zero] = await Promise.all([
      runHits({ ...base, FAULTLINE_FAILPOINTS_OFF: 'maybe' }),
      runHits({ ...base, FAULTLINE_FAILPOINTS_OFF: 'false' }),
      runHits({ ...base, FAULTLINE_FAILPOINTS_OFF: ' 0 ' }),
    ]);
    assert.deepEqual(unknown.outcomes.a, ['-', '-']);
    assert.match(
      unknown.stderr,
      /FAULTLINE_FAILPOINTS_OFF=maybe is neither yes nor no .*; reading it as yes: failpoints are off/,
    );
    assert.deepEqual(no.outcomes.a, ['throw:boom', 'throw:boom'], no.stderr);
    assert.deepEqual(zero.outcomes.a, ['throw:boom', 'throw:boom'], zero.stderr);
    assert.doesNotMatch(no.stderr + zero.stderr, /neither yes nor no/);
  });

  test('a bad list sets nothing and names the column', async () => {
    const r = await runHits({
      FAULTLINE_FAILPOINTS: 'a=throw;b=50%x',
      FIXTURE_POINTS: 'a,b',
      FIXTURE_HITS: '2',
    });
    assert.equal(r.code, 0);
    assert.deepEqual(r.outcomes, { a: ['-', '-'], b: ['-', '-'] });
    assert.match(r.stderr, /FAULTLINE_FAILPOINTS not applied: .* at column 14: expected an action/);
  });
});
