/**
 * The open model under contention: 5,000 req/s against a node:http hello-world server (its own process), the
 * generator's CPU, and its p99 with a CPU hog (a child process spinning) beside it, against a reference
 * open-loop client measured in the same rounds.
 *
 * Variants, each in its own child process so `process.cpuUsage()` (every thread of the process) is its own:
 * - `before`: the old clock — the last quarter millisecond before each arrival waited out on `setImmediate`,
 *   which from about 4,000 req/s never sleeps — in the caller's thread;
 * - `timers`: timers only, the caller's thread;
 * - `worker`: timers only, the generator in its worker thread (the default for the open model);
 * - `reference`: a minimal open-loop client on plain `node:net` and timers: arrivals on the same constant
 *   schedule, latency from the intended send time, nothing else (no templates, outcome classes or histograms).
 *
 * Also runnable as a child: `node --import tsx bench/suites/load-lag.ts --child <variant> <url>`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { collect, startHelloServer } from '../http-target.js';
import { type BenchSection, markdownTable } from '../types.js';

const RATE = 5000;
const RUN_SECONDS = 3;
const CONNECTIONS = 50;
const ROUNDS = 3;
const self = fileURLToPath(import.meta.url);

interface Report {
  requests: number;
  seconds: number;
  cpuUs: number;
  p50Ms: number;
  p99Ms: number;
  sendP99Ms?: number;
  loopP99Ms?: number;
  warned?: boolean;
}

/** The reference: open loop on node:net, 1 ms timer ticks, responses counted by their fixed body. */
async function reference(url: string): Promise<Report> {
  const { connect } = await import('node:net');
  const { hostname, port } = new URL(url);
  const request = Buffer.from(
    `GET / HTTP/1.1\r\nhost: ${hostname}:${port}\r\nconnection: keep-alive\r\n\r\n`,
  );
  const marker = 'hello world';
  const latencies: number[] = [];
  const idle: { socket: import('node:net').Socket; started: number }[] = [];
  const waiting: number[] = [];
  const send = (c: (typeof idle)[number], intended: number) => {
    c.started = intended;
    c.socket.write(request);
  };
  const conns = await Promise.all(
    Array.from(
      { length: CONNECTIONS },
      () =>
        new Promise<(typeof idle)[number]>((resolve) => {
          const c = { socket: connect({ host: hostname, port: Number(port), noDelay: true }), started: 0 };
          let tail = '';
          c.socket.setEncoding('latin1');
          c.socket.on('data', (d: string) => {
            // one request in flight per connection: a response ends with the body
            const text = tail + d;
            if (text.endsWith(marker)) {
              tail = '';
              latencies.push(performance.now() - c.started);
              const next = waiting.shift();
              if (next === undefined) idle.push(c);
              else send(c, next);
            } else tail = text.slice(-marker.length);
          });
          c.socket.once('connect', () => resolve(c));
        }),
    ),
  );
  idle.push(...conns);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const total = RATE * RUN_SECONDS;
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (next < total && t0 + (next * 1000) / RATE <= now) {
        const intended = t0 + (next * 1000) / RATE;
        const c = idle.pop();
        if (c === undefined) waiting.push(intended);
        else send(c, intended);
        next += 1;
      }
      if (next < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  while (latencies.length < total) await new Promise((r) => setTimeout(r, 5));
  const c = process.cpuUsage(c0);
  const seconds = (performance.now() - t0) / 1000;
  for (const x of conns) x.socket.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return { requests: latencies.length, seconds, cpuUs: c.user + c.system, p50Ms: pct(50), p99Ms: pct(99) };
}

async function child(variant: string, url: string): Promise<Report> {
  if (variant === 'reference') return reference(url);
  const { runLoad, startLoad } = await import('../../src/load/http-runner.js');
  const { systemClock } = await import('../../src/load/clock.js');
  // The clock the open model used before: setImmediate for the last quarter millisecond.
  const spinning = {
    ...systemClock,
    setTimeout(fn: () => void, ms: number) {
      if (ms < 0.25) return { immediate: setImmediate(fn) };
      return { timeout: setTimeout(fn, Math.max(1, Math.round(ms))) };
    },
    clearTimeout(handle: unknown) {
      const h = handle as { immediate?: NodeJS.Immediate; timeout?: NodeJS.Timeout };
      if (h.immediate) clearImmediate(h.immediate);
      if (h.timeout) clearTimeout(h.timeout);
    },
  };
  const options = {
    url,
    rate: RATE,
    connections: CONNECTIONS,
    ...(variant === 'before' ? { clock: spinning } : {}),
    thread: variant === 'worker' ? ('worker' as const) : ('main' as const),
  };
  await runLoad({ ...options, durationMs: 500 }); // warm-up (JIT; the worker's modules)
  const run = startLoad({ ...options, durationMs: RUN_SECONDS * 1000 });
  // A worker loads its modules first (CPU that is start-up, not load): measured from the run's start.
  await run.started;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await run.done;
  const c = process.cpuUsage(c0);
  const worst = (f: 'sendP99Ms' | 'loopP99Ms') =>
    Math.max(0, ...r.series.buckets.map((b) => b.lag?.[f] ?? 0));
  return {
    requests: r.summary.completed,
    seconds: (performance.now() - t0) / 1000,
    cpuUs: c.user + c.system,
    p50Ms: r.summary.latency.p50Ms,
    p99Ms: r.summary.latency.p99Ms,
    sendP99Ms: worst('sendP99Ms'),
    loopP99Ms: worst('loopP99Ms'),
    warned: r.lag?.warning !== undefined,
  };
}

async function runChild(variant: string, url: string): Promise<Report> {
  const proc = spawn(process.execPath, ['--import', 'tsx', self, '--child', variant, url], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = await collect(proc);
  return JSON.parse(out.trim().split('\n').at(-1) as string) as Report;
}

/** A CPU hog: one process spinning, started for a run and killed after it. */
function startHog(): ChildProcess {
  return spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
}

const VARIANTS: [string, string][] = [
  ['before', 'before: setImmediate wait, main thread'],
  ['timers', 'timers, main thread'],
  ['worker', 'timers, worker thread (faultline load, experiments)'],
  ['reference', 'reference open-loop client (node:net + timers)'],
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);

export default async function (): Promise<BenchSection> {
  const { url, proc } = await startHelloServer();
  const runs = new Map<string, Report[]>();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const hog of [false, true]) {
        for (let k = 0; k < VARIANTS.length; k++) {
          const [variant] = VARIANTS[(k + round) % VARIANTS.length] as [string, string];
          const h = hog ? startHog() : undefined;
          try {
            const r = await runChild(variant, url);
            const key = `${variant}/${hog}`;
            runs.set(key, [...(runs.get(key) ?? []), r]);
          } finally {
            h?.kill();
          }
        }
      }
    }
  } finally {
    proc.kill();
  }
  const rows = VARIANTS.map(([variant, label]) => {
    const quiet = runs.get(`${variant}/false`) ?? [];
    const hogged = runs.get(`${variant}/true`) ?? [];
    const cpuShare = quiet.map((r) => (r.cpuUs / 1e6 / r.seconds) * 100);
    const usPerReq = quiet.map((r) => r.cpuUs / r.requests);
    return [
      label,
      `${f1(median(usPerReq))}`,
      `${Math.round(median(cpuShare))} %`,
      `${f2(median(quiet.map((r) => r.p50Ms)))} / ${f2(median(quiet.map((r) => r.p99Ms)))}`,
      `${f2(median(hogged.map((r) => r.p99Ms)))} (${hogged.map((r) => f1(r.p99Ms)).join(', ')})`,
      variant === 'reference'
        ? '–'
        : `${f1(median(hogged.map((r) => r.sendP99Ms ?? 0)))} / ${f1(median(hogged.map((r) => r.loopP99Ms ?? 0)))}`,
      variant === 'reference' ? '–' : `${hogged.filter((r) => r.warned).length} of ${hogged.length}`,
    ];
  });
  return {
    title: 'Load generator: open model at 5,000 req/s under contention',
    table: markdownTable(
      [
        'generator',
        'CPU µs/request',
        'CPU (% of a core)',
        'p50 / p99 ms',
        'p99 ms with a CPU hog (each round)',
        'with hog: worst send / loop lag p99 ms',
        'with hog: lag warning',
      ],
      rows,
    ),
    notes:
      `${RATE} req/s open model, ${CONNECTIONS} keep-alive connections, ${RUN_SECONDS} s per run after a 0.5 s ` +
      `warm-up, ${ROUNDS} rounds, the order rotating each round; medians of the rounds. Each generator is its own ` +
      'process; CPU is process.cpuUsage() around the run (every thread of the process). "With a CPU hog": a ' +
      'child process spinning (`for (;;) {}`) for the length of the run, so generator, server and hog share the ' +
      "two cores (with whatever else the machine runs). p99 is from each run's own histogram: latency from the " +
      'intended send time for all four. "Before" is the clock the open model used until now (the last quarter ' +
      'millisecond before each arrival waited out on setImmediate), passed in as a custom clock; with a custom ' +
      "clock the event-loop delay is not measured (0 in its lag column). CPU is counted from the run's start " +
      "(`started`), so a worker's module loading is not in it.",
  };
}

if (process.argv[2] === '--child') {
  const report = await child(process.argv[3] as string, process.argv[4] as string);
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exit(0);
}
