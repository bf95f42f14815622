/**
 * `--seed -5` is not `--seed 5`: commander hands `-5` over as the option's value, so every command that takes a
 * seed refuses a negative one by name (exit 2, one line), and the same seed always gives the same schedule.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cliArgv } from '../helpers/cli.js';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [...cliArgv, ...args], {
    encoding: 'utf8',
    env: { ...process.env, FAULTLINE_DEBUG: '', FAULTLINE_SEED: '' },
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const EXPERIMENT = 'test/fixtures/experiment/kill-one.yaml';
const NEGATIVE =
  /--seed: must be a whole number >= 0 or a word; got -5 \(a negative seed is refused, not taken as 5\)/;

function assertRefused(r: ReturnType<typeof cli>, message: RegExp) {
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, message);
  assert.doesNotMatch(r.err, /\n\s+at /);
  assert.equal(r.err.trim().split('\n').length, 1, r.err);
}

describe('negative seeds', () => {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-seed-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('run refuses --seed -5 and --seed=-5, with or without --dry-run, and starts nothing', () => {
    for (const args of [
      ['--dry-run', '--seed', '-5'],
      ['--dry-run', '--seed=-5'],
      ['--seed', '-5', '--out', join(dir, 'out')],
    ]) {
      const r = cli('run', EXPERIMENT, ...args);
      assertRefused(r, NEGATIVE);
      assert.equal(r.out, '');
    }
  });

  test('load and proxy refuse --seed -5 before sending or listening', () => {
    assertRefused(cli('load', 'http://127.0.0.1:9/', '--duration', '1s', '--seed', '-5'), NEGATIVE);
    assertRefused(
      cli('proxy', '--port', '0', '--seed', '-5'),
      /--seed: must be a non-negative integer; got '-5'/,
    );
  });

  test('a negative seed in the file is an error naming its line and field', () => {
    for (const value of ['-5', '"-5"']) {
      const file = join(dir, 'negative.yaml');
      writeFileSync(file, `title: t\nduration: 5s\nseed: ${value}\n`);
      for (const command of ['validate', 'run']) {
        const r = cli(command, file, ...(command === 'run' ? ['--dry-run'] : []));
        assertRefused(r, new RegExp(`^${file}:3:7: seed: a seed is a whole number >= 0 or a word`));
      }
    }
  });

  test('the same seed gives the same schedule; 5 and 05 are one seed, a word is another', () => {
    const plan = (seed: string) => {
      const r = cli('run', EXPERIMENT, '--dry-run', '--json', '--seed', seed);
      assert.equal(r.code, 0, r.err);
      return JSON.parse(r.out) as { seed: number };
    };
    const five = plan('5');
    assert.equal(five.seed, 5);
    assert.deepEqual(plan('5'), five);
    assert.deepEqual(plan('05'), five);
    // a word that starts with '-' is a word: hashed into a seed of its own
    assert.notEqual(plan('-five').seed, plan('five').seed);
  });

  test('an empty --seed (an unset shell variable) is refused, not hashed into a seed', () => {
    assertRefused(cli('run', EXPERIMENT, '--dry-run', '--seed', ''), /--seed: is empty/);
  });
});
