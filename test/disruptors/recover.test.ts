/**
 * Crash safety: a runner process applies a pause, a toxic and a failpoint through the journal and is killed
 * with SIGKILL; `faultline recover JOURNAL` (the real CLI, in a child process) must leave nothing behind.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { pendingReverts, readJournal } from '../../src/disruptors/index.js';
import { createFailpointClient } from '../../src/failpoint/client.js';
import type { ProxyServer } from '../../src/proxy/index.js';
import { cli } from '../helpers/cli.js';
import {
  type Child,
  FIXTURES,
  freePort,
  startChild,
  startFailpointService,
  startProxyWithDb,
  startSleeper,
  stopAll,
  waitForState,
} from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-recover-'));
// a state directory of its own: recover also tidies the run files there, which other runs on the machine share
const env = { ...process.env, FAULTLINE_STATE_DIR: join(dir, 'state') };

async function toxics(api: string, proxy: string): Promise<{ name: string }[]> {
  const res = await request(`${api}/proxies/${proxy}/toxics`);
  return (await res.body.json()) as { name: string }[];
}

describe('faultline recover', () => {
  let proxy: ProxyServer;
  let api: string;
  let victim: Child;
  let endpoint: string;

  before(async () => {
    ({ proxy, api } = await startProxyWithDb());
    victim = await startSleeper();
    ({ endpoint } = await startFailpointService());
  });
  after(async () => {
    // never leave a stopped process behind, whatever failed
    try {
      process.kill(victim.pid, 'SIGCONT');
    } catch {}
    await stopAll();
    await proxy.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('after kill -9 of the runner, reverts the failpoint, the toxic and the pause (last in first out)', async () => {
    const journal = join(dir, 'crash', 'journal.ndjson');
    const runner = startChild(
      [join(FIXTURES, 'runner.ts'), journal, String(victim.pid), api, 'db', endpoint],
      {
        tsx: true,
      },
    );
    await runner.line((l) => l === 'applied');
    const fp = createFailpointClient({ target: endpoint });
    // the faults are really in place
    assert.equal(await waitForState(victim.pid, (s) => s === 'T'), 'T');
    assert.deepEqual(
      (await toxics(api, 'db')).map((t) => t.name),
      ['faultline-f2'],
    );
    assert.match(String((await fp.get('demo.declared')).term), /boom/);

    runner.proc.kill('SIGKILL');
    assert.equal((await runner.exited).signal, 'SIGKILL');
    assert.equal(pendingReverts(readJournal(journal)).length, 3);

    const out = await cli(['recover', journal], env);
    assert.equal(out.code, 0, out.stderr);
    // each revert in words, last applied first, then a summary
    assert.deepEqual(out.stdout.trim().split('\n'), [
      `${journal}: 3 fault(s) to revert`,
      `cleared failpoint demo.declared at ${endpoint} (fault boom on svc-0)`,
      `deleted toxic slow-db on proxy db at ${api}`,
      `continued process ${victim.pid} (victim-0) paused by fault pause`,
      'recovered: 3 of 3 reverted',
    ]);

    assert.notEqual(await waitForState(victim.pid, (s) => s !== 'T'), 'T', 'the process runs again');
    assert.deepEqual(await toxics(api, 'db'), []);
    assert.equal((await fp.get('demo.declared')).term ?? null, null);
    assert.deepEqual(pendingReverts(readJournal(journal)), []);

    const again = await cli(['recover', journal], env);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /nothing to revert/);
  });

  it('exits 1 and names the fault when a revert keeps failing; it stays pending', async () => {
    const journal = join(dir, 'failing', 'journal.ndjson');
    mkdirSync(join(dir, 'failing'), { mode: 0o755 });
    const dead = await freePort();
    const revert = {
      type: 'http',
      call: { url: `http://127.0.0.1:${dead}/off`, method: 'DELETE', timeoutMs: 2000 },
    };
    writeFileSync(
      journal,
      `${JSON.stringify({ at: 'x', event: 'fault.applying', id: 'f9', disruptor: 'http', instance: 'api-0', fault: 'flag', revert })}\n`,
      { mode: 0o600 }, // recover refuses a journal others could write
    );
    const out = await cli(['recover', journal, '--attempts', '2'], env);
    assert.equal(out.code, 1);
    assert.match(
      out.stdout,
      new RegExp(
        `^FAILED to call DELETE http://127\\.0\\.0\\.1:${dead}/off \\(fault flag on api-0\\) after 2 attempts: `,
        'm',
      ),
    );
    assert.match(
      out.stdout,
      /^0 of 1 reverted, 1 failed: still pending in the journal; run `faultline recover .*` again$/m,
    );
    assert.deepEqual(
      readJournal(journal).map((e) => e.event),
      ['fault.applying', 'revert.failed'],
    );
    assert.equal(pendingReverts(readJournal(journal)).length, 1);
  });

  it('without an argument takes the newest journal under the results directory', async () => {
    const results = join(dir, 'results');
    for (const [run, age] of [
      ['old', 100],
      ['new', 10],
    ] as const) {
      mkdirSync(join(results, run), { recursive: true, mode: 0o755 });
      const p = join(results, run, 'journal.ndjson');
      writeFileSync(p, '', { mode: 0o600 });
      const t = Date.now() / 1000 - age;
      utimesSync(p, t, t);
    }
    const out = await cli(['recover', '--results', results], env);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /results\/new\/journal\.ndjson: nothing to revert/);
  });

  it('exits 0 with one line when there is no journal to find; a bad --attempts is bad input (exit 2)', async () => {
    const none = await cli(['recover', '--results', join(dir, 'nowhere')], env);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, `nothing to recover: no journal under ${join(dir, 'nowhere')}/*/\n`);
    const bad = await cli(['recover', 'x', '--attempts', '0'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--attempts/);
  });
});
