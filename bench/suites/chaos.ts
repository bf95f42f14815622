/**
 * Chaos driver overhead: direct call vs wrapped pass-through (no rule for the method) vs wrapped with a rule
 * that draws a random value but does not inject (rate 0), for a sync and an async method; and the core's
 * decisions per second. Variants are measured in alternating rounds in one process; medians are reported.
 */
import { wrap } from '../../src/chaos/wrap.js';
import { FaultInjector } from '../../src/core/injector.js';
import { type BenchSection, markdownTable } from '../types.js';

class Target {
  n = 0;
  inc(x: number): number {
    this.n += x;
    return this.n;
  }
  async incAsync(x: number): Promise<number> {
    this.n += x;
    return this.n;
  }
}

const SYNC_N = 2_000_000;
const ASYNC_N = 300_000;
const ROUNDS = 7;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeSync(obj: Target): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < SYNC_N; i++) obj.inc(1);
  return Number(process.hrtime.bigint() - t0) / SYNC_N;
}

async function timeAsync(obj: Target): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ASYNC_N; i++) await obj.incAsync(1);
  return Number(process.hrtime.bigint() - t0) / ASYNC_N;
}

export default async function chaosBench(): Promise<BenchSection> {
  const variants: [string, Target][] = [
    ['direct', new Target()],
    [
      'wrapped, no rule matches',
      wrap(new Target(), { seed: 1, faults: [{ methods: /^close$/, error: 'EIO' }] }),
    ],
    [
      'wrapped, rule draws, never injects (rate 0)',
      wrap(new Target(), { seed: 1, faults: [{ methods: ['inc', 'incAsync'], rate: 0, error: 'EIO' }] }),
    ],
  ];
  const sync = new Map<string, number[]>();
  const asyncT = new Map<string, number[]>();
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, obj] of variants) {
      (sync.get(name) ?? sync.set(name, []).get(name)!).push(timeSync(obj));
      (asyncT.get(name) ?? asyncT.set(name, []).get(name)!).push(await timeAsync(obj));
    }
  }
  const directSync = median(sync.get('direct')!);
  const directAsync = median(asyncT.get('direct')!);
  const rows = variants.map(([name]) => {
    const s = median(sync.get(name)!);
    const a = median(asyncT.get(name)!);
    return [
      name,
      s.toFixed(1),
      `${(s / directSync).toFixed(2)}x`,
      a.toFixed(1),
      `${(a / directAsync).toFixed(2)}x`,
    ];
  });

  // Core decisions per second: one site, one rule with a 10% rate (a draw every call).
  const injector = new FaultInjector({ seed: 1, rules: [{ rate: 0.1, error: 'x' }] });
  const state = injector.site('db.get', 'get');
  const decisions: number[] = [];
  const args: unknown[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const n = 3_000_000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) injector.begin(state, args);
    decisions.push(n / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  const table = markdownTable(
    ['variant', 'sync ns/call', 'sync vs direct', 'async ns/call', 'async vs direct'],
    rows,
  );
  const asyncRatio = median(asyncT.get('wrapped, no rule matches')!) / directAsync;
  return {
    title: 'Chaos driver overhead (wrap)',
    table: `${table}\n\nCore decisions/second (rate 0.1, one draw per call): ${(median(decisions) / 1e6).toFixed(1)} M/s`,
    notes:
      `Medians of ${ROUNDS} alternating rounds (${SYNC_N.toLocaleString()} sync / ${ASYNC_N.toLocaleString()} async calls each). ` +
      `Goal: async pass-through within 1.5x of a direct async call — measured ${asyncRatio.toFixed(2)}x.`,
  };
}
