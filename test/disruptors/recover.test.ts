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

    const out = await cli(['recover', journal]);
    assert.equal(out.code, 0, out.stderr);
    const lines = out.stdout.trim().split('\n');
    assert.match(lines[0]!, /3 fault\(s\) to revert/);
    assert.deepEqual(
      lines.slice(1).map((l) => l.replace(/ \(.*$/, '')),
      ['reverted boom', 'reverted slow-db', 'reverted pause'],
    );

    assert.notEqual(await waitForState(victim.pid, (s) => s !== 'T'), 'T', 'the process runs again');
    assert.deepEqual(await toxics(api, 'db'), []);
    assert.equal((await fp.get('demo.declared')).term ?? null, null);
    assert.deepEqual(pendingReverts(readJournal(journal)), []);

    const again = await cli(['recover', journal]);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /nothing to revert/);
  });

  it('exits 1 and names the fault when a revert keeps failing; it stays pending', async () => {
    const journal = join(dir, 'failing', 'journal.ndjson');
    mkdirSync(join(dir, 'failing'));
    const dead = await freePort();
    const revert = {
      type: 'http',
      call: { url: `http://127.0.0.1:${dead}/off`, method: 'DELETE', timeoutMs: 2000 },
    };
    writeFileSync(
      journal,
      `${JSON.stringify({ at: 'x', event: 'fault.applying', id: 'f9', disruptor: 'http', instance: 'api-0', fault: 'flag', revert })}\n`,
    );
    const out = await cli(['recover', journal, '--attempts', '2']);
    assert.equal(out.code, 1);
    assert.match(out.stdout, /FAILED {3}flag \(http on api-0\) after 2 attempts: /);
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
      mkdirSync(join(results, run), { recursive: true });
      const p = join(results, run, 'journal.ndjson');
      writeFileSync(p, '');
      const t = Date.now() / 1000 - age;
      utimesSync(p, t, t);
    }
    const out = await cli(['recover', '--results', results]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /results\/new\/journal\.ndjson: nothing to revert/);
  });

  it('is bad input (exit 2) with no journal to find, or a bad --attempts', async () => {
    const none = await cli(['recover', '--results', join(dir, 'nowhere')]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no results directory/);
    const bad = await cli(['recover', 'x', '--attempts', '0']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--attempts/);
  });
});
