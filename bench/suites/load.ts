/**
 * Load generator, closed model: faultline's `faultline load` against autocannon and wrk (and a bare node:net
 * loop, the floor for any Node generator) on the same node:http hello-world server, in rotating rounds of one
 * run; and the three pipelined, 10 requests in flight per connection, in the same rounds. Every generator is a process of its own, measured from outside over a steady window: CPU from
 * /proc/<pid>/stat (user + system, every thread), requests from the server's counter. Requests per CPU-second is
 * the figure that matters on a machine the server shares with the generator; the ratio to autocannon is taken
 * within each round (both measured minutes apart at most) and its median reported — for a pipelined row, to
 * autocannon pipelined as deep.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CpuSplit, perfUnavailable, profileGenerator } from '../cpu-profile.js';
import {
  type Argv,
  AUTOCANNON,
  FAULTLINE,
  killProcess,
  machineLine,
  measureWindow,
  median,
  NET_FLOOR,
  perCpuSecond,
  startProcess,
  usPerRequest,
  type Window,
  wrkPipelineScript,
} from '../generators.js';
import { startHelloServer } from '../http-target.js';
import { type BenchSection, markdownTable } from '../types.js';

const CONNECTIONS = 50;
/** Requests in flight per connection in the pipelined rows. */
const PIPELINING = 10;
const ROUNDS = 5;
const WARM_MS = 1000;
const WINDOW_MS = 2500;
/** Generators are killed once measured: this only has to outlast start-up, warm-up and window. */
const RUN_S = 60;
const GOAL = 1.5;
const PROFILE_MS = 2500;
/** Profiled once after the rounds, with the file names that tell each one's own JavaScript apart. */
const PROFILED: [string, RegExp][] = [
  ['faultline load (raw engine, the default)', /src\/load|src\/core/],
  ['autocannon 9', /autocannon|hdr-histogram|node_modules/],
  ['node:net floor (nothing parsed or recorded)', /\[eval/],
  ['wrk -t1', /$^/],
];

/** Files a generator reads at run time: wrk's pipelining script. */
interface RunFiles {
  wrkPipeline: string;
}

interface Generator {
  name: string;
  /** One argv per process of the generator. */
  procs: (url: string, files: RunFiles) => Argv[];
  /** The row its ratio is to (default autocannon's): the pipelined rows are compared with autocannon's. */
  versus?: string;
}

const faultline = (url: string, connections: number, ...more: string[]): Argv => [
  ...FAULTLINE,
  'load',
  url,
  '--connections',
  String(connections),
  '--duration',
  `${RUN_S}s`,
  ...more,
];

const GENERATORS: Generator[] = [
  { name: 'faultline load (raw engine, the default)', procs: (url) => [faultline(url, CONNECTIONS)] },
  {
    name: 'faultline load, 2 processes × 25 connections',
    procs: (url) => [faultline(url, CONNECTIONS / 2), faultline(url, CONNECTIONS / 2)],
  },
  {
    name: 'faultline load --engine undici',
    procs: (url) => [faultline(url, CONNECTIONS, '--engine', 'undici')],
  },
  {
    name: 'autocannon 9',
    procs: (url) => [[process.execPath, '-e', AUTOCANNON, url, String(CONNECTIONS), String(RUN_S)]],
  },
  { name: 'wrk -t1', procs: (url) => [['wrk', '-t1', `-c${CONNECTIONS}`, `-d${RUN_S}s`, url]] },
  {
    name: 'node:net floor (nothing parsed or recorded)',
    procs: (url) => [[process.execPath, '-e', NET_FLOOR, url, String(CONNECTIONS)]],
  },
  {
    name: `faultline load --pipelining ${PIPELINING}`,
    procs: (url) => [faultline(url, CONNECTIONS, '--pipelining', String(PIPELINING))],
    versus: `autocannon 9 -p${PIPELINING}`,
  },
  {
    name: `autocannon 9 -p${PIPELINING}`,
    procs: (url) => [
      [process.execPath, '-e', AUTOCANNON, url, String(CONNECTIONS), String(RUN_S), String(PIPELINING)],
    ],
    versus: `autocannon 9 -p${PIPELINING}`,
  },
  {
    name: `wrk -t1, ${PIPELINING} requests per write (Lua)`,
    procs: (url, files) => [['wrk', '-t1', `-c${CONNECTIONS}`, `-d${RUN_S}s`, '-s', files.wrkPipeline, url]],
    versus: `autocannon 9 -p${PIPELINING}`,
  },
];

const AUTOCANNON_ROW = 'autocannon 9';
const f0 = (n: number) => Math.round(n).toLocaleString('en-US');
const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);

/** What the perf table says, in a sentence or two from its own figures. */
function profileNotes(profiles: Map<string, CpuSplit>): string {
  const fl = profiles.get(PROFILED[0]?.[0] as string);
  const ac = profiles.get('autocannon 9');
  const floor = profiles.get('node:net floor (nothing parsed or recorded)');
  if (fl === undefined || ac === undefined || floor === undefined) return '';
  const get = (p: CpuSplit, c: string) => p.usPerRequest.get(c) ?? 0;
  const js = (p: CpuSplit, own: boolean) =>
    get(p, own ? 'JavaScript: the generator' : "JavaScript: Node's (streams, sockets)");
  return (
    `The second table: \`perf record\` at 999 Hz on each generator's process over one ${PROFILE_MS / 1000} s ` +
    'window after the rounds (Node with --perf-basic-prof, so JIT-compiled functions are named; one window ' +
    "each, so a few tenths of a µs are noise). Where the time goes: of faultline's " +
    `${f2(fl.totalUs)} µs per request the kernel takes ${f2(get(fl, 'kernel'))} (TCP over loopback, epoll, ` +
    `waking up: ${f2(get(floor, 'kernel'))} for the floor, ${f2(get(ac, 'kernel'))} for autocannon), Node's ` +
    "binary, libc and Node's own JavaScript — mostly the socket plumbing every Node generator pays, the " +
    `floor ${f2(floor.totalUs - get(floor, 'kernel'))} — ` +
    `${f2(fl.totalUs - get(fl, 'kernel') - js(fl, true))}, and faultline's own JavaScript (parsing, ` +
    `recording, the closed loop) ${f2(js(fl, true))}. autocannon's own JavaScript is ` +
    `${f2(js(ac, true))} µs and it drives V8's runtime harder (${f2(get(ac, 'Node binary (V8 runtime, builtins, GC; libuv)'))} ` +
    `µs in Node's binary against faultline's ${f2(get(fl, 'Node binary (V8 runtime, builtins, GC; libuv)'))}). ` +
    `The floor costs ${f2(floor.totalUs)} µs doing nothing but the socket work, faultline ${f2(fl.totalUs)}: ` +
    `${GOAL}x autocannon (${f2(ac.totalUs)} µs in this window) needs ${f2(ac.totalUs / GOAL)} µs.`
  );
}

export default async function (): Promise<BenchSection> {
  const loadBefore = loadavg()[0] ?? 0;
  const server = await startHelloServer();
  const runs = new Map<string, Window[]>(GENERATORS.map((g) => [g.name, []]));
  const profiles = new Map<string, CpuSplit>();
  let profileSkipped = '';
  const dir = mkdtempSync(join(tmpdir(), 'faultline-bench-load-'));
  const files: RunFiles = { wrkPipeline: join(dir, 'pipeline.lua') };
  writeFileSync(files.wrkPipeline, wrkPipelineScript(PIPELINING));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < GENERATORS.length; k++) {
        const g = GENERATORS[(k + round) % GENERATORS.length] as Generator;
        const procs = g.procs(server.url, files).map(startProcess);
        try {
          runs.get(g.name)?.push(await measureWindow(server, procs, WARM_MS, WINDOW_MS));
        } finally {
          await Promise.all(procs.map(killProcess));
        }
      }
    }
    const why = perfUnavailable();
    if (why === undefined) {
      for (const [name, own] of PROFILED) {
        const g = GENERATORS.find((x) => x.name === name) as Generator;
        const argv = g.procs(server.url, files)[0] as Argv;
        profiles.set(name, await profileGenerator(server, argv, own, WARM_MS, PROFILE_MS));
      }
    } else profileSkipped = why;
  } finally {
    server.proc.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  const ratios = (name: string) => {
    const versus = GENERATORS.find((g) => g.name === name)?.versus ?? AUTOCANNON_ROW;
    const ac = runs.get(versus) as Window[];
    return (runs.get(name) as Window[]).map((w, k) => perCpuSecond(w) / perCpuSecond(ac[k] as Window));
  };
  const rows = GENERATORS.map(({ name }) => {
    const ws = runs.get(name) as Window[];
    const r = ratios(name);
    return [
      name,
      f0(median(ws.map((w) => w.requests / w.seconds))),
      `${Math.round(median(ws.map((w) => (w.cpuSeconds / w.seconds) * 100)))} %`,
      f1(median(ws.map(usPerRequest))),
      f0(median(ws.map(perCpuSecond))),
      `${f2(median(r))}x`,
      r.map(f2).join(', '),
    ];
  });
  const fl = median(ratios(GENERATORS[0]?.name as string));
  const two = median(ratios(GENERATORS[1]?.name as string));
  const wrk = median(ratios('wrk -t1'));
  const rps = (name: string) => median((runs.get(name) as Window[]).map((w) => w.requests / w.seconds));
  const oneRps = rps(GENERATORS[0]?.name as string);
  const twoRps = rps(GENERATORS[1]?.name as string);
  const floor = median(ratios('node:net floor (nothing parsed or recorded)'));
  const flPipelined = median(ratios(`faultline load --pipelining ${PIPELINING}`));
  const wrkPipelined = median(ratios(`wrk -t1, ${PIPELINING} requests per write (Lua)`));
  const verdict =
    fl >= GOAL
      ? `met: ${f2(fl)}x`
      : `not met: ${f2(fl)}x, ${Math.round((1 - fl / GOAL) * 100)} % short of ${GOAL}x`;
  const categories = [...new Set([...profiles.values()].flatMap((p) => [...p.usPerRequest.keys()]))];
  const profileTable =
    profiles.size === 0
      ? `(No CPU profile: ${profileSkipped}.)`
      : markdownTable(
          ['CPU µs/request (perf, one window)', ...profiles.keys()],
          [
            ...categories.map((c) => [
              c,
              ...[...profiles.values()].map((p) => f2(p.usPerRequest.get(c) ?? 0)),
            ]),
            ['total', ...[...profiles.values()].map((p) => f2(p.totalUs))],
          ],
        );
  return {
    title: 'Load generator: faultline vs autocannon vs wrk',
    table: `${markdownTable(
      [
        'generator (closed model, 50 connections)',
        'req/s',
        'CPU (% of a core)',
        'CPU µs/request',
        'requests per CPU-second',
        'vs autocannon as pipelined (median of rounds)',
        'vs autocannon as pipelined, each round',
      ],
      rows,
    )}\n\n${profileTable}`,
    notes: [
      `Goal: faultline load ≥ ${GOAL}x autocannon's requests per CPU-second in the median round — ${verdict}. ` +
        `In the same rounds wrk measured ${f2(wrk)}x and the node:net floor ${f2(floor)}x${
          floor < GOAL ? ': not even a Node process that only works its sockets reached the goal' : ''
        } (the second table shows where the CPU goes). Two cores, two ways: two faultline processes of 25 connections each measured ${f2(two)}x ` +
        `at ${f0(twoRps)} req/s against one process's ${f0(oneRps)} — ${
          twoRps > oneRps * 1.05
            ? 'more throughput, at more CPU per request'
            : 'no more throughput (the server is the limit), only more CPU per request'
        }, as each process gets fewer responses per wake-up; one process is the default.`,
      '',
      `Pipelined, ${PIPELINING} requests in flight per connection (the last three rows, each against autocannon ` +
        `-p${PIPELINING} in the same round): faultline load --pipelining ${PIPELINING} measured ` +
        `${f2(flPipelined)}x and wrk (a Lua script writing ${PIPELINING} requests at once) ${f2(wrkPipelined)}x; ` +
        `with ${PIPELINING} requests per system call the kernel's share of each request shrinks, so this ratio ` +
        "shows more of the generators' own user-space cost.",
      '',
      `${ROUNDS} rounds, the order of the ${GENERATORS.length} generators rotating each round; medians of the ` +
        `rounds. Each generator is its own process against one node:http hello-world server (its own process, ` +
        `keep-alive). Measured over a ${WINDOW_MS / 1000} s window that opens ${WARM_MS / 1000} s after the ` +
        'server sees the first request (start-up, connecting and JIT warm-up are not in it): CPU is utime + ' +
        'stime of /proc/<pid>/stat (every thread; 10 ms ticks), requests are counted by the server. Server and ' +
        'generator share the two cores, so req/s is mostly what the server manages; CPU per request is what the ' +
        'generator costs. faultline runs from source under tsx (its loader thread idles once the modules are in).',
      '',
      profileNotes(profiles),
      '',
      machineLine(loadBefore),
    ].join('\n'),
  };
}
