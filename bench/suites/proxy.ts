/**
 * The proxy's cost, side by side in one run on 127.0.0.1: direct, through a bare `socket.pipe()` proxy (the
 * floor any Node proxy stands on) and through faultline's proxy with no toxics — bulk MB/s, 64-byte ping-pong
 * latency, `wrk -t2 -c50` keep-alive req/s; the same figures with each toxic type present at toxicity 0, each
 * measured in rounds alternating with the no-toxic proxy; and a 10 ms latency toxic on one connection, next to
 * the same ping-pong paced 10 ms apart with no toxic (what the path costs when every process has gone idle).
 *
 * Four processes so no side measures itself, as in a real deployment: this one (the clients; wrk is its own
 * process), an upstream process (echo, byte source and HTTP servers), the faultline proxy process
 * (createProxyServer, driven over its HTTP API) and the bare pipe proxy process. The children are this file run
 * again with FAULTLINE_BENCH_PROXY_ROLE set. Every figure is the median of alternating rounds (the order of the
 * paths rotates each round) with the spread across rounds; "added" figures are per-round differences from the
 * direct path measured in the same round.
 */
import { type ChildProcess, execFile, fork } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createConnection, createServer, type Socket } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { STRONG_TOXIC_ATTRIBUTES } from '../../test/proxy/fixtures/strong-toxics.js';
import { type BenchSection, markdownTable } from '../types.js';

const ROLE = process.env.FAULTLINE_BENCH_PROXY_ROLE;
const BULK_BYTES = 256 * 1024 * 1024;
const PINGS = 5000;
const PING_WARMUP = 200;
const WRK_SECONDS = 2;
/** Rounds of direct / bare pipe / faultline. */
const ROUNDS = 7;
/** Rounds per toxicity-0 type, each alternating with the no-toxic proxy. */
const ZERO_ROUNDS = 3;
const LATENCY_MS = 10;
const LATENCY_PINGS = 400;
const LATENCY_ROUNDS = 7;
const LATENCY_WARMUP = 20;
/** How long a process that never sleeps watches for gaps in its own running. */
const HICCUP_MS = 5000;

const KEYS = ['echo', 'source', 'http'] as const;
type Key = (typeof KEYS)[number];
type Ports = Record<Key, number>;

async function listenOn(server: { listen: (port: number, host: string) => unknown; address: () => unknown }) {
  server.listen(0, '127.0.0.1');
  await once(server as unknown as NodeJS.EventEmitter, 'listening');
  return (server.address() as AddressInfo).port;
}

async function upstreamRole(): Promise<void> {
  const { systemClock } = await import('../../src/proxy/index.js');
  const echo = createServer({ noDelay: true }, (s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  // No proxy: an echo that sends each chunk back LATENCY_MS after reading it, on the clock the toxic uses.
  const delayed = createServer({ noDelay: true }, (s) => {
    s.on('error', () => {});
    s.on('data', (d: Buffer) => systemClock.setTimeout(() => s.write(d), LATENCY_MS));
  });
  // Byte source: the client sends an 8-byte length and reads that many bytes.
  const chunk = Buffer.alloc(64 * 1024, 7);
  const source = createServer({ noDelay: true }, (s) => {
    s.on('error', () => {});
    s.once('data', (d: Buffer) => {
      let left = Number(d.readBigUInt64BE(0));
      const pump = () => {
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void s.once('drain', pump);
        }
        s.end();
      };
      pump();
    });
  });
  const body = 'hello world';
  const http = createHttpServer({ keepAlive: true }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    res.end(body);
  });
  const ports: Ports = {
    echo: await listenOn(echo),
    source: await listenOn(source),
    http: await listenOn(http),
  };
  process.send!({ ...ports, delayed: await listenOn(delayed) });
}

/** The baseline: per connection, `client.pipe(upstream)` and `upstream.pipe(client)`, Nagle off on both legs. */
async function pipeRole(): Promise<void> {
  const upstream = JSON.parse(process.env.FAULTLINE_BENCH_PROXY_UPSTREAM!) as Ports;
  const ports = {} as Ports;
  for (const key of KEYS) {
    const server = createServer({ noDelay: true }, (client) => {
      const up = createConnection({ host: '127.0.0.1', port: upstream[key], noDelay: true });
      client.on('error', () => up.destroy());
      up.on('error', () => client.destroy());
      client.pipe(up);
      up.pipe(client);
    });
    ports[key] = await listenOn(server);
  }
  process.send!(ports);
}

/** A monotonic time in ms that every process on the machine shares (CLOCK_MONOTONIC). */
function hrMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** The proxy process's timers and GC pauses since the previous report. */
interface ProxyReport {
  /** Each timer's deadline and when it ran, on {@link hrMs}'s clock. */
  timers: [due: number, ran: number][];
  /** Timers that ran more than 0.1 ms late, and how many of those a GC pause overlapped. */
  lateOver100: number;
  lateInGc: number;
  minorGcs: number;
  majorGcs: number;
  gcMs: number;
}

async function proxyRole(): Promise<void> {
  const { createProxyServer, systemClock } = await import('../../src/proxy/index.js');
  // The system clock, recording when each timer was due and when it ran (performance.now() time, like GC
  // entries; `offset` turns it into hrMs time).
  const offset = hrMs() - systemClock.now();
  let fired: { due: number; at: number }[] = [];
  const clock: typeof systemClock = {
    now: () => systemClock.now(),
    setTimeout(fn, delayMs) {
      const due = systemClock.now() + Math.max(0, delayMs);
      return systemClock.setTimeout(() => {
        fired.push({ due, at: systemClock.now() });
        fn();
      }, delayMs);
    },
    clearTimeout: (timer) => systemClock.clearTimeout(timer),
  };
  let gcs: { start: number; end: number; major: boolean }[] = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      gcs.push({
        start: e.startTime,
        end: e.startTime + e.duration,
        major: kind !== perfConstants.NODE_PERFORMANCE_GC_MINOR,
      });
    }
  }).observe({ entryTypes: ['gc'] });
  const server = createProxyServer({ port: 0, seed: 1, clock });
  const { url } = await server.listen();
  process.on('message', () => {
    const lateOnes = fired.filter((f) => f.at - f.due > 0.1);
    const report: ProxyReport = {
      timers: fired.map((f) => [f.due + offset, f.at + offset]),
      lateOver100: lateOnes.length,
      lateInGc: lateOnes.filter((f) => gcs.some((g) => g.start < f.at && g.end > f.due)).length,
      minorGcs: gcs.filter((g) => !g.major).length,
      majorGcs: gcs.filter((g) => g.major).length,
      gcMs: gcs.reduce((a, g) => a + g.end - g.start, 0),
    };
    fired = [];
    gcs = [];
    process.send!(report);
  });
  process.send!(url);
}

/** Never sleeps for `HICCUP_MS`, reporting every gap of over 0.5 ms between two reads of the clock. */
function hiccupRole(): void {
  const gaps: number[] = [];
  let last = hrMs();
  const end = last + HICCUP_MS;
  while (last < end) {
    const t = hrMs();
    if (t - last > 0.5) gaps.push(t - last);
    last = t;
  }
  process.send!(gaps);
}

if (ROLE) {
  process.on('disconnect', () => process.exit(0));
  if (ROLE === 'hiccup') hiccupRole();
  if (ROLE === 'upstream') await upstreamRole();
  if (ROLE === 'pipe') await pipeRole();
  if (ROLE === 'proxy') await proxyRole();
}

function spawnRole(
  role: string,
  env: Record<string, string> = {},
): { child: ChildProcess; ready: Promise<unknown> } {
  const child = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, ...env, FAULTLINE_BENCH_PROXY_ROLE: role },
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return { child, ready: new Promise((resolve) => child.once('message', resolve)) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function connectTo(port: number): Promise<Socket> {
  const s = createConnection({ port, host: '127.0.0.1', noDelay: true });
  await once(s, 'connect');
  return s;
}

/**
 * Send and receive times ({@link hrMs}) of `count` 64-byte ping-pongs on one connection, after `warmup` more,
 * with `gapMs` idle before each.
 */
async function pingTimes(
  port: number,
  count: number,
  warmup: number,
  gapMs = 0,
): Promise<[number, number][]> {
  const s = await connectTo(port);
  const msg = Buffer.alloc(64, 1);
  const times: [number, number][] = [];
  let got = 0;
  let done: (() => void) | undefined;
  s.on('data', (d: Buffer) => {
    got += d.length;
    if (got >= 64 && done) {
      got -= 64;
      const d2 = done;
      done = undefined;
      d2();
    }
  });
  for (let i = 0; i < count + warmup; i++) {
    if (gapMs > 0) await sleep(gapMs);
    const t0 = hrMs();
    await new Promise<void>((resolve) => {
      done = resolve;
      s.write(msg);
    });
    if (i >= warmup) times.push([t0, hrMs()]);
  }
  s.destroy();
  return times;
}

/** Round-trip times (µs, sorted) of `count` ping-pongs; see {@link pingTimes}. */
async function pingPong(port: number, count: number, warmup: number, gapMs = 0): Promise<number[]> {
  const times = await pingTimes(port, count, warmup, gapMs);
  return times.map(([a, b]) => (b - a) * 1000).sort((a, b) => a - b);
}

/** MB/s receiving `bytes` from the source server. */
async function bulk(port: number, bytes: number): Promise<number> {
  const s = await connectTo(port);
  const req = Buffer.alloc(8);
  req.writeBigUInt64BE(BigInt(bytes));
  let got = 0;
  const t0 = process.hrtime.bigint();
  s.on('data', (d: Buffer) => {
    got += d.length;
  });
  s.write(req);
  await once(s, 'end');
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  s.destroy();
  if (got !== bytes) throw new Error(`bulk: received ${got} of ${bytes} bytes`);
  return bytes / seconds / 1e6;
}

const run = promisify(execFile);

/** wrk keep-alive req/s, or null when wrk is not installed. */
async function wrk(port: number): Promise<number | null> {
  try {
    const { stdout } = await run('wrk', ['-t2', '-c50', `-d${WRK_SECONDS}s`, `http://127.0.0.1:${port}/`]);
    return Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

async function api(base: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${base}${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** One round's figures on one path. */
interface Sample {
  mbps: number;
  p50: number;
  p99: number;
  rps: number | null;
}

async function measure(ports: Ports): Promise<Sample> {
  const mbps = await bulk(ports.source, BULK_BYTES);
  const pp = await pingPong(ports.echo, PINGS, PING_WARMUP);
  const rps = await wrk(ports.http);
  return { mbps, p50: percentile(pp, 50), p99: percentile(pp, 99), rps };
}

/**
 * Runs `measureOne` on every path once per round, the paths' order rotating each round so none is always
 * first after a pause; returns each path's samples in round order.
 */
async function alternate<P extends string, T>(
  paths: readonly P[],
  rounds: number,
  measureOne: (path: P) => Promise<T>,
): Promise<Record<P, T[]>> {
  const out = Object.fromEntries(paths.map((p) => [p, [] as T[]])) as Record<P, T[]>;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < paths.length; i++) {
      const path = paths[(i + r) % paths.length]!;
      out[path].push(await measureOne(path));
    }
  }
  return out;
}

/** `median (min–max)` of some numbers, `digits` decimals. */
function spread(xs: number[], digits = 0): string {
  if (xs.length === 0) return '–';
  const f = (n: number) => n.toFixed(digits);
  return `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
}

/** `lo–hi` of some numbers, each formatted by `f`. */
function rangeOf(xs: number[], f: (x: number) => string): string {
  const ok = xs.filter((x) => !Number.isNaN(x));
  return ok.length ? `${f(Math.min(...ok))} to ${f(Math.max(...ok))}` : '–';
}

/** A number with its sign, `digits` decimals. */
function signed(n: number, digits = 0): string {
  const r = n.toFixed(digits);
  return r.startsWith('-') ? r : `+${r}`;
}

/** `+12 (+3…+40)`: signed per-round differences, median and range, `digits` decimals. */
function signedSpread(xs: number[], digits = 0): string {
  const s = (n: number) => signed(n, digits);
  return `${s(median(xs))} (${s(Math.min(...xs))}…${s(Math.max(...xs))})`;
}

function field<T extends Partial<Sample>>(samples: T[], k: keyof Sample): number[] {
  return samples.map((x) => x[k]).filter((x): x is number => typeof x === 'number');
}

/** Per-round differences `a[i] - b[i]` of one field. */
function diffs<T extends Pick<Sample, 'p50' | 'p99'>>(a: T[], b: T[], k: 'p50' | 'p99'): number[] {
  return a.map((x, i) => x[k] - b[i]![k]);
}

const LABEL = {
  direct: 'direct',
  pipe: 'bare `socket.pipe()` proxy',
  faultline: 'faultline proxy, no toxics',
} as const;

/** The CPUs `pid` may run on (taskset's list, e.g. `0,1` or `0-3`), or null where taskset is missing. */
async function affinity(pid: number): Promise<string | null> {
  try {
    const { stdout } = await run('taskset', ['-c', '-p', String(pid)]);
    return /:\s*(\S+)\s*$/.exec(stdout)?.[1] ?? null;
  } catch {
    return null;
  }
}

/** Sets the CPUs of `pids` (every thread of each). */
async function pin(pids: number[], cpus: string): Promise<void> {
  for (const pid of pids) await run('taskset', ['-a', '-c', '-p', cpus, String(pid)]);
}

/** The last CPU of a taskset list such as `0-3,6`. */
function lastCpu(list: string): string {
  return list.split(',').at(-1)!.split('-').at(-1)!;
}

/** `+12 µs` / `-3 µs`. */
function us(n: number): string {
  return `${signed(n)} µs`;
}

/** What the one-core ping-pong says about the added latency across cores. */
function oneCoreNote(
  oneCore: Record<'direct' | 'pipe' | 'faultline', { p50: number; p99: number }[]>,
  direct: Sample[],
  addedP99: number,
  pipeAddedP99: number,
): string {
  const flP99 = median(diffs(oneCore.faultline, oneCore.direct, 'p99'));
  const parts = [
    'With every process on one core, where no hop waits for another core to wake, faultline adds ' +
      `${us(median(diffs(oneCore.faultline, oneCore.direct, 'p50')))} at p50 and ${us(flP99)} at p99, the bare ` +
      `pipe ${us(median(diffs(oneCore.pipe, oneCore.direct, 'p50')))} and ` +
      `${us(median(diffs(oneCore.pipe, oneCore.direct, 'p99')))}: the CPU a proxy hop costs.`,
  ];
  const across = median(field(direct, 'p50'));
  const one = median(field(oneCore.direct, 'p50'));
  if (across - one > 10) {
    parts.push(
      `Across cores a direct round trip takes ${Math.round(across)} µs at p50 against ${Math.round(one)} µs on one ` +
        `core: about ${Math.round((across - one) / 2)} µs to wake a process on another core, twice per direct ` +
        'round trip and four times per proxied one.',
    );
  }
  if (flP99 <= 100 && addedP99 > 100 && pipeAddedP99 > 100) {
    parts.push(
      'On one core the goal is met; across cores the bare pipe misses it as well, so what is missing is ' +
        'wake-up time, not proxy work.',
    );
  }
  return parts.join(' ');
}

export default async function proxyBench(): Promise<BenchSection> {
  const loadBefore = loadavg()[0]!;
  const started = new Date();
  const up = spawnRole('upstream');
  const px = spawnRole('proxy');
  const { delayed: delayedEcho, ...direct } = (await up.ready) as Ports & { delayed: number };
  const pp = spawnRole('pipe', { FAULTLINE_BENCH_PROXY_UPSTREAM: JSON.stringify(direct) });
  const base = (await px.ready) as string;
  const pipe = (await pp.ready) as Ports;
  const proxyReport = async (): Promise<ProxyReport> => {
    px.child.send('report');
    return (await once(px.child, 'message'))[0] as ProxyReport;
  };
  try {
    /** Creates `<key><suffix>` on the faultline proxy for each upstream; returns their ports. */
    const createProxies = async (suffix: string): Promise<Ports> => {
      const ports = {} as Ports;
      for (const key of KEYS) {
        const p = (await api(base, 'POST', '/proxies', {
          name: `${key}${suffix}`,
          listen: '127.0.0.1:0',
          upstream: `127.0.0.1:${direct[key]}`,
        })) as { listen: string };
        ports[key] = Number(p.listen.split(':')[1]);
      }
      return ports;
    };
    const faultline = await createProxies('');
    const zero = await createProxies('-zero');
    const latency = await createProxies('-latency');

    // Warm-up: every path once, so JIT and lazy initialisation are not in the first round.
    for (const ports of [direct, pipe, faultline, zero]) await measure(ports);

    // 1. Direct vs bare pipe vs faultline, no toxics.
    const paths = { direct, pipe, faultline } as const;
    const main = await alternate(['direct', 'pipe', 'faultline'] as const, ROUNDS, (p) => measure(paths[p]));

    // 2. Every toxic present at toxicity 0 on both streams, alternating with the no-toxic proxy.
    const zeroRows: string[][] = [];
    /** Per type, its medians against the no-toxic proxy's in the same rounds. */
    const zeroVs: { type: string; mbps: number; rps: number; p99: number }[] = [];
    for (const [type, attributes] of Object.entries(STRONG_TOXIC_ATTRIBUTES)) {
      for (const key of KEYS) {
        for (const stream of ['upstream', 'downstream']) {
          await api(base, 'POST', `/proxies/${key}-zero/toxics`, {
            name: `z_${stream}`,
            type,
            stream,
            toxicity: 0,
            attributes,
          });
        }
      }
      const z = await alternate(['plain', 'zero'] as const, ZERO_ROUNDS, (p) =>
        measure(p === 'plain' ? faultline : zero),
      );
      const ratioOf = (k: 'mbps' | 'rps') => {
        const a = field(z.zero, k);
        const b = field(z.plain, k);
        return a.length && b.length ? median(a) / median(b) : Number.NaN;
      };
      const ratio = (k: 'mbps' | 'rps') => (Number.isNaN(ratioOf(k)) ? '–' : `${ratioOf(k).toFixed(2)}x`);
      zeroVs.push({
        type,
        mbps: ratioOf('mbps'),
        rps: ratioOf('rps'),
        p99: median(diffs(z.zero, z.plain, 'p99')),
      });
      zeroRows.push([
        `\`${type}\``,
        spread(field(z.zero, 'mbps')),
        spread(field(z.zero, 'p50')),
        spread(field(z.zero, 'p99')),
        spread(field(z.zero, 'rps')),
        ratio('mbps'),
        signedSpread(diffs(z.zero, z.plain, 'p99')),
        ratio('rps'),
      ]);
      for (const key of KEYS) {
        for (const stream of ['upstream', 'downstream']) {
          await api(base, 'DELETE', `/proxies/${key}-zero/toxics/z_${stream}`);
        }
      }
    }

    // 3. A 10 ms latency toxic on one connection, next to the same pings paced 10 ms apart with no toxic.
    await api(base, 'POST', '/proxies/echo-latency/toxics', {
      name: 'lat',
      type: 'latency',
      attributes: { latency: LATENCY_MS },
    });
    // Each toxic round trip in three parts, from the proxy's record of each release: client send → proxy read
    // (read = deadline − latency), the hold past the deadline, proxy release → client read.
    const reports: ProxyReport[] = [];
    const parts: Record<'pre' | 'hold' | 'post', { p50: number; p99: number }[]> = {
      pre: [],
      hold: [],
      post: [],
    };
    const lat = await alternate(
      ['toxic', 'delayed', 'direct', 'faultline', 'pipe'] as const,
      LATENCY_ROUNDS,
      async (p) => {
        if (p === 'delayed') {
          const t = await pingPong(delayedEcho, LATENCY_PINGS, LATENCY_WARMUP);
          return { p50: percentile(t, 50), p99: percentile(t, 99) };
        }
        if (p !== 'toxic') {
          const port = paths[p].echo;
          const t = await pingPong(port, LATENCY_PINGS, LATENCY_WARMUP, LATENCY_MS);
          return { p50: percentile(t, 50), p99: percentile(t, 99) };
        }
        await proxyReport(); // start counting here
        const pings = await pingTimes(latency.echo, LATENCY_PINGS, LATENCY_WARMUP);
        const report = await proxyReport();
        reports.push(report);
        // One timer per ping (each reply is one chunk, and the queue is empty when it arrives): match them up.
        const timers = report.timers.slice(-pings.length);
        if (report.timers.length === pings.length + LATENCY_WARMUP) {
          const stats = (xs: number[]) => {
            const sorted = xs.map((x) => x * 1000).sort((a, b) => a - b);
            return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
          };
          parts.pre.push(stats(pings.map(([sent], i) => timers[i]![0] - LATENCY_MS - sent)));
          parts.hold.push(stats(timers.map(([due, ran]) => ran - due)));
          parts.post.push(stats(pings.map(([, got], i) => got - timers[i]![1])));
        }
        const rtt = pings.map(([a, b]) => (b - a) * 1000).sort((a, b) => a - b);
        return { p50: percentile(rtt, 50), p99: percentile(rtt, 99) };
      },
    );

    // What the machine does to a process that never sleeps: the gaps that are not wake-ups.
    const hiccup = spawnRole('hiccup');
    const hiccups = (await hiccup.ready) as number[];
    hiccup.child.disconnect();

    // 4. Ping-pong with every process on one core: the proxy's own cost, without cross-core wake-ups.
    const pids = [process.pid, up.child.pid!, px.child.pid!, pp.child.pid!];
    const cpus = await affinity(process.pid);
    let oneCore: Record<'direct' | 'pipe' | 'faultline', { p50: number; p99: number }[]> | null = null;
    if (cpus !== null && availableParallelism() > 1) {
      await pin(pids, lastCpu(cpus));
      try {
        oneCore = await alternate(['direct', 'pipe', 'faultline'] as const, ROUNDS, async (p) => {
          const t = await pingPong(paths[p].echo, PINGS, PING_WARMUP);
          return { p50: percentile(t, 50), p99: percentile(t, 99) };
        });
      } finally {
        await pin(pids, cpus);
      }
    }

    // Tables.
    const d = main.direct;
    const rpsRatio = (xs: Sample[]) => {
      const a = field(xs, 'rps');
      const b = field(d, 'rps');
      return a.length && b.length ? `${(median(a) / median(b)).toFixed(2)}x` : '–';
    };
    const mainRow = (name: string, xs: Sample[]) => [
      name,
      spread(field(xs, 'mbps')),
      spread(field(xs, 'p50')),
      spread(field(xs, 'p99')),
      xs === d ? '–' : signedSpread(diffs(xs, d, 'p50')),
      xs === d ? '–' : signedSpread(diffs(xs, d, 'p99')),
      field(xs, 'rps').length ? spread(field(xs, 'rps')) : 'wrk not installed',
      rpsRatio(xs),
    ];
    const mainTable = markdownTable(
      [
        'path',
        'bulk MB/s',
        'ping-pong p50 µs',
        'ping-pong p99 µs',
        'added p50 µs',
        'added p99 µs',
        'wrk req/s',
        'req/s vs direct',
      ],
      [mainRow(LABEL.direct, d), mainRow(LABEL.pipe, main.pipe), mainRow(LABEL.faultline, main.faultline)],
    );
    const zeroTable = markdownTable(
      [
        'toxic at toxicity 0 (both streams)',
        'bulk MB/s',
        'ping-pong p50 µs',
        'ping-pong p99 µs',
        'wrk req/s',
        'MB/s vs no toxics',
        'p99 vs no toxics µs',
        'req/s vs no toxics',
      ],
      zeroRows,
    );
    const ms = (us: number[]) =>
      spread(
        us.map((x) => x / 1000),
        2,
      );
    const partRow = (name: string, xs: { p50: number; p99: number }[]) => [
      name,
      xs.length
        ? spread(
            xs.map((x) => x.p50 / 1000),
            3,
          )
        : '–',
      xs.length
        ? spread(
            xs.map((x) => x.p99 / 1000),
            3,
          )
        : '–',
    ];
    const latTable = markdownTable(
      ['one connection, 64-byte ping-pong', 'p50 ms', 'p99 ms'],
      [
        [
          `faultline, ${LATENCY_MS} ms latency toxic (downstream)`,
          ms(lat.toxic.map((x) => x.p50)),
          ms(lat.toxic.map((x) => x.p99)),
        ],
        [
          `no proxy: an echo that replies ${LATENCY_MS} ms late`,
          ms(lat.delayed.map((x) => x.p50)),
          ms(lat.delayed.map((x) => x.p99)),
        ],
        [
          '… faultline toxic minus the no-proxy echo, per round',
          signedSpread(
            diffs(lat.toxic, lat.delayed, 'p50').map((x) => x / 1000),
            2,
          ),
          signedSpread(
            diffs(lat.toxic, lat.delayed, 'p99').map((x) => x / 1000),
            2,
          ),
        ],
        partRow('… client send → proxy reads the reply (3 hops)', parts.pre),
        partRow(`… held past read time + ${LATENCY_MS} ms (the toxic's own error)`, parts.hold),
        partRow('… proxy release → client reads it (1 hop)', parts.post),
        [
          `direct, pings ${LATENCY_MS} ms apart`,
          ms(lat.direct.map((x) => x.p50)),
          ms(lat.direct.map((x) => x.p99)),
        ],
        [
          `faultline, no toxic, pings ${LATENCY_MS} ms apart`,
          ms(lat.faultline.map((x) => x.p50)),
          ms(lat.faultline.map((x) => x.p99)),
        ],
        [
          `bare \`socket.pipe()\` proxy, pings ${LATENCY_MS} ms apart`,
          ms(lat.pipe.map((x) => x.p50)),
          ms(lat.pipe.map((x) => x.p99)),
        ],
      ],
    );
    const oneCoreTable = oneCore
      ? markdownTable(
          [
            'every process on one core',
            'ping-pong p50 µs',
            'ping-pong p99 µs',
            'added p50 µs',
            'added p99 µs',
          ],
          (['direct', 'pipe', 'faultline'] as const).map((p) => {
            const xs = oneCore[p];
            const dd = oneCore.direct;
            return [
              LABEL[p],
              spread(field(xs, 'p50')),
              spread(field(xs, 'p99')),
              p === 'direct' ? '–' : signedSpread(diffs(xs, dd, 'p50')),
              p === 'direct' ? '–' : signedSpread(diffs(xs, dd, 'p99')),
            ];
          }),
        )
      : '';

    // Verdicts and what explains them, from the medians above.
    const met = (ok: boolean) => (ok ? 'met' : 'missed');
    const addedP99 = median(diffs(main.faultline, d, 'p99'));
    const pipeAddedP99 = median(diffs(main.pipe, d, 'p99'));
    const rps = field(main.faultline, 'rps');
    const rpsVsDirect = rps.length ? median(rps) / median(field(d, 'rps')) : null;
    const latP50 = median(lat.toxic.map((x) => x.p50)) / 1000;
    const latP99 = median(lat.toxic.map((x) => x.p99)) / 1000;
    const delayedP50 = median(lat.delayed.map((x) => x.p50)) / 1000;
    const delayedP99 = median(lat.delayed.map((x) => x.p99)) / 1000;
    const vsDelayedP99 = median(diffs(lat.toxic, lat.delayed, 'p99')) / 1000;
    const holdP99 = parts.hold.length
      ? median(parts.hold.map((x) => x.p99)) / 1000
      : Number.POSITIVE_INFINITY;
    const idleP99 = median(lat.faultline.map((x) => x.p99)) / 1000;
    const idlePipeP99 = median(lat.pipe.map((x) => x.p99)) / 1000;
    const idleDirectP99 = median(lat.direct.map((x) => x.p99)) / 1000;
    const sum = (k: 'lateOver100' | 'lateInGc' | 'minorGcs' | 'majorGcs' | 'gcMs') =>
      reports.reduce((a, x) => a + x[k], 0);
    const releases = reports.reduce((a, x) => a + x.timers.length, 0);
    const partMs = (xs: { p50: number; p99: number }[], k: 'p50' | 'p99') =>
      xs.length ? `${(median(xs.map((x) => x[k])) / 1000).toFixed(3)} ms` : '–';
    const goals = [
      'Goals from the issue:',
      rpsVsDirect === null
        ? '- proxied req/s: wrk not installed.'
        : `- proxied req/s ≥ 0.6x direct and ≥ 1.2x Toxiproxy 2.12's 28–38k req/s on this kind of machine: ` +
          `${met(rpsVsDirect >= 0.6)} (${rpsVsDirect.toFixed(2)}x, ${Math.round(median(rps))} req/s; the bare ` +
          `\`socket.pipe()\` proxy: ${rpsRatio(main.pipe)}, ${Math.round(median(field(main.pipe, 'rps')))} req/s).`,
      `- added ping-pong p99 ≤ 100 µs with no toxics: ${met(Math.round(addedP99) <= 100)} (${us(addedP99)}; the bare ` +
        `\`socket.pipe()\` proxy measured the same way: ${us(pipeAddedP99)}).` +
        (oneCore ? ` ${oneCoreNote(oneCore, d, addedP99, pipeAddedP99)}` : ''),
      `- the same figures with each toxic type present at toxicity 0: each type's medians against the no-toxic ` +
        `proxy in the same rounds span ${rangeOf(
          zeroVs.map((z) => z.rps),
          (x) => `${x.toFixed(2)}x`,
        )} in req/s, ` +
        `${rangeOf(
          zeroVs.map((z) => z.mbps),
          (x) => `${x.toFixed(2)}x`,
        )} in bulk MB/s and ` +
        `${rangeOf(
          zeroVs.map((z) => z.p99),
          (x) => `${signed(x)} µs`,
        )} in ping-pong p99, where the no-toxic proxy ` +
        `itself varies ${rangeOf(field(main.faultline, 'p99'), (x) => `${x.toFixed(0)}`)} µs in p99 from round to ` +
        'round' +
        (Math.max(...zeroVs.map((z) => z.p99)) <=
          Math.max(...field(main.faultline, 'p99')) - Math.min(...field(main.faultline, 'p99')) &&
        Math.min(...zeroVs.map((z) => z.rps).filter((x) => !Number.isNaN(x))) >= 0.9
          ? ': no type costs more than that noise and 10% of req/s (the toxicity-0 test shows why: no ' +
            'connection gets a stage).'
          : '.'),
      `- ${LATENCY_MS} ms latency toxic within +0.5 ms of nominal at p99: ${met(holdP99 <= 0.5)} for the toxic ` +
        `itself — inside the proxy it releases each chunk ${partMs(parts.hold, 'p50')} (p50) and ` +
        `${partMs(parts.hold, 'p99')} (p99) after its ${LATENCY_MS} ms deadline. End to end on one connection the ` +
        `round trip measures ${latP50.toFixed(2)} ms at p50 and ${latP99.toFixed(2)} ms at p99; an echo with no ` +
        `proxy at all that replies ${LATENCY_MS} ms late measures ${delayedP50.toFixed(2)} ms and ` +
        `${delayedP99.toFixed(2)} ms (per round, faultline is ${signed(median(diffs(lat.toxic, lat.delayed, 'p50')) / 1000, 2)} ms ` +
        `from it at p50 — the proxy's two extra hops — and ${signed(vsDelayedP99, 2)} ms at p99). ` +
        (delayedP99 > LATENCY_MS + 0.5
          ? `A round trip of ${LATENCY_MS} ms + 0.5 ms at p99 is out of reach on this machine whatever delays the ` +
            `reply, proxy or not: a process that sat idle for ${LATENCY_MS} ms takes a few hundred µs to wake, ` +
            'and a few in a hundred wake later than that. '
          : '') +
        `Even a process that never sleeps saw ${hiccups.length} gaps of over 0.5 ms in its own running in ` +
        `${HICCUP_MS / 1000} s (longest ${hiccups.length ? Math.max(...hiccups).toFixed(2) : '0'} ms); a gap that ` +
        'covers a deadline makes that release late, whatever the timer. ' +
        `Split up: the three hops before the proxy reads the reply take ${partMs(parts.pre, 'p50')} and ` +
        `${partMs(parts.pre, 'p99')}, the one hop after the release ${partMs(parts.post, 'p50')} and ` +
        `${partMs(parts.post, 'p99')}, against ${Math.round(median(field(d, 'p50')) / 2)} µs per hop at p50 in ` +
        `back-to-back direct ping-pong. With no toxic, pings ${LATENCY_MS} ms apart reach p99 ` +
        `${idleDirectP99.toFixed(2)} ms direct, ${idleP99.toFixed(2)} ms through faultline and ` +
        `${idlePipeP99.toFixed(2)} ms through the bare pipe proxy.`,
    ].join('\n');
    const minutes = (Date.now() - started.getTime()) / 60_000;
    const notes = [
      `This section: ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${minutes.toFixed(0)} min, ` +
        `Node ${process.version}, ${availableParallelism()} cores; 1-minute load average ${loadBefore.toFixed(1)} ` +
        `before and ${loadavg()[0]!.toFixed(1)} after (other work on the machine shares the cores).`,
      `Every cell is the median over rounds with (min–max) across rounds: ${ROUNDS} rounds of direct, bare pipe and ` +
        `faultline, the order rotating each round; ${ZERO_ROUNDS} rounds per toxicity-0 type, alternating with the ` +
        `no-toxic faultline proxy ("vs no toxics" compares those same rounds); ${LATENCY_ROUNDS} rounds of the ` +
        `latency rows. "Added" is each round's proxied figure minus that round's direct figure. Bulk: ` +
        `${BULK_BYTES / 1024 / 1024} MiB from a byte source; ping-pong: ${PINGS} round trips of 64 bytes on one ` +
        `connection after ${PING_WARMUP} warm-up ones; wrk: \`wrk -t2 -c50 -d${WRK_SECONDS}s\` keep-alive against a ` +
        'node:http server. The upstreams, the faultline proxy, the bare pipe proxy and the clients are four ' +
        'processes; Nagle is off on every leg.',
      `Toxicity-0 toxics are attached to both streams of every proxy with attributes that would act strongly if ` +
        'drawn; at toxicity 0 no connection draws them, so their bytes are piped directly.',
      `Latency rows: ${LATENCY_PINGS} round trips per round after ${LATENCY_WARMUP} warm-up ones. The toxic ` +
        `delays what the echo sends back by ${LATENCY_MS} ms from when the proxy read it, so a round trip is ` +
        `${LATENCY_MS} ms plus a round trip through the proxy after ${LATENCY_MS} ms of idleness — which the paced ` +
        'no-toxic rows measure on their own. The no-proxy echo holds each chunk on the same clock as the toxic, ' +
        'so it is what the same round trip costs without the proxy\'s two hops. The "…" rows split each toxic round trip using the time the proxy ' +
        'process recorded for every release, on the monotonic clock all processes share; percentiles of the ' +
        'parts do not add up to those of the whole. ' +
        `Inside the proxy during the toxic rounds: ${releases} releases, ${sum('lateOver100')} of them more ` +
        `than 0.1 ms late, ${sum('lateInGc')} of those overlapping a GC pause; ${sum('minorGcs')} minor and ` +
        `${sum('majorGcs')} major GC pauses, ${sum('gcMs').toFixed(1)} ms in all.`,
      oneCore
        ? 'One core: the same ping-pong with every process pinned to one core (taskset), so no hop waits for ' +
          'another core to wake; what remains is the CPU each path spends per round trip.'
        : '',
      goals,
    ]
      .filter(Boolean)
      .join('\n\n');
    const table = [mainTable, zeroTable, latTable, oneCoreTable].filter(Boolean).join('\n\n');
    return { title: 'TCP proxy (Toxiproxy-compatible)', table, notes };
  } finally {
    for (const c of [up.child, px.child, pp.child]) c.disconnect();
    await Promise.all(
      [up.child, px.child, pp.child].map((c) => (c.exitCode === null ? once(c, 'exit') : null)),
    );
  }
}
