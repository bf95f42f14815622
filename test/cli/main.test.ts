import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { cliArgv } from '../helpers/cli.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [...cliArgv, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('faultline CLI shell', () => {
  test('--version prints the package version', () => {
    const r = cli('--version');
    assert.equal(r.code, 0);
    assert.equal(r.out.trim(), pkg.version);
  });

  test('--help lists the commands', () => {
    const r = cli('--help');
    assert.equal(r.code, 0);
    assert.match(r.out, /Usage: faultline/);
    for (const command of ['failpoint', 'load', 'proxy'])
      assert.match(r.out, new RegExp(`\\n  ${command}\\b`));
  });

  test('an unknown command exits 2 with one line of error, no stack trace', () => {
    const r = cli('explode');
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown command 'explode'/);
    assert.doesNotMatch(r.err, /\n\s+at /);
  });
});
