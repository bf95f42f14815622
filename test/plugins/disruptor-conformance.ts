/**
 * The disruptor conformance checks for one disruptor (see disruptors.conformance.test.ts), as a function so the
 * disruptors that act on hosts run them on the fleet test bed (host.conformance.test.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { InvalidOptionError } from '../../src/core/errors.js';
import {
  applyFault,
  type Disruptor,
  type Journal,
  type JournalInput,
  openJournal,
  pendingReverts,
  readJournal,
  revertRecord,
} from '../../src/disruptors/index.js';
import { getDisruptor } from '../../src/plugins/disruptors/index.js';
import type { ConformanceCase, DisruptorHarness } from './harness/disruptors/index.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-conformance-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const journalPath = () => join(dir, `j${++n}`, 'journal.ndjson');

/** Applies the case's fault through the journal at `path`, as the engine does. */
function apply(d: Disruptor, c: ConformanceCase, journal: Journal, options: unknown = c.options) {
  return applyFault(journal, d, c.instance, options, { ...c.ctx, faultId: 'f1' }, { fault: 'conformance' });
}

/** Registers the checks for disruptor `name` with its harness. */
export function disruptorConformance(name: string, found: DisruptorHarness): void {
  describe(`disruptor ${name}`, () => {
    const harness = found;
    const d = getDisruptor(name)!;
    let c: ConformanceCase;
    beforeEach(async () => {
      c = await harness.start();
    });
    afterEach(() => c.close());

    it('journals fault.applying before the fault takes effect, and returns once the effect is seen', async () => {
      const journal = openJournal(journalPath());
      const seen: { event: string; faulted: boolean }[] = [];
      const append = journal.append.bind(journal);
      journal.append = (e: JournalInput) => {
        seen.push({ event: e.event, faulted: c.faulted() });
        return append(e);
      };
      await apply(d, c, journal);
      journal.close();
      assert.ok(c.faulted(), 'inject resolved before its effect could be seen');
      assert.deepEqual(seen[0], { event: 'fault.applying', faulted: false });
      assert.deepEqual(seen.at(-1)?.event, 'fault.applied');
    });

    it('has a JSON revert record, and revertRecord(record) alone, read back from the journal file, reverts it', async () => {
      const path = journalPath();
      const journal = openJournal(path);
      const applied = await apply(d, c, journal);
      journal.close();
      assert.deepEqual(JSON.parse(JSON.stringify(applied.revert)), applied.revert);
      const pending = pendingReverts(readJournal(path));
      assert.equal(pending.length, 1);
      assert.deepEqual(pending[0]!.revert, applied.revert);
      await revertRecord(pending[0]!.revert);
      assert.ok(c.restored(), 'the revert resolved but the fault is still in place');
    });

    it('reverts idempotently: twice, and when what it acted on is already gone', async () => {
      const journal = openJournal(journalPath());
      const { revert } = await apply(d, c, journal);
      journal.close();
      await revertRecord(revert);
      await revertRecord(revert);
      assert.ok(c.restored(), 'a second revert undid the first');
      const second = openJournal(journalPath());
      const again = await apply(d, await restart(), second);
      second.close();
      await c.vanish();
      await revertRecord(again.revert);
      await revertRecord(again.revert);
    });

    it('refuses a bad option with an InvalidOptionError naming with.<field>, journaling nothing', async () => {
      const path = journalPath();
      const journal = openJournal(path);
      const { options, field } = harness.badOption;
      await assert.rejects(
        apply(d, c, journal, options),
        (err) => err instanceof InvalidOptionError && err.field === field,
      );
      journal.close();
      assert.match(field, /^with\./);
      assert.deepEqual(readJournal(path), []);
    });

    /** A fresh target in place of the current one (a fault no revert undoes, a kill, may have used it up). */
    async function restart(): Promise<ConformanceCase> {
      await c.close();
      c = await harness.start();
      return c;
    }
  });
}
