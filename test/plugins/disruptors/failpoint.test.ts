/**
 * A `failpoint` fault's revert puts back the term that was set before the fault (or unsets it when none was),
 * through a real failpoint endpoint (src/failpoint/server.ts, here in the test process) — when the fault ends,
 * and through `faultline recover` after the runner that applied it was killed with SIGKILL.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  applyFault,
  getDisruptor,
  openJournal,
  pendingReverts,
  readJournal,
  revertFault,
} from '../../../src/disruptors/index.js';
import { failpoints } from '../../../src/failpoint/registry.js';
import { type FailpointServer, startFailpointServer } from '../../../src/failpoint/server.js';
import { FIXTURES, startChild, stopAll } from '../../disruptors/helpers.js';
import { cli } from '../../helpers/cli.js';

const fp = getDisruptor('failpoint')!;
const dir = mkdtempSync(join(tmpdir(), 'faultline-fp-revert-'));
const BEFORE = '25%sleep(5)';
const FAULT = 'return("boom")';

describe('failpoint revert', () => {
  let server: FailpointServer;
  let endpoint: string;
  let n = 0;
  const journalPath = () => join(dir, `j${++n}`, 'journal.ndjson');

  before(async () => {
    server = await startFailpointServer();
    endpoint = `127.0.0.1:${server.port}`;
  });
  afterEach(() => failpoints.reset());
  after(async () => {
    await stopAll();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('puts back the term that was set before the fault, not off', async () => {
    failpoints.set('store.save', BEFORE, { allowUnknown: true });
    const journal = openJournal(journalPath());
    const applied = await applyFault(
      journal,
      fp,
      { id: 'svc-0' },
      { endpoint, name: 'store.save', term: FAULT },
      { faultId: 'f1' },
    );
    assert.equal(failpoints.get('store.save')?.term, FAULT);
    assert.deepEqual(applied.revert, { type: 'failpoint', endpoint, name: 'store.save', previous: BEFORE });
    const outcome = await revertFault(journal, 'f1', applied.revert);
    assert.equal(outcome.ok, true, outcome.error);
    assert.equal(failpoints.get('store.save')?.term, BEFORE);
    // idempotent: reverting again leaves the earlier term in place
    await fp.revert(applied.revert);
    assert.equal(failpoints.get('store.save')?.term, BEFORE);
    journal.close();
  });

  it('unsets the failpoint when no term was set before', async () => {
    failpoints.declare('store.load', 'reads a record');
    const journal = openJournal(journalPath());
    const applied = await applyFault(
      journal,
      fp,
      { id: 'svc-0' },
      { endpoint, name: 'store.load', term: FAULT },
      { faultId: 'f1' },
    );
    assert.equal(applied.revert.previous, null);
    assert.equal(failpoints.get('store.load')?.term, FAULT);
    await fp.revert(applied.revert);
    assert.equal(failpoints.get('store.load')?.term, null);
    journal.close();
  });

  it('journals the term before the fault ahead of setting the new one', async () => {
    failpoints.set('store.save', BEFORE, { allowUnknown: true });
    const path = journalPath();
    const journal = openJournal(path);
    await applyFault(
      journal,
      fp,
      { id: 'svc-0' },
      { endpoint, name: 'store.save', term: FAULT },
      { faultId: 'f1' },
    );
    journal.close();
    const events = readJournal(path);
    assert.deepEqual(
      events.map((e) => [e.event, 'revert' in e ? e.revert.previous : undefined]),
      [
        ['fault.applying', undefined],
        ['fault.applying', BEFORE],
        ['fault.applied', BEFORE],
      ],
    );
    // what a runner that died between the two `fault.applying` lines left: nothing was set yet
    const first = events[0] as { revert: { type: string; unread?: boolean } };
    assert.equal(first.revert.unread, true);
    await fp.revert(first.revert);
    assert.equal(failpoints.get('store.save')?.term, FAULT, 'a record from before the read changes nothing');
  });

  it('faultline recover after kill -9 of the runner puts the earlier term back', async () => {
    failpoints.set('store.save', BEFORE, { allowUnknown: true });
    const path = journalPath();
    const runner = startChild([join(FIXTURES, 'failpoint-runner.ts'), path, endpoint, 'store.save', FAULT], {
      tsx: true,
    });
    await runner.line((l) => l === 'applied');
    assert.equal(failpoints.get('store.save')?.term, FAULT);
    runner.proc.kill('SIGKILL');
    assert.equal((await runner.exited).signal, 'SIGKILL');
    assert.equal(pendingReverts(readJournal(path))[0]?.revert.previous, BEFORE);

    const out = await cli(['recover', path]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /^restored failpoint store\.save to ".+" at .+ \(fault slow-save on svc-0\)$/m);
    assert.equal(failpoints.get('store.save')?.term, BEFORE);
    assert.deepEqual(pendingReverts(readJournal(path)), []);
  });
});
