/**
 * What a failpoint costs where it sits in code.
 *
 * - inactive `failpointSync` vs an empty function call (goal: no more than 2 ns apart);
 * - inactive `await failpoint()` vs `await undefined`;
 * - a name with no term while another failpoint is set (the registry lookup);
 * - an active term that never fires (`0%throw`: a seeded draw on every hit).
 *
 * Every variant runs in alternating rounds in one process (process.hrtime.bigint over many iterations);
 * the median round is reported.
 */
import { failpoint, failpointSync, failpoints } from '../../src/failpoint/index.js';
import { type BenchSection, markdownTable } from '../types.js';

const SYNC_N = 10_000_000;
const ASYNC_N = 1_000_000;
const ROUNDS = 9;

/** Written by every loop so the JIT cannot drop the calls being measured. */
let _sink = 0;

function empty(_name: string, _ctx?: unknown): unknown {
  return undefined;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeSync(f: (name: string) => unknown, name: string): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < SYNC_N; i++) {
    if (f(name) !== undefined) _sink++;
  }
  return Number(process.hrtime.bigint() - t0) / SYNC_N;
}

async function timeAwaitUndefined(): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ASYNC_N; i++) {
    if ((await undefined) !== undefined) _sink++;
  }
  return Number(process.hrtime.bigint() - t0) / ASYNC_N;
}

async function timeAwaitFailpoint(name: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ASYNC_N; i++) {
    if ((await failpoint(name)) !== undefined) _sink++;
  }
  return Number(process.hrtime.bigint() - t0) / ASYNC_N;
}

function zeroPercentThrow(): { [Symbol.dispose]: () => void } {
  failpoints.set('bench.zero', '0%throw', { allowUnknown: true });
  return { [Symbol.dispose]: () => failpoints.unset('bench.zero') };
}

export default async function failpointBench(): Promise<BenchSection> {
  if (failpoints.list().some((f) => f.term !== null)) {
    throw new Error('failpoint bench: unset FAULTLINE_FAILPOINTS (it measures the inactive path)');
  }
  failpoints.seed(1);
  failpoints.declare('bench.zero', 'benchmark: a 0% term');
  const t = {
    emptyCall: [] as number[],
    inactiveSync: [] as number[],
    otherSetSync: [] as number[],
    zeroSync: [] as number[],
    awaitUndefined: [] as number[],
    inactiveAsync: [] as number[],
    zeroAsync: [] as number[],
  };
  for (let r = 0; r < ROUNDS; r++) {
    t.emptyCall.push(timeSync(empty, 'bench.off'));
    t.inactiveSync.push(timeSync(failpointSync, 'bench.off'));
    t.awaitUndefined.push(await timeAwaitUndefined());
    t.inactiveAsync.push(await timeAwaitFailpoint('bench.off'));
    {
      const zero = zeroPercentThrow();
      t.otherSetSync.push(timeSync(failpointSync, 'bench.off'));
      t.zeroSync.push(timeSync(failpointSync, 'bench.zero'));
      t.zeroAsync.push(await timeAwaitFailpoint('bench.zero'));
      zero[Symbol.dispose]();
    }
  }
  const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)])) as Record<
    keyof typeof t,
    number
  >;
  const ns = (x: number) => x.toFixed(2);
  const diff = (x: number, base: number) => `${x - base >= 0 ? '+' : ''}${(x - base).toFixed(2)} ns`;
  const rows = [
    ['empty function call `empty(name)`', ns(m.emptyCall), 'baseline'],
    ['inactive `failpointSync(name)`', ns(m.inactiveSync), diff(m.inactiveSync, m.emptyCall)],
    [
      '`failpointSync(name)`, no term, another failpoint set',
      ns(m.otherSetSync),
      diff(m.otherSetSync, m.emptyCall),
    ],
    ['active, never fires: `failpointSync` with `0%throw`', ns(m.zeroSync), diff(m.zeroSync, m.emptyCall)],
    ['`await undefined`', ns(m.awaitUndefined), 'baseline'],
    ['inactive `await failpoint(name)`', ns(m.inactiveAsync), diff(m.inactiveAsync, m.awaitUndefined)],
    [
      'active, never fires: `await failpoint` with `0%throw`',
      ns(m.zeroAsync),
      diff(m.zeroAsync, m.awaitUndefined),
    ],
  ];
  const gap = m.inactiveSync - m.emptyCall;
  const table = markdownTable(['variant', 'ns/call (median)', 'vs baseline'], rows);
  const notes =
    `Inactive \`failpointSync\` is ${gap.toFixed(2)} ns from an empty call: the 2 ns goal is ` +
    `${Math.abs(gap) <= 2 ? 'met' : 'NOT met'}. ${SYNC_N.toLocaleString('en')} sync / ` +
    `${ASYNC_N.toLocaleString('en')} async iterations per round, median of ${ROUNDS} alternating rounds. ` +
    'The inactive path is one module-level boolean check; the async form returns one shared, already ' +
    'resolved promise, which awaits faster than `await undefined` (that one wraps a non-promise).';
  return { title: 'Failpoints: cost where they sit in code', table, notes };
}
