/**
 * `faultline validate` and `--dry-run` load every disruptor and must change nothing: importing the registry (and
 * the validator that reads it) in a fresh process opens no socket, starts no process and arms no timer.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ROOT } from '../../disruptors/helpers.js';

const run = promisify(execFile);

// Resources are compared as a multiset: the child's stdio pipes are there before and after.
const PROBE = `
const before = process.getActiveResourcesInfo();
const registry = await import('./src/plugins/disruptors/index.ts');
await import('./src/experiment/validate.ts');
const after = process.getActiveResourcesInfo();
for (const r of before) after.splice(after.indexOf(r), 1);
console.log(JSON.stringify({ names: registry.disruptorNames(), added: after }));
`;

describe('disruptor plug-ins at import', () => {
  it('add no active resource (socket, child process, timer) to a fresh process', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', PROBE], {
      cwd: ROOT,
      timeout: 30_000,
    });
    const { names, added } = JSON.parse(stdout) as { names: string[]; added: string[] };
    assert.ok(names.length > 0);
    assert.deepEqual(added, []);
  });
});
