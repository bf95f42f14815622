import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';

// The child is a test run of its own, not a subtest of this one.
const { NODE_TEST_CONTEXT: _, ...parentEnv } = process.env;

function runFixture(env: Record<string, string> = {}) {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-reporter=spec', 'test/fixtures/explore/retry.chaos.ts'],
    { encoding: 'utf8', env: { ...parentEnv, ...env, FAULTLINE_SEED: '' } },
  );
  return { code: r.status, out: r.stdout + r.stderr };
}

function runVitest(env: Record<string, string> = {}) {
  const r = spawnSync(
    process.execPath,
    ['node_modules/vitest/vitest.mjs', 'run', '--root', 'test/fixtures/explore', 'retry.chaos.spec'],
    { encoding: 'utf8', env: { ...parentEnv, ...env, FAULTLINE_SEED: '', CI: 'true', NO_COLOR: '1' } },
  );
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('chaosTest with node:test', () => {
  test('a failing scenario fails its test with seed, minimal schedule and reproduction line; the line replays it', () => {
    const first = runFixture();
    assert.equal(first.code, 1, first.out);
    assert.match(
      first.out,
      /reads survive a flaky database: failed on run \d+ of \d+ \(seed \d+; base seed 11\)/,
    );
    assert.match(first.out, /minimal fault schedule \(3 of \d+/);
    const schedule = first.out.match(/db\.get #\d+ rejected with ECONNRESET \(rule flaky\)/g);
    assert.equal(new Set(schedule).size, 3);
    const line = first.out.match(/reproduce: (FAULTLINE_REPLAY=[A-Za-z0-9_-]+)/)?.[1];
    assert.ok(line, 'a reproduction line is printed');
    const pinned = runFixture({ FAULTLINE_REPLAY: line.slice('FAULTLINE_REPLAY='.length) });
    assert.equal(pinned.code, 1, pinned.out);
    assert.match(pinned.out, /fails under FAULTLINE_REPLAY \(seed \d+\): read ECONNRESET/);
  });
});

describe('chaosTest with vitest (faultline/vitest)', () => {
  test('the same failure, schedule and reproduction line; the line replays it', () => {
    const first = runVitest();
    assert.equal(first.code, 1, first.out);
    assert.match(first.out, /minimal fault schedule \(3 of \d+/);
    assert.equal(new Set(first.out.match(/db\.get #\d+ rejected with ECONNRESET \(rule flaky\)/g)).size, 3);
    const line = first.out.match(/reproduce: FAULTLINE_REPLAY=([A-Za-z0-9_-]+)/)?.[1];
    assert.ok(line, first.out);
    const pinned = runVitest({ FAULTLINE_REPLAY: line });
    assert.equal(pinned.code, 1, pinned.out);
    assert.match(pinned.out, /fails under FAULTLINE_REPLAY/);
    const node = runFixture({ FAULTLINE_REPLAY: line });
    assert.match(node.out, /fails under FAULTLINE_REPLAY/, 'a line from one runner replays under the other');
  });
});
