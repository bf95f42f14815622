import assert from 'node:assert/strict';
import * as realFs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  decodeReproduction,
  explore,
  formatFailure,
  replay,
  runSeed,
  type Scenario,
} from '../../src/index.js';
import { Store } from '../helpers/store.js';

/** Planted bug 1: three attempts, then it gives up — three failures in a row lose the read. */
async function getWithRetry(db: Store, key: string, attempts = 3) {
  let last: unknown;
  for (let a = 0; a < attempts; a++) {
    try {
      return await db.get(key);
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

const retryScenario =
  (attempts: number): Scenario =>
  async (ctx) => {
    const db = ctx.wrap(new Store(), {
      name: 'db',
      faults: [{ id: 'flaky', methods: 'get', rate: 0.3, error: 'ECONNRESET' }],
    });
    for (let i = 0; i < 20; i++) await getWithRetry(db, `k${i}`, attempts);
  };

/** Planted bug 2: a failed cache invalidation is ignored, so readers see stale data. */
const cacheScenario =
  (correct: boolean): Scenario =>
  async (ctx) => {
    const db = ctx.wrap(new Store(), { name: 'db' });
    const cache = ctx.wrap(new Store(), { name: 'cache', faults: [{ rate: 0.1, error: 'ETIMEDOUT' }] });
    const read = async (k: string) => {
      const hit = await cache.get(k).catch(() => undefined);
      if (hit !== undefined) return hit;
      const v = await db.get(k);
      await cache.set(k, v).catch(() => {});
      return v;
    };
    const update = async (k: string, v: number) => {
      await db.set(k, v);
      if (correct)
        await cache.del(k); // a failed invalidation fails the update: not acknowledged
      else await cache.del(k).catch(() => {});
    };
    for (let i = 0; i < 30; i++) {
      const k = `k${i % 3}`;
      await read(k);
      const acknowledged = await update(k, i).then(
        () => true,
        () => false,
      );
      if (acknowledged && (await read(k)) !== i) throw new Error(`stale read of ${k}: wanted ${i}`);
      if (!acknowledged) await cache.del(k).catch(() => {}); // the caller retries the invalidation later
      if (!acknowledged) await db.set(k, i);
    }
  };

describe('explore: planted bugs are found and shrunk', () => {
  test('a retry loop that gives up after three attempts: minimal schedule = exactly the 3 failures that matter', async () => {
    const result = await explore(retryScenario(3), { runs: 100, seed: 1 });
    const f = result.failure;
    assert.ok(f, 'found');
    assert.ok(f.deterministic);
    assert.ok(f.trace.entries.length > 3, `the failing run had ${f.trace.entries.length} faults`);
    assert.equal(f.minimal.entries.length, 3);
    const idx = f.minimal.entries.map((e) => e.index);
    assert.deepEqual(idx, [idx[0]!, idx[0]! + 1, idx[0]! + 2], 'three consecutive calls to db.get');
    assert.ok(f.minimal.entries.every((e) => e.site === 'db.get' && e.detail.code === 'ECONNRESET'));
    assert.deepEqual(
      f.schedule,
      idx.map((i) => `db.get #${i} rejected with ECONNRESET (rule flaky)`),
    );
    assert.ok(f.shrinkReplays <= 100, `${f.shrinkReplays} replays`);
    assert.match(formatFailure('retry', result), /minimal fault schedule \(3 of \d+/);
  });

  test('a cache that serves stale data after a failed invalidation: one cache.del failure', async () => {
    const result = await explore(cacheScenario(false), { runs: 100, seed: 2 });
    const f = result.failure;
    assert.ok(f, 'found');
    assert.match(String((f.error as Error).message), /stale read/);
    assert.equal(f.minimal.entries.length, 1);
    assert.equal(f.minimal.entries[0]!.site, 'cache.del');
    assert.ok(f.shrinkReplays <= 100, `${f.shrinkReplays} replays`);
  });

  test('correct implementations survive every run with no false alarm', async () => {
    assert.equal((await explore(retryScenario(12), { runs: 200, seed: 3 })).failure, undefined);
    assert.equal((await explore(cacheScenario(true), { runs: 200, seed: 3 })).failure, undefined);
  });

  test('the reproduction line reproduces the failure in 100 of 100 repeats', async () => {
    const result = await explore(retryScenario(3), { runs: 100, seed: 5 });
    const line = result.failure?.reproduction;
    assert.ok(line, 'a deterministic failure has a reproduction line');
    assert.match(line, /^FAULTLINE_REPLAY=[A-Za-z0-9_-]+$/);
    const decoded = decodeReproduction(line);
    assert.deepEqual(decoded.entries, result.failure!.minimal.entries);
    for (let i = 0; i < 100; i++) {
      const outcome = await replay(retryScenario(3), line);
      assert.equal(outcome.failed, true, `repeat ${i}`);
      assert.deepEqual(outcome.trace.entries, decoded.entries);
    }
  });

  test('the same base seed finds the same failure and the same minimal schedule', async () => {
    const a = await explore(cacheScenario(false), { runs: 50, seed: 9 });
    const b = await explore(cacheScenario(false), { runs: 50, seed: 9, parallel: 4 });
    assert.equal(a.failure?.seed, b.failure?.seed);
    assert.deepEqual(a.failure?.minimal, b.failure?.minimal);
  });

  /** A scenario that fails on every other call whatever its seed: as if it read the wall clock. */
  const flakyScenario = (): Scenario => {
    let calls = 0;
    return async (ctx) => {
      const db = ctx.wrap(new Store(), { name: 'db', faults: [{ rate: 0.5, error: 'EIO' }] });
      await db.get('x').catch(() => {});
      calls += 1;
      if (calls % 2 === 1) throw new Error('depends on the wall clock');
    };
  };

  test('nondeterminism guard: a scenario that uses unseeded randomness is reported, not shrunk', async () => {
    const result = await explore(flakyScenario(), { runs: 10, seed: 1 });
    assert.equal(result.failure?.deterministic, false);
    assert.match(formatFailure('flaky', result), /unseeded randomness or real time/);
  });

  test('a run flagged nondeterministic has no reproduction line, and none is printed', async () => {
    const result = await explore(flakyScenario(), { runs: 10, seed: 1 });
    assert.equal(result.failure?.deterministic, false);
    assert.equal(result.failure?.reproduction, undefined);
    const text = formatFailure('flaky', result);
    assert.doesNotMatch(text, /reproduce:|FAULTLINE_REPLAY=/);
    assert.match(text, /no reproduce line: .* explore again from base seed 1$/m);
  });

  test('a failure names its true run number out of the runs asked for', async () => {
    const unlucky = runSeed(7, 37);
    const result = await explore((ctx) => ctx.seed !== unlucky, { runs: 300, seed: 7 });
    assert.equal(result.failure?.run, 37);
    assert.equal(result.runs, 300);
    assert.equal(result.ran, 37);
    assert.match(formatFailure('unlucky', result), /^unlucky: failed on run 37 of 300 \(/);
    const passed = await explore(() => true, { runs: 12, seed: 7 });
    assert.deepEqual([passed.runs, passed.ran], [12, 12]);
    assert.equal(formatFailure('fine', passed), 'fine: 12 runs passed (base seed 7)');
  });

  test('a scenario that returns false fails; one that hangs times out', async () => {
    const r1 = await explore(() => false, { runs: 3, seed: 1 });
    assert.match(String(r1.failure?.error), /returned false/);
    assert.deepEqual(r1.failure?.minimal.entries, []);
    const r2 = await explore(
      async (ctx) => {
        const db = ctx.wrap(new Store(), { name: 'db', faults: [{ calls: 1, hang: true }] });
        await (db.get as (k: string, o: object) => Promise<unknown>)('x', { signal: ctx.signal });
      },
      { runs: 1, seed: 1, timeoutMs: 50 },
    );
    assert.match(String(r2.failure?.error), /timed out after 50 ms/);
    assert.equal(r2.failure?.minimal.entries.length, 1);
  });

  test('bad options name the option', async () => {
    await assert.rejects(
      explore(() => {}, { runs: 0 }),
      /runs: must be an integer >= 1/,
    );
    await assert.rejects(
      explore(
        async (ctx) => {
          ctx.wrap(new Store(), { name: 'a' });
          ctx.wrap(new Store(), { name: 'a' });
        },
        { runs: 1 },
      ),
      /name: "a" is already used in this run/,
    );
    assert.throws(
      () => decodeReproduction('FAULTLINE_REPLAY=nonsense'),
      /FAULTLINE_REPLAY: not a faultline reproduction/,
    );
  });
});

describe('explore: a two-step write through the real node:fs/promises', () => {
  let dir: string;
  before(async () => {
    dir = await realFs.mkdtemp(join(tmpdir(), 'faultline-explore-'));
  });
  after(async () => {
    await realFs.rm(dir, { recursive: true, force: true });
  });

  /** Planted bug 3: journal, delete the old file, then rename — an error between the steps loses the data. */
  const saveScenario: Scenario = async (ctx) => {
    const final = join(dir, 'state.json');
    const journal = `${final}.journal`;
    await realFs.writeFile(final, 'old');
    await realFs.rm(journal, { force: true });
    const fs = ctx.wrap(realFs, {
      name: 'fs',
      faults: [{ methods: ['writeFile', 'rm', 'rename'], rate: 0.25, error: 'EIO' }],
    });
    for (let i = 0; i < 5; i++) {
      const before = await realFs.readFile(final, 'utf8').catch(() => undefined);
      try {
        await fs.writeFile(journal, `new ${i}`);
        await fs.rm(final);
        await fs.rename(journal, final);
      } catch {
        // the save failed: the old data must still be there
      }
      const now = await realFs.readFile(final, 'utf8').catch(() => undefined);
      if (now !== before && now !== `new ${i}`) throw new Error(`data lost: had ${before}, now ${now}`);
    }
  };

  test('the crash between the steps is found and shrunk to the one failed rename', async () => {
    const result = await explore(saveScenario, { runs: 100, seed: 4 });
    const f = result.failure;
    assert.ok(f, 'found');
    assert.match(String((f.error as Error).message), /data lost/);
    assert.equal(f.minimal.entries.length, 1);
    assert.equal(f.minimal.entries[0]!.site, 'fs.rename');
    assert.ok(f.reproduction);
    const again = await replay(saveScenario, f.reproduction);
    assert.equal(again.failed, true);
  });
});

describe('explore: failpoints in scenarios', () => {
  /** Planted bug 3, failpoint flavour: old file removed, then a crash between journal and rename. */
  const store = new Map<string, string>();
  const crashBetweenSteps: Scenario = async (ctx) => {
    const { failpoint } = await import('../../src/index.js');
    store.clear();
    store.set('state', 'old');
    ctx.failpoint('save.between-steps', '10%throw("crash")');
    for (let i = 0; i < 10; i++) {
      const before = store.get('state');
      try {
        store.set('journal', `new ${i}`);
        store.delete('state');
        await failpoint('save.between-steps');
        store.set('state', store.get('journal')!);
      } catch {
        // the save crashed: what is on disk must still be the old or the new state
      }
      const now = store.get('state');
      if (now !== before && now !== `new ${i}`) throw new Error(`data lost after save ${i}`);
    }
  };

  test('a crash between two steps, injected by a failpoint, is found, shrunk to one fire and replayed', async () => {
    const { failpoints } = await import('../../src/index.js');
    const result = await explore(crashBetweenSteps, { runs: 100, seed: 6 });
    const f = result.failure;
    assert.ok(f, 'found');
    assert.equal(f.minimal.entries.length, 1);
    assert.equal(
      f.schedule[0],
      `failpoint:save.between-steps #${f.minimal.entries[0]!.index} fired throw("crash") (rule save.between-steps)`,
    );
    assert.ok(f.reproduction);
    for (let i = 0; i < 20; i++) assert.equal((await replay(crashBetweenSteps, f.reproduction)).failed, true);
    assert.equal(failpoints.get('save.between-steps')?.term ?? null, null, 'the run unset its failpoint');
  });
});

describe('explore: chaos HTTP in scenarios', () => {
  let server: import('node:http').Server;
  let base = '';
  before(async () => {
    const { createServer } = await import('node:http');
    server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  test('a client that does not retry a 503 is found; the schedule names the request', async () => {
    const payments: Scenario = async (ctx) => {
      const fetch = ctx.fetch({ faults: [{ method: 'POST', path: '/pay', rate: 0.1, status: 503 }] });
      for (let i = 0; i < 10; i++) {
        const res = await fetch(`${base}/pay`, { method: 'POST', body: String(i) });
        await res.text();
        if (!res.ok) throw new Error(`payment ${i} failed with ${res.status}`);
      }
    };
    const result = await explore(payments, { runs: 100, seed: 8 });
    const f = result.failure;
    assert.ok(f, 'found');
    assert.equal(f.minimal.entries.length, 1);
    assert.match(f.schedule[0]!, /^http POST \/pay #\d+ status 503 \(rule rule-0\)$/);
    assert.ok(f.reproduction);
    assert.equal((await replay(payments, f.reproduction)).failed, true);
  });
});
