/**
 * exit(code) is the "kill" case: the process ends at once, mid-operation, with no cleanup — like a crash.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createFailpointClient } from '../../src/failpoint/index.js';
import { startFixture } from './helpers.js';

describe('exit(137): the child dies between writing the journal and the rename', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'faultline-exit-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('without the failpoint the operation completes and exit handlers run', async () => {
    const work = join(dir, 'normal');
    await mkdir(work);
    const child = startFixture('journal', { DIR: work });
    const { code } = await child.exited;
    assert.equal(code, 0, child.stderr());
    assert.deepEqual(child.lines.filter(Boolean), ['journal written', 'committed']);
    assert.equal(await readFile(join(work, 'committed'), 'utf8'), 'record 1\n');
    assert.ok(existsSync(join(work, 'exit-handler-ran')));
  });

  test('from FAULTLINE_FAILPOINTS: the parent sees exit code 137, a journal, no commit, no cleanup', async () => {
    const work = join(dir, 'crash');
    await mkdir(work);
    const child = startFixture('journal', {
      DIR: work,
      FAULTLINE_FAILPOINTS: 'journal.afterWrite=exit(137)',
    });
    const { code, signal } = await child.exited;
    assert.equal(code, 137);
    assert.equal(signal, null);
    assert.deepEqual(child.lines.filter(Boolean), ['journal written']);
    assert.match(child.stderr(), /failpoint journal.afterWrite fired exit\(137\)/);
    assert.ok(existsSync(join(work, 'journal')));
    assert.ok(!existsSync(join(work, 'committed')));
    assert.ok(!existsSync(join(work, 'exit-handler-ran')), 'the exit handler ran: that is not a crash');
  });

  test('switched on over HTTP in a running process: the next hit ends it with 137', async () => {
    const child = startFixture('serve', { FAULTLINE_FAILPOINTS_ADDR: '127.0.0.1:0' });
    try {
      const client = createFailpointClient({ target: new URL(await child.endpoint()).host });
      await client.set('demo.declared', 'exit(137)');
      child.send('hit demo.declared crash');
      const { code } = await child.exited;
      assert.equal(code, 137);
      assert.ok(!child.lines.some((l) => l.includes('"crash"')), 'the hit answered: the process did not die');
    } finally {
      child.kill();
    }
  });
});
