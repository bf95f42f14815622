import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';

test('npm run demo (quick): a full run against the bundled service passes and stops everything it started', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/demo.ts', '--quick', '--seed', '7'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0, out);
  assert.match(out, /latency 400±50 ms on the inventory link/);
  assert.match(
    out,
    /during the fault[\s\S]*error rate {2}[1-9]\d*\.\d+ %/,
    'the fault really hurt during its window',
  );
  assert.match(out, /verdict: PASS/);
  assert.match(out, /reproduce: npm run demo -- --seed 7 --quick/);
});
