import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { cliArgv } from '../helpers/cli.js';

function cliWith(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, [...cliArgv, 'explore', ...args], {
    encoding: 'utf8',
    env: { ...process.env, FAULTLINE_SEED: '', FAULTLINE_REPLAY: '', ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const cli = (...args: string[]) => cliWith({}, ...args);

describe('faultline explore', () => {
  test('a passing scenario exits 0', () => {
    const r = cli(
      'test/fixtures/explore/scenarios.ts',
      '--scenario',
      'robust',
      '--runs',
      '30',
      '--seed',
      '1',
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /robust: 30 runs passed \(base seed 1\)/);
  });

  test('a failing scenario exits 1 with its minimal schedule, and --replay reproduces it', () => {
    const r = cli('test/fixtures/explore/scenarios.ts', '--runs', '200', '--seed', '2');
    assert.equal(r.code, 1, r.err);
    // the run that failed, out of the runs asked for (not out of the runs made before stopping)
    const run = r.out.match(/fragile: failed on run (\d+) of 200 \(/)?.[1];
    assert.ok(run, r.out);
    assert.match(r.err, new RegExp(`fragile: run ${run}/200 failed, shrinking`));
    assert.match(r.out, /minimal fault schedule \(1 of \d+/);
    assert.match(r.out, /counter\.add #\d+ rejected with ETIMEDOUT/);
    const line = r.out.match(/reproduce: (FAULTLINE_REPLAY=\S+)/)?.[1];
    assert.ok(line);
    const again = cli('test/fixtures/explore/scenarios.ts', '--scenario', 'fragile', '--replay', line);
    assert.equal(again.code, 1);
    assert.match(again.out, /fragile: replay FAILED: lost 1 of 10 adds/);
  });

  test('bad input: missing file, unknown scenario, bad --runs → exit 2 with one line', () => {
    for (const [args, message] of [
      [['nope.ts'], /FILE: no such file: nope\.ts/],
      [
        ['test/fixtures/explore/scenarios.ts', '--scenario', 'zzz'],
        /--scenario: .* exports no scenario named "zzz" \(it has: fragile, robust\)/,
      ],
      [['test/fixtures/explore/scenarios.ts', '--runs', '0'], /--runs: must be a whole number >= 1/],
      [
        ['test/fixtures/explore/scenarios.ts', '--replay', ''],
        /--replay: is empty; give the reproduce: line explore printed/,
      ],
      [['test/fixtures/explore/scenarios.ts', '--replay', '  '], /--replay: is empty/],
      [
        ['test/fixtures/explore/scenarios.ts', '--seed', '-5'],
        /--seed: must be a whole number >= 0 or a word; got -5 \(a negative seed is refused, not taken as 5\)/,
      ],
      [['test/fixtures/explore/scenarios.ts', '--seed=-5'], /--seed: must be a whole number >= 0/],
      [['test/fixtures/explore/scenarios.ts', '--seed', ''], /--seed: is empty/],
    ] as const) {
      const r = cli(...args);
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, message);
      assert.doesNotMatch(r.err, /\n\s+at /);
    }
  });

  test('FAULTLINE_SEED=-5 is refused by name; an empty FAULTLINE_REPLAY still means unset', () => {
    const r = cliWith({ FAULTLINE_SEED: '-5' }, 'test/fixtures/explore/scenarios.ts', '--scenario', 'robust');
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /FAULTLINE_SEED: must be a whole number >= 0 or a word; got -5/);
    assert.doesNotMatch(r.err, /\n\s+at /);
    const ok = cli(
      'test/fixtures/explore/scenarios.ts',
      '--scenario',
      'robust',
      '--runs',
      '3',
      '--seed',
      '5',
    );
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /robust: 3 runs passed \(base seed 5\)/);
  });

  test('a nondeterministic failure prints no reproduce: line', () => {
    const r = cli('test/fixtures/explore/nondeterministic.ts', '--runs', '5', '--seed', '1');
    assert.equal(r.code, 1, r.err);
    assert.match(r.out, /clockBound: failed on run 1 of 5/);
    assert.match(r.out, /unseeded randomness or real time/);
    assert.doesNotMatch(r.out, /reproduce:|FAULTLINE_REPLAY=/);
    assert.match(r.out, /no reproduce line: .* explore again from base seed 1/);
  });
});
