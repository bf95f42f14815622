/**
 * Load generator, open model at 5,000 req/s: what it costs, and whether its p99 tells the truth when the server
 * stalls and when the CPU is contended. Against a node:http hello-world server, plain or holding its event loop
 * 200 ms once a second, with and without a CPU hog (a process spinning) beside it, faultline's `faultline load
 * --rate` runs in rotating rounds next to a reference open-loop client: a few dozen lines on node:net and timers
 * that send on the same constant schedule and measure latency from the intended send time — what wrk2 does —
 * with nothing else (no templates, outcome classes, per-second series or lag measures).
 *
 * A stall of 200 ms each second holds the arrivals in it for up to 200 ms: 20 % of requests wait, so a client
 * that charges waiting to latency (coordinated omission corrected) reports a p99 near 190 ms. CPU is read from
 * /proc/<pid>/stat over a steady window, as in the closed-model suite.
 */
import { loadavg } from 'node:os';
import {
  type Argv,
  FAULTLINE,
  machineLine,
  measureWindow,
  median,
  startHog,
  startProcess,
  type Window,
} from '../generators.js';
import { collect, type HelloServer, startHelloServer } from '../http-target.js';
import { type BenchSection, markdownTable } from '../types.js';

const RATE = 5000;
const RUN_S = 4;
const CONNECTIONS = 50;
const ROUNDS = 3;
const STALL_MS = 200;
const WARM_MS = 500;
const WINDOW_MS = 2500;
const CPU_GOAL = 0.5;
const P99_GOAL = 2;

/** The reference open-loop client: `node -e REFERENCE url rate seconds connections`; prints {p50Ms, p99Ms}. */
const REFERENCE = `
const { connect } = require('node:net');
const [url, rateArg, secondsArg, connectionsArg] = process.argv.slice(1);
const rate = Number(rateArg), total = rate * Number(secondsArg);
const { hostname, port } = new URL(url);
const request = Buffer.from('GET / HTTP/1.1\\r\\nhost: ' + hostname + ':' + port + '\\r\\nconnection: keep-alive\\r\\n\\r\\n');
const marker = 'hello world';
const latencies = [];
const idle = [];
const waiting = [];
const send = (c, intended) => { c.started = intended; c.socket.write(request); };
let open = 0;
for (let i = 0; i < Number(connectionsArg); i++) {
  const c = { socket: connect({ host: hostname, port: Number(port), noDelay: true }), started: 0 };
  let tail = '';
  c.socket.setEncoding('latin1');
  c.socket.on('data', (d) => {
    // one request in flight per connection: a response ends with the body
    const text = tail + d;
    if (text.endsWith(marker)) {
      tail = '';
      latencies.push(performance.now() - c.started);
      const next = waiting.shift();
      if (next === undefined) idle.push(c); else send(c, next);
      if (latencies.length === total) finish();
    } else tail = text.slice(-marker.length);
  });
  c.socket.once('connect', () => { idle.push(c); if (++open === Number(connectionsArg)) start(); });
}
let t0 = 0, next = 0;
function start() {
  t0 = performance.now();
  const tick = () => {
    const now = performance.now();
    while (next < total && t0 + (next * 1000) / rate <= now) {
      const intended = t0 + (next * 1000) / rate;
      const c = idle.pop();
      if (c === undefined) waiting.push(intended); else send(c, intended);
      next += 1;
    }
    if (next < total) setTimeout(tick, 1);
  };
  tick();
}
function finish() {
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  process.stdout.write(JSON.stringify({ p50Ms: pct(50), p99Ms: pct(99) }) + '\\n');
  process.exit(0);
}
`;

interface Run extends Window {
  p99Ms: number;
  warned: boolean;
}

interface Generator {
  key: string;
  name: string;
  /** Runs against the stalling server too. */
  stall: boolean;
  argv: (url: string) => Argv;
}

const faultline = (url: string, ...more: string[]): Argv => [
  ...FAULTLINE,
  'load',
  url,
  '--rate',
  `${RATE}/s`,
  '--duration',
  `${RUN_S}s`,
  '--connections',
  String(CONNECTIONS),
  '--json',
  ...more,
];

const GENERATORS: Generator[] = [
  {
    key: 'faultline',
    name: 'faultline load --rate (its own worker thread, the default)',
    stall: true,
    argv: (url) => faultline(url),
  },
  {
    key: 'main',
    name: 'faultline load --rate --thread main',
    stall: false,
    argv: (url) => faultline(url, '--thread', 'main'),
  },
  {
    key: 'reference',
    name: 'reference open-loop client (node:net + timers)',
    stall: true,
    argv: (url) => [process.execPath, '-e', REFERENCE, url, String(RATE), String(RUN_S), String(CONNECTIONS)],
  },
];

async function runOne(g: Generator, server: HelloServer): Promise<Run> {
  const p = startProcess(g.argv(server.url));
  const out = collect(p);
  const w = await measureWindow(server, [p], WARM_MS, WINDOW_MS);
  const text = await out;
  const report = JSON.parse(text.trim().split('\n').at(-1) as string) as {
    p99Ms?: number;
    summary?: { latency: { p99Ms: number } };
    lag?: { warning?: string };
  };
  return {
    ...w,
    p99Ms: report.summary?.latency.p99Ms ?? report.p99Ms ?? Number.NaN,
    warned: report.lag?.warning !== undefined,
  };
}

const f0 = (n: number) => Math.round(n).toLocaleString('en-US');
const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);

export default async function (): Promise<BenchSection> {
  const loadBefore = loadavg()[0] ?? 0;
  const servers = { plain: await startHelloServer(), stall: await startHelloServer(STALL_MS) };
  const runs = new Map<string, Run[]>();
  const key = (g: string, server: string, hog: boolean) => `${g}/${server}/${hog ? 'hog' : 'quiet'}`;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const hog of [false, true]) {
        for (const server of ['plain', 'stall'] as const) {
          const gens = GENERATORS.filter((g) => server === 'plain' || g.stall);
          for (let k = 0; k < gens.length; k++) {
            const g = gens[(k + round) % gens.length] as Generator;
            const h = hog ? startHog() : undefined;
            try {
              const r = await runOne(g, servers[server]);
              const id = key(g.key, server, hog);
              runs.set(id, [...(runs.get(id) ?? []), r]);
            } finally {
              h?.kill();
            }
          }
        }
      }
    }
  } finally {
    servers.plain.proc.kill();
    servers.stall.proc.kill();
  }
  const get = (g: string, server: string, hog: boolean) => runs.get(key(g, server, hog)) ?? [];
  const cores = (rs: Run[]) => median(rs.map((r) => r.cpuSeconds / r.seconds));
  const p99s = (rs: Run[]) =>
    `${f1(median(rs.map((r) => r.p99Ms)))} (${rs.map((r) => f1(r.p99Ms)).join(', ')})`;
  const warned = (rs: Run[]) => `${rs.filter((r) => r.warned).length} of ${rs.length}`;
  const rows = GENERATORS.map((g) => {
    const quiet = get(g.key, 'plain', false);
    const isRef = g.key === 'reference';
    return [
      g.name,
      f0(median(quiet.map((r) => r.requests / r.seconds))),
      `${Math.round(cores(quiet) * 100)} %`,
      f1(median(quiet.map((r) => (r.cpuSeconds * 1e6) / r.requests))),
      p99s(quiet),
      p99s(get(g.key, 'plain', true)),
      g.stall ? p99s(get(g.key, 'stall', false)) : '–',
      g.stall ? p99s(get(g.key, 'stall', true)) : '–',
      isRef
        ? '–'
        : `${warned(get(g.key, 'plain', true))}${g.stall ? `; stall: ${warned(get(g.key, 'stall', true))}` : ''}`,
    ];
  });
  // the goals, each a ratio within a round, the median of the rounds
  const perRound = (a: Run[], b: Run[]) => a.map((r, k) => r.p99Ms / (b[k] as Run).p99Ms);
  const cpu = cores(get('faultline', 'plain', false));
  const hogRatios = perRound(get('faultline', 'plain', true), get('reference', 'plain', true));
  const hogRatio = median(hogRatios);
  const hogWarned = get('faultline', 'plain', true).filter((r) => r.warned).length;
  const stallQuiet = median(get('faultline', 'stall', false).map((r) => r.p99Ms));
  const stallRatio = median(perRound(get('faultline', 'stall', false), get('reference', 'stall', false)));
  const stallHogRatio = median(perRound(get('faultline', 'stall', true), get('reference', 'stall', true)));
  const goals = [
    `Goals (each within the same rounds, the median of ${ROUNDS}):`,
    `- CPU at ${f0(RATE)} req/s under ${CPU_GOAL} of a core — ${cpu < CPU_GOAL ? 'met' : 'not met'}: ` +
      `${f2(cpu)} of a core (the reference client: ${f2(cores(get('reference', 'plain', false)))}).`,
    `- Beside a CPU hog, p99 within ${P99_GOAL}x the reference client's (or the run says the generator could ` +
      `not keep up) — ${hogRatio <= P99_GOAL ? 'met' : hogWarned === ROUNDS ? 'met by the warning' : 'not met'}: ` +
      `${f2(hogRatio)}x (each round ${hogRatios.map(f2).join(', ')}); ${hogWarned} of ${ROUNDS} runs warned.`,
    `- The stall shows: p99 ${f1(stallQuiet)} ms against the ≈190 ms a corrected client must report, ` +
      `${f2(stallRatio)}x the reference client's (${f2(stallHogRatio)}x with the hog).`,
  ].join('\n');
  return {
    title: 'Load generator: open model at 5,000 req/s under contention',
    table: markdownTable(
      [
        'generator',
        'req/s',
        'CPU (% of a core)',
        'CPU µs/request',
        'p99 ms (each round)',
        'p99 ms with a CPU hog',
        `p99 ms, server stalls ${STALL_MS} ms/s`,
        'stall and CPU hog',
        'with a hog: lag warning',
      ],
      rows,
    ),
    notes: [
      goals,
      '',
      `${f0(RATE)} req/s, ${CONNECTIONS} keep-alive connections, ${RUN_S} s runs, ${ROUNDS} rounds with the ` +
        'order rotating; medians of the rounds. Each generator is its own process; its CPU is utime + stime of ' +
        `/proc/<pid>/stat over ${WINDOW_MS / 1000} s from ${WARM_MS / 1000} s after the server saw its first ` +
        "request (every thread: a worker's too). p99 is each generator's own, over its whole run, latency from " +
        'the intended send time. The CPU hog is a process spinning beside generator and server on the two ' +
        'cores. The lag warning is the one `faultline load` prints when its own send, receive or event-loop lag ' +
        'is a real share of the latency it measured (src/load/lag.ts). The open model runs in a worker thread ' +
        "of its own by default (an experiment's monitors and fault executor share the process); `--thread main` " +
        'is the other way, measured beside it. With a hog, and on a machine other work shares, p99 swings by ' +
        'an order of magnitude between rounds for every client, the reference included: the per-round ratio ' +
        'and the warning are the figures to read, not one p99.',
      '',
      machineLine(loadBefore),
    ].join('\n'),
  };
}
