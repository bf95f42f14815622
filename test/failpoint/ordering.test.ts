/**
 * Forcing an ordering: two workers each paused at a failpoint, released in a chosen order, show the outcome
 * that order produces — here the lost update of an unguarded read-modify-write — and then the other order.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { createFailpointClient, failpoint, failpoints } from '../../src/failpoint/index.js';
import { type Fixture, startFixture } from './helpers.js';

describe('ordering across processes: two workers paused at their own control endpoints', () => {
  let dir: string;
  const children: Fixture[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'faultline-failpoint-'));
  });
  after(async () => {
    for (const c of children) c.kill();
    await rm(dir, { recursive: true, force: true });
  });

  /** Starts workers A and B held at `point`; returns a function that releases them in a given order. */
  async function twoPausedWorkers(point: string, store: string) {
    await writeFile(store, '[]');
    const workers = await Promise.all(
      ['A', 'B'].map(async (worker) => {
        const child = startFixture('rmw-worker', {
          STORE: store,
          WORKER: worker,
          FAULTLINE_FAILPOINTS: `${point}=pause`,
          FAULTLINE_FAILPOINTS_ADDR: '127.0.0.1:0',
        });
        children.push(child);
        const client = createFailpointClient({ target: new URL(await child.endpoint()).host });
        // both are now held at the failpoint: neither has gone past it
        const { waiters } = await client.waiters(point, { min: 1, timeoutMs: 10_000 });
        assert.equal(waiters.length, 1);
        return { worker, child, client };
      }),
    );
    return async (order: string[]): Promise<string[]> => {
      for (const name of order) {
        const w = workers.find((x) => x.worker === name)!;
        assert.deepEqual(await w.client.release(point), { released: 1, waiters: 0 });
        const { code } = await w.child.exited;
        assert.equal(code, 0, w.child.stderr());
      }
      return JSON.parse(await readFile(store, 'utf8')) as string[];
    };
  }

  test("both paused after reading: releasing A then B loses A's update", async () => {
    const release = await twoPausedWorkers('store.afterRead', join(dir, 'ab.json'));
    assert.deepEqual(await release(['A', 'B']), ['B']);
  });

  test("the other order, B then A, loses B's update instead", async () => {
    const release = await twoPausedWorkers('store.afterRead', join(dir, 'ba.json'));
    assert.deepEqual(await release(['B', 'A']), ['A']);
  });

  test('paused before reading instead, the same release order keeps both updates', async () => {
    const release = await twoPausedWorkers('store.beforeRead', join(dir, 'serial.json'));
    assert.deepEqual(await release(['A', 'B']), ['A', 'B']);
  });
});

describe('ordering inside one process: two async workers paused at the same failpoint', () => {
  afterEach(() => failpoints.reset());

  /** An account balance behind an async store, updated with an unguarded read-modify-write. */
  function bank() {
    let balance = 100;
    const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
    return {
      balance: () => balance,
      async apply(who: string, delta: number): Promise<void> {
        await tick();
        const read = balance;
        await failpoint('bank.afterRead', { who, read });
        await tick();
        balance = read + delta;
      },
    };
  }

  async function run(releaseFirst: string): Promise<number> {
    const b = bank();
    failpoints.set('bank.afterRead', '2*pause->off', { allowUnknown: true });
    const deposit = b.apply('deposit', +50);
    const withdraw = b.apply('withdraw', -30);
    const waiters = await failpoints.waitForWaiters('bank.afterRead', 2);
    const first = waiters.find((w) => (w.ctx as { who: string }).who === releaseFirst)!;
    const second = waiters.find((w) => w !== first)!;
    failpoints.releaseWaiter('bank.afterRead', first.id);
    await (releaseFirst === 'deposit' ? deposit : withdraw);
    failpoints.releaseWaiter('bank.afterRead', second.id);
    await Promise.all([deposit, withdraw]);
    return b.balance();
  }

  test('deposit released first: the withdrawal overwrites it (70, not 120)', async () => {
    assert.equal(await run('deposit'), 70);
  });

  test('withdrawal released first: the deposit overwrites it (150, not 120)', async () => {
    assert.equal(await run('withdraw'), 150);
  });
});
