import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'explore', ...args], {
    encoding: 'utf8',
    env: { ...process.env, FAULTLINE_SEED: '', FAULTLINE_REPLAY: '' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

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
    assert.match(r.out, /fragile: failed on run \d+ of \d+/);
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
    ] as const) {
      const r = cli(...args);
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, message);
      assert.doesNotMatch(r.err, /\n\s+at /);
    }
  });
});
