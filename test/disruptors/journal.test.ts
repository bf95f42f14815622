/** The journal: what is written when, what counts as pending, how a torn last line is read, retries. */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  applyFault,
  defineDisruptorRuntime,
  getDisruptor,
  openJournal,
  pendingReverts,
  readJournal,
  revertFault,
  revertPending,
} from '../../src/disruptors/index.js';
import { commandDisruptor } from '../../src/plugins/disruptors/command.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-journal-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(dir, `run-${++n}`, 'journal.ndjson');
const fixedNow = () => new Date('2026-01-02T03:04:05.000Z');

describe('journal', () => {
  it('writes applying (with the revert record) before the fault takes effect, then applied', async () => {
    const path = fresh();
    const journal = openJournal(path, { now: fixedNow });
    let linesAtInject = -1;
    const probe = defineDisruptorRuntime(commandDisruptor, {
      revertFor: () => ({ type: 'command', command: 'true', timeoutMs: 1000 }),
      inject: async () => {
        linesAtInject = readJournal(path).length;
        return { revert: { type: 'command', command: 'true', timeoutMs: 1000 } };
      },
      revert: async () => {},
    });
    await applyFault(journal, probe, { id: 'a-0' }, { inject: 'true' }, { faultId: 'f1' }, { fault: 'one' });
    journal.close();
    assert.equal(linesAtInject, 1, 'the applying line was on disk when inject ran');
    const events = readJournal(path);
    assert.deepEqual(
      events.map((e) => e.event),
      ['fault.applying', 'fault.applied'],
    );
    assert.deepEqual(events[0], {
      at: '2026-01-02T03:04:05.000Z',
      event: 'fault.applying',
      id: 'f1',
      disruptor: 'command',
      instance: 'a-0',
      fault: 'one',
      revert: { type: 'command', command: 'true', timeoutMs: 1000 },
    });
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  it('journals a failed injection, reverts it at once, and rethrows', async () => {
    const path = fresh();
    const journal = openJournal(path);
    const marker = join(dir, 'half-applied');
    writeFileSync(marker, 'x');
    await assert.rejects(
      applyFault(
        journal,
        getDisruptor('command')!,
        { id: 'a-0' },
        { inject: 'exit 4', revert: ['rm', marker] },
        { faultId: 'f1' },
      ),
      /exited 4/,
    );
    journal.close();
    assert.deepEqual(
      readJournal(path).map((e) => e.event),
      ['fault.applying', 'fault.failed', 'fault.reverted'],
    );
    assert.throws(() => statSync(marker), /ENOENT/);
    assert.deepEqual(pendingReverts(readJournal(path)), []);
  });

  it('rejects bad options naming the field, before journaling anything', async () => {
    const path = fresh();
    const journal = openJournal(path);
    await assert.rejects(
      applyFault(
        journal,
        getDisruptor('process.kill')!,
        { id: 'a', pid: 1 },
        { signal: 'SIGNOPE' },
        { faultId: 'f' },
      ),
      /with\.signal/,
    );
    journal.close();
    assert.deepEqual(readJournal(path), []);
  });

  it('pendingReverts: applying or applied and not reverted, last in first out', () => {
    const at = 'x';
    const r = (k: string) => ({ type: 'command', command: k });
    const pending = pendingReverts([
      { at, event: 'phase', phase: 'method' },
      { at, event: 'fault.applying', id: 'a', disruptor: 'command', instance: 'i', revert: r('a') },
      { at, event: 'fault.applied', id: 'a', revert: r('a2') },
      { at, event: 'fault.applying', id: 'b', disruptor: 'command', instance: 'i', revert: r('b') },
      { at, event: 'fault.applied', id: 'b', revert: r('b') },
      { at, event: 'fault.reverted', id: 'b', attempts: 1 },
      { at, event: 'fault.applying', id: 'c', disruptor: 'command', instance: 'i', revert: r('c') },
      { at, event: 'fault.applying', id: 'd', disruptor: 'command', instance: 'i', revert: r('d') },
      { at, event: 'fault.applied', id: 'd', revert: r('d') },
      { at, event: 'revert.failed', id: 'd', error: 'no', attempts: 3 },
      { at, event: 'abort', reason: 'test' },
    ]);
    assert.deepEqual(
      pending.map((p) => [p.id, p.applied, p.revert.command]),
      [
        ['d', true, 'd'],
        ['c', false, 'c'],
        ['a', true, 'a2'],
      ],
    );
  });

  it('ignores a torn last line (the writer died mid-write) but names the line of a corrupt one', () => {
    const path = fresh();
    const j = openJournal(path);
    j.append({ event: 'phase', phase: 'method' });
    j.close();
    appendFileSync(path, '{"at":"x","event":"fault.app');
    assert.equal(readJournal(path).length, 1);
    writeFileSync(path, `garbage\n${readFileSync(path, 'utf8')}`);
    assert.throws(() => readJournal(path), /journal\.ndjson:1: not a journal event/);
  });
});

describe('revertFault', () => {
  let server: Server;
  let url: string;
  let failuresLeft = 0;
  before(async () => {
    server = createServer((_req, res) => {
      res.statusCode = failuresLeft-- > 0 ? 503 : 204;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/off`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const record = () => ({ type: 'http', call: { url, method: 'DELETE', timeoutMs: 5000 } });

  it('retries a failing revert and journals how many attempts it took', async () => {
    const path = fresh();
    const journal = openJournal(path);
    failuresLeft = 2;
    const out = await revertFault(journal, 'f1', record(), { attempts: 3, backoffMs: 1 });
    journal.close();
    assert.deepEqual(out, { id: 'f1', type: 'http', ok: true, attempts: 3 });
    assert.deepEqual(readJournal(path).at(-1), {
      ...readJournal(path).at(-1),
      event: 'fault.reverted',
      attempts: 3,
    });
  });

  it('reports a revert that keeps failing as data, and rollback goes on to the next fault', async () => {
    const path = fresh();
    const journal = openJournal(path);
    failuresLeft = 2;
    const outcomes = await revertPending(
      journal,
      [
        { id: 'a', disruptor: 'http', instance: 'i', revert: record(), applied: true },
        {
          id: 'b',
          disruptor: 'command',
          instance: 'i',
          revert: { type: 'command', command: 'true' },
          applied: true,
        },
      ],
      { attempts: 2, backoffMs: 1 },
    );
    journal.close();
    assert.deepEqual(
      outcomes.map((o) => [o.id, o.ok, o.attempts]),
      [
        ['a', false, 2],
        ['b', true, 1],
      ],
    );
    assert.match(outcomes[0]!.error!, /answered 503/);
    assert.deepEqual(
      readJournal(path).map((e) => e.event),
      ['revert.failed', 'fault.reverted'],
    );
  });

  it('reports a record of an unknown type as a failed revert', async () => {
    const out = await revertFault(undefined, 'z', { type: 'nope' }, { attempts: 1 });
    assert.equal(out.ok, false);
    assert.match(out.error!, /no disruptor can revert a record of type 'nope'/);
  });
});
