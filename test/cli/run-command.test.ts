/**
 * `faultline run` prints (and records in result.json) a reproduce command that works where it ran: inside a
 * project the binary is in node_modules/.bin, not on PATH, so the bare `faultline` would not be found.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../experiment/engine-helpers.js';
import { cli } from '../helpers/cli.js';

describe('faultline run: the reproduce command', () => {
  it('is `npx faultline run …` when `faultline` is not on PATH', async () => {
    const dir = tempDir('reproduce');
    const out = join(dir, 'out');
    const r = await cli(
      ['run', 'test/fixtures/experiment/restart.yaml', '--seed', '5', '--out', out, '--no-report'],
      // node itself, and nothing named faultline
      { ...process.env, PATH: dirname(process.execPath), FAULTLINE_STATE_DIR: join(dir, 'state') },
    );
    assert.equal(r.code, 0, r.stderr);
    const line = 'npx faultline run test/fixtures/experiment/restart.yaml --seed 5';
    assert.match(r.stdout, new RegExp(`^reproduce: ${line.replace(/[.]/g, '\\.')}$`, 'm'));
    assert.equal(JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')).command, line);
  });
});
