/**
 * Exploration throughput: seeded runs per minute of a small in-process scenario (goal ≥ 10,000/min), and the
 * replays spent shrinking each planted bug to its minimal schedule (goal ≤ 100).
 */
import { type ExploreFailure, explore, type Scenario } from '../../src/explore/explore.js';
import { Store } from '../../test/helpers/store.js';
import { type BenchSection, markdownTable } from '../types.js';

const retry: Scenario = async (ctx) => {
  const db = ctx.wrap(new Store(), {
    name: 'db',
    faults: [{ methods: 'get', rate: 0.3, error: 'ECONNRESET' }],
  });
  for (let i = 0; i < 20; i++) {
    for (let a = 1; ; a++) {
      try {
        await db.get(`k${i}`);
        break;
      } catch (err) {
        if (a === 3) throw err;
      }
    }
  }
};

const staleCache: Scenario = async (ctx) => {
  const db = ctx.wrap(new Store(), { name: 'db' });
  const cache = ctx.wrap(new Store(), { name: 'cache', faults: [{ rate: 0.1, error: 'ETIMEDOUT' }] });
  for (let i = 0; i < 30; i++) {
    const k = `k${i % 3}`;
    await db.set(k, i);
    await cache.del(k).catch(() => {});
    const v = (await cache.get(k).catch(() => undefined)) ?? (await db.get(k));
    await cache.set(k, v).catch(() => {});
    if (v !== i) throw new Error('stale read');
  }
};

/** A small scenario that never fails: pure exploration cost. */
const passing: Scenario = async (ctx) => {
  const db = ctx.wrap(new Store(), { name: 'db', faults: [{ rate: 0.2, error: 'EIO' }] });
  for (let i = 0; i < 10; i++) await db.set(`k${i}`, i).catch(() => {});
};

export default async function exploreBench(): Promise<BenchSection> {
  const runs = 5000;
  const t0 = performance.now();
  await explore(passing, { runs, seed: 1 });
  const perMinute = (runs / (performance.now() - t0)) * 60_000;
  const rows: (string | number)[][] = [
    ['seeded runs per minute (10 calls, 1 driver)', Math.round(perMinute).toLocaleString(), '≥ 10,000'],
  ];
  for (const [name, scenario] of [
    ['retry loop gives up after 3 attempts', retry],
    ['stale cache after failed invalidation', staleCache],
  ] as const) {
    const replays: number[] = [];
    const sizes: string[] = [];
    for (let seed = 1; seed <= 5; seed++) {
      const f = (await explore(scenario, { runs: 200, seed })).failure as ExploreFailure;
      replays.push(f.shrinkReplays);
      sizes.push(`${f.trace.entries.length}→${f.minimal.entries.length}`);
    }
    rows.push([
      `replays to shrink: ${name} (5 base seeds)`,
      `${replays.join(', ')} (faults ${sizes.join(', ')})`,
      '≤ 100',
    ]);
  }
  return {
    title: 'Exploration',
    table: markdownTable(['measure', 'value', 'goal'], rows),
    notes:
      'Runs per minute from one sequential exploration of 5,000 runs; replays include the two nondeterminism checks.',
  };
}
