/**
 * faultline's TCP proxy side by side with real Toxiproxy 2.12 in one run, on 127.0.0.1: direct (no proxy),
 * Toxiproxy, faultline in one process, and faultline in a node:cluster of {@link WORKERS} processes sharing each
 * listening socket — `wrk -t2 -c50` keep-alive req/s with the proxy's CPU per request (utime + stime of every
 * process of the proxy, from /proc, around the wrk window), 64-byte ping-pong latency on one connection, bulk
 * MB/s; then a 10 ms latency toxic on each proxy, configured through each one's HTTP API with the same client
 * code (faultline speaks Toxiproxy's API).
 *
 * Toxiproxy: TOXIPROXY_BIN, else /tmp/toxiproxy-bin/toxiproxy-server, else — with MIRROR set to a git mirror of
 * Shopify/toxiproxy — `<repo>/../shared/tools/build-toxiproxy.sh` builds it there; without any, the Toxiproxy
 * columns are left out and the notes say how to get it.
 *
 * Separate processes so no side measures itself: this one (the clients; wrk is its own process), the upstream
 * servers, each proxy. The children are this file run again with FAULTLINE_BENCH_PROXY_ROLE set. Every figure is
 * the median over rounds (the order of the paths rotates each round) with the spread across rounds; ratios and
 * "added" figures are per-round, against the other path measured in the same round.
 */
import { type ChildProcess, execFile, fork, spawn } from 'node:child_process';
import cluster from 'node:cluster';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createConnection, createServer, type Socket } from 'node:net';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { STRONG_TOXIC_ATTRIBUTES } from '../../test/proxy/fixtures/strong-toxics.js';
import { type BenchSection, markdownTable } from '../types.js';

const ROLE = process.env.FAULTLINE_BENCH_PROXY_ROLE;
const WORKERS = Number(process.env.FAULTLINE_BENCH_PROXY_WORKERS ?? 2);
const BULK_BYTES = 256 * 1024 * 1024;
const PINGS = 5000;
const PING_WARMUP = 200;
const WRK_SECONDS = 2;
/** Rounds of every path (FAULTLINE_BENCH_PROXY_ROUNDS shortens a trial run). */
const ROUNDS = Number(process.env.FAULTLINE_BENCH_PROXY_ROUNDS ?? 7);
const LATENCY_MS = 10;
const LATENCY_PINGS = 300;
const LATENCY_WARMUP = 20;
/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ: 100 on Linux). */
const USER_HZ = 100;

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
  // No proxy: an echo that sends each chunk back LATENCY_MS after reading it, on the clock faultline's toxic uses.
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

/** One faultline proxy server; reports its API URL. */
async function proxyRole(): Promise<void> {
  const { createProxyServer } = await import('../../src/proxy/index.js');
  const { url } = await createProxyServer({ port: 0, seed: 1 }).listen();
  process.send!({ url, pid: process.pid });
}

/** The primary of a node:cluster of proxy servers: reports every worker's API URL and every pid. */
async function clusterRole(): Promise<void> {
  if (cluster.isWorker) return proxyRole();
  const workers = Array.from({ length: WORKERS }, () => cluster.fork());
  const urls = await Promise.all(
    workers.map(async (w) => ((await once(w, 'message'))[0] as { url: string }).url),
  );
  process.send!({ urls, pids: [process.pid, ...workers.map((w) => w.process.pid!)] });
}

if (ROLE) {
  process.on('disconnect', () => process.exit(0));
  if (ROLE === 'upstream') await upstreamRole();
  if (ROLE === 'proxy') await proxyRole();
  if (ROLE === 'cluster') await clusterRole();
}

function spawnRole(role: string): { child: ChildProcess; ready: Promise<unknown> } {
  const child = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, FAULTLINE_BENCH_PROXY_ROLE: role },
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return { child, ready: new Promise((resolve) => child.once('message', resolve)) };
}

const run = promisify(execFile);

/** The toxiproxy-server binary, or why there is none (with how to get it). */
export async function findToxiproxy(): Promise<{ bin: string } | { missing: string }> {
  const env = process.env.TOXIPROXY_BIN;
  if (env) return existsSync(env) ? { bin: env } : { missing: `TOXIPROXY_BIN=${env} does not exist` };
  const built = '/tmp/toxiproxy-bin/toxiproxy-server';
  if (existsSync(built)) return { bin: built };
  const script = fileURLToPath(new URL('../../../shared/tools/build-toxiproxy.sh', import.meta.url));
  const how =
    `Toxiproxy 2.12 not found: set TOXIPROXY_BIN to a toxiproxy-server binary, or build one into ${built} with ` +
    `MIRROR=<git dir of Shopify/toxiproxy> ${script}`;
  if (!process.env.MIRROR) return { missing: how };
  if (!existsSync(script)) return { missing: `${how} (no such script here)` };
  process.stderr.write(`bench: building Toxiproxy with ${script} …\n`);
  try {
    await run('bash', [script], { maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    return { missing: `${script} failed: ${(err as Error).message.split('\n')[0]}` };
  }
  return existsSync(built) ? { bin: built } : { missing: `${script} ran but ${built} is missing` };
}

async function freePort(): Promise<number> {
  const s = createServer();
  const port = await listenOn(s);
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/** toxiproxy-server on a free API port, ready once its API answers. */
async function startToxiproxy(bin: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(bin, ['-host', '127.0.0.1', '-port', String(port)], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`toxiproxy-server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/version`)).ok) return { child, url };
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error('toxiproxy-server did not answer on its API within 10 s');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** A monotonic time in ms. */
function hrMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

async function connectTo(port: number): Promise<Socket> {
  const s = createConnection({ port, host: '127.0.0.1', noDelay: true });
  await once(s, 'connect');
  return s;
}

/** Round-trip times (µs, sorted) of `count` 64-byte ping-pongs on one connection, after `warmup` more. */
async function pingPong(port: number, count: number, warmup: number): Promise<number[]> {
  const s = await connectTo(port);
  const msg = Buffer.alloc(64, 1);
  const times: number[] = [];
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
    const t0 = hrMs();
    await new Promise<void>((resolve) => {
      done = resolve;
      s.write(msg);
    });
    if (i >= warmup) times.push((hrMs() - t0) * 1000);
  }
  s.destroy();
  return times.sort((a, b) => a - b);
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

/** utime + stime of `pids` (every thread of each), in µs. */
function cpuMicros(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(rest[11]) + Number(rest[12]);
  }
  return (ticks * 1e6) / USER_HZ;
}

/** wrk keep-alive req/s and requests done, and the CPU `pids` spent meanwhile; null when wrk is missing. */
async function wrk(
  port: number,
  pids: number[],
): Promise<{ rps: number; cpuPerReq: number; cores: number } | null> {
  try {
    const cpu0 = cpuMicros(pids);
    const t0 = hrMs();
    const { stdout } = await run('wrk', ['-t2', '-c50', `-d${WRK_SECONDS}s`, `http://127.0.0.1:${port}/`]);
    const seconds = (hrMs() - t0) / 1000;
    const cpu = cpuMicros(pids) - cpu0;
    const requests = Number(/(\d+) requests in/.exec(stdout)?.[1]);
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
    return { rps, cpuPerReq: pids.length ? cpu / requests : Number.NaN, cores: cpu / 1e6 / seconds };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Toxiproxy's HTTP API, which both proxies serve: the one client for both. */
async function api(base: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${base}${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${base}${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** Creates `<key><suffix>` for each upstream on the proxy at `base`; returns their listen ports. */
async function createProxies(base: string, upstream: Ports, suffix = '', listen?: Ports): Promise<Ports> {
  const ports = {} as Ports;
  for (const key of KEYS) {
    const p = (await api(base, 'POST', '/proxies', {
      name: `${key}${suffix}`,
      listen: `127.0.0.1:${listen?.[key] ?? 0}`,
      upstream: `127.0.0.1:${upstream[key]}`,
    })) as { listen: string };
    ports[key] = Number(p.listen.split(':').at(-1));
  }
  return ports;
}

/** One round's figures on one path. */
interface Sample {
  mbps: number;
  p50: number;
  p99: number;
  rps: number | null;
  cpuPerReq: number | null;
  cores: number | null;
}

async function measure(ports: Ports, pids: number[]): Promise<Sample> {
  const mbps = await bulk(ports.source, BULK_BYTES);
  const pp = await pingPong(ports.echo, PINGS, PING_WARMUP);
  const w = await wrk(ports.http, pids);
  return {
    mbps,
    p50: percentile(pp, 50),
    p99: percentile(pp, 99),
    rps: w?.rps ?? null,
    cpuPerReq: w && pids.length ? w.cpuPerReq : null,
    cores: w && pids.length ? w.cores : null,
  };
}

/** Runs `measureOne` on every path once per round, the order rotating each round; samples in round order. */
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

/** `median (min–max)`, `digits` decimals. */
function spread(xs: number[], digits = 0): string {
  if (xs.length === 0) return '–';
  const f = (n: number) => n.toFixed(digits);
  return `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
}

function signed(n: number, digits = 0): string {
  const r = n.toFixed(digits);
  return r.startsWith('-') ? r : `+${r}`;
}

/** `+12 (+3…+40)`: signed per-round differences, median and range. */
function signedSpread(xs: number[], digits = 0): string {
  if (xs.length === 0) return '–';
  const s = (n: number) => signed(n, digits);
  return `${s(median(xs))} (${s(Math.min(...xs))}…${s(Math.max(...xs))})`;
}

/** `1.23x (1.01–1.40)`: per-round ratios, median and range. */
function ratioSpread(xs: number[]): string {
  if (xs.length === 0) return '–';
  const f = (n: number) => n.toFixed(2);
  return `${f(median(xs))}x (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
}

type Field = 'mbps' | 'p50' | 'p99' | 'rps' | 'cpuPerReq' | 'cores';

function field(samples: Sample[], k: Field): number[] {
  return samples.map((x) => x[k]).filter((x): x is number => typeof x === 'number' && !Number.isNaN(x));
}

/** Per-round `a[i] / b[i]` of one field, for the rounds where both have it. */
function ratios(a: Sample[], b: Sample[] | undefined, k: Field): number[] {
  if (!b) return [];
  const out: number[] = [];
  a.forEach((x, i) => {
    const y = b[i]?.[k];
    if (typeof x[k] === 'number' && typeof y === 'number' && y > 0) out.push((x[k] as number) / y);
  });
  return out;
}

/** Per-round `a[i] - b[i]` of one field. */
function diffs<T extends { p50: number; p99: number }>(a: T[], b: T[], k: 'p50' | 'p99'): number[] {
  return a.map((x, i) => x[k] - b[i]![k]);
}

/** A markdown table; without Toxiproxy in the run, its "vs Toxiproxy" columns are left out. */
function withoutToxiproxy(head: string[], rows: string[][], withToxiproxy: boolean): string {
  if (withToxiproxy) return markdownTable(head, rows);
  const keep = head.map((h) => !h.includes('vs Toxiproxy'));
  return markdownTable(
    head.filter((_, i) => keep[i]),
    rows.map((r) => r.filter((_, i) => keep[i])),
  );
}

const LABEL = {
  direct: 'direct (no proxy)',
  toxiproxy: 'Toxiproxy 2.12',
  faultline: 'faultline, 1 process',
  cluster: `faultline, node:cluster of ${WORKERS}`,
  zero: 'faultline, 1 process, every toxic type at toxicity 0',
} as const;
type Path = keyof typeof LABEL;

/** What the profiles of the proxy under `wrk -c50` showed (see the notes). */
const PROFILE_NOTES = [
  "Where the proxy's time goes (`perf record -g` of the proxy process and `node --cpu-prof`, no toxics, " +
    "`wrk -t2 -c50` through it, 2026-12-05, before the change): over half of the proxy's CPU is the kernel's " +
    'TCP work inside its `read`/`write` system calls (55% of samples; `write` on loopback also delivers to ' +
    "the receiving socket and wakes its reader), for Toxiproxy the same 60%. Of faultline's user time, Node " +
    "itself dominated, not the proxy's JavaScript (the forwarding handler was under 1% of samples): a fresh " +
    'ArrayBuffer per read (allocate, shrink to size, sweep: `NewJSArrayBuffer`, `malloc`, ' +
    "`ArrayBufferSweeper`), `Readable.push` → `addChunk` → `emit('data')`, then `Writable.write` → " +
    "`writeGeneric` and the write's after-tick. With wall-clock sampling (`--cpu-prof`) 27% of the run sat in " +
    '`writeBuffer`: the write system call and being preempted by the reader it wakes on a 2-core machine. ' +
    'Measured per request with /proc: faultline 16 µs user + 17 µs system, Toxiproxy 14 µs user + 20 µs ' +
    'system. GC: 1% of samples.',
  "What changed: each socket reads into a buffer the proxy reuses (Node's `onread`, also on accepted sockets " +
    'by moving their handle onto a Socket made with it), and the chunk is written straight to the other ' +
    'socket — no per-read allocation, no readable-stream machinery, no timer or clock read. A chunk that the ' +
    'destination could not write at once, or that a toxic keeps, makes the next read go to a new buffer ' +
    '(toxics get a copy), so every toxic sees what it saw before. Buffers start at 4 KiB per socket and grow ' +
    'to 64 KiB on a connection whose reads fill them. Profiled again after it (same method): 12–13 µs user + ' +
    "12–13 µs system per request against Toxiproxy's 15 + 17–20 µs measured alternately; the kernel's TCP " +
    "work is now 59% of samples, and what remains in user space is Node's fixed cost of calling into " +
    'JavaScript for each read (`InternalMakeCallback`, context enter/exit, async-hooks bookkeeping) and ' +
    "`Writable.write`'s way to `writeBuffer` — with the forwarding code inlined into `onStreamRead`, 7% of " +
    "samples. Neither can be removed through Node's public API.",
].join('\n\n');

export default async function proxyBench(): Promise<BenchSection> {
  const loadBefore = loadavg()[0]!;
  const started = new Date();
  const found = await findToxiproxy();
  const up = spawnRole('upstream');
  const fl = spawnRole('proxy');
  const cl = spawnRole('cluster');
  const { delayed: delayedEcho, ...direct } = (await up.ready) as Ports & { delayed: number };
  const flInfo = (await fl.ready) as { url: string; pid: number };
  const clInfo = (await cl.ready) as { urls: string[]; pids: number[] };
  const tp = 'bin' in found ? await startToxiproxy(found.bin) : null;
  const children = [up.child, fl.child, cl.child];
  try {
    const ports = {} as Record<Path, Ports>;
    const pids = {} as Record<Path, number[]>;
    ports.direct = direct;
    pids.direct = [];
    ports.faultline = await createProxies(flInfo.url, direct);
    pids.faultline = [flInfo.pid];
    // Every worker gets the same proxies on the same ports; the primary shares each listening socket.
    const shared = { echo: await freePort(), source: await freePort(), http: await freePort() };
    for (const url of clInfo.urls) ports.cluster = await createProxies(url, direct, '', shared);
    pids.cluster = clInfo.pids;
    if (tp) {
      ports.toxiproxy = await createProxies(tp.url, direct);
      pids.toxiproxy = [tp.child.pid!];
    }
    // Every toxic type on both streams at toxicity 0, with attributes that would act strongly if drawn.
    ports.zero = await createProxies(flInfo.url, direct, '-zero');
    pids.zero = [flInfo.pid];
    for (const [type, attributes] of Object.entries(STRONG_TOXIC_ATTRIBUTES)) {
      for (const key of KEYS) {
        for (const stream of ['upstream', 'downstream']) {
          await api(flInfo.url, 'POST', `/proxies/${key}-zero/toxics`, {
            name: `${type}_${stream}`,
            type,
            stream,
            toxicity: 0,
            attributes,
          });
        }
      }
    }
    const paths = (['direct', 'toxiproxy', 'faultline', 'cluster', 'zero'] as const).filter((p) => ports[p]);

    // Warm-up: every path once, so JIT and lazy initialisation are not in the first round.
    for (const p of paths) await measure(ports[p], pids[p]);
    const main = await alternate(paths, ROUNDS, (p) => measure(ports[p], pids[p]));
    // How the cluster's primary spread the wrk connections over its workers.
    const perWorker = await Promise.all(
      clInfo.urls.map(async (url) => {
        const text = await (await fetch(`${url}/metrics`)).text();
        return Number(
          /^faultline_proxy_connections_total\{proxy="http"\} (\d+)/m.exec(text)?.[1] ?? Number.NaN,
        );
      }),
    );

    // A 10 ms latency toxic (downstream) on each proxy, set through its API with the same client code.
    const toxic = { name: 'lat', type: 'latency', stream: 'downstream', attributes: { latency: LATENCY_MS } };
    const latPorts: Partial<Record<'toxiproxy' | 'faultline', number>> = {};
    for (const [p, url] of [
      ['faultline', flInfo.url],
      ['toxiproxy', tp?.url],
    ] as const) {
      if (!url) continue;
      latPorts[p] = (await createProxies(url, direct, '-latency')).echo;
      await api(url, 'POST', '/proxies/echo-latency/toxics', toxic);
    }
    const latPaths = [...(Object.keys(latPorts) as ('toxiproxy' | 'faultline')[]), 'delayed' as const];
    const lat = await alternate(latPaths, ROUNDS, async (p) => {
      const t = await pingPong(p === 'delayed' ? delayedEcho : latPorts[p]!, LATENCY_PINGS, LATENCY_WARMUP);
      return { p50: percentile(t, 50), p99: percentile(t, 99) };
    });

    // Tables.
    const d = main.direct;
    const t = main.toxiproxy;
    const row = (p: Path) => {
      const xs = main[p];
      const proxied = p !== 'direct';
      const vsTp = proxied && p !== 'toxiproxy';
      return [
        LABEL[p],
        spread(field(xs, 'rps')),
        vsTp ? ratioSpread(ratios(xs, t, 'rps')) : '–',
        proxied ? spread(field(xs, 'cpuPerReq'), 1) : '–',
        vsTp ? ratioSpread(ratios(xs, t, 'cpuPerReq')) : '–',
        proxied ? spread(field(xs, 'cores'), 2) : '–',
        spread(field(xs, 'mbps')),
        vsTp ? ratioSpread(ratios(xs, t, 'mbps')) : '–',
        spread(field(xs, 'p50')),
        spread(field(xs, 'p99')),
        proxied ? signedSpread(diffs(xs, d, 'p50')) : '–',
        proxied ? signedSpread(diffs(xs, d, 'p99')) : '–',
      ];
    };
    const mainTable = withoutToxiproxy(
      [
        'path',
        'wrk req/s',
        'req/s vs Toxiproxy',
        'proxy CPU µs/req',
        'CPU/req vs Toxiproxy',
        'proxy cores busy',
        'bulk MB/s',
        'bulk vs Toxiproxy',
        'ping-pong p50 µs',
        'ping-pong p99 µs',
        'added p50 µs',
        'added p99 µs',
      ],
      paths.map(row),
      t !== undefined,
    );
    const ms = (xs: number[]) =>
      spread(
        xs.map((x) => x / 1000),
        2,
      );
    const latLabel = {
      faultline: `faultline, ${LATENCY_MS} ms latency toxic`,
      toxiproxy: `Toxiproxy 2.12, ${LATENCY_MS} ms latency toxic`,
      delayed: `no proxy: an echo that replies ${LATENCY_MS} ms late`,
    };
    const latTable = withoutToxiproxy(
      ['one connection, 64-byte ping-pong', 'p50 ms', 'p99 ms', 'p50 vs Toxiproxy ms', 'p99 vs Toxiproxy ms'],
      latPaths.map((p) => [
        latLabel[p],
        ms(lat[p].map((x) => x.p50)),
        ms(lat[p].map((x) => x.p99)),
        p === 'toxiproxy' || !lat.toxiproxy
          ? '–'
          : signedSpread(
              diffs(lat[p], lat.toxiproxy, 'p50').map((x) => x / 1000),
              2,
            ),
        p === 'toxiproxy' || !lat.toxiproxy
          ? '–'
          : signedSpread(
              diffs(lat[p], lat.toxiproxy, 'p99').map((x) => x / 1000),
              2,
            ),
      ]),
      lat.toxiproxy !== undefined,
    );

    // Verdicts, from the same run's medians of per-round figures.
    const met = (ok: boolean) => (ok ? '**met**' : '**not met**');
    const x2 = (n: number) => `${n.toFixed(2)}x`;
    const goals = ['Goals from the issue, each from this run:'];
    const addedP99 = median(diffs(main.faultline, d, 'p99'));
    const tpAddedP99 = t ? median(diffs(t, d, 'p99')) : null;
    const clAddedP99 = median(diffs(main.cluster, d, 'p99'));
    const rpsRounds = (p: Path) => ratios(main[p], t, 'rps');
    const cpuRounds = (p: Path) => ratios(main[p], t, 'cpuPerReq');
    const best = (xs: number[][], better: (a: number, b: number) => boolean) =>
      xs.map((r) => (r.length ? median(r) : Number.NaN)).reduce((a, b) => (better(b, a) ? b : a));
    if (!t) {
      goals.push(`- ratios to Toxiproxy: not measured (${'missing' in found ? found.missing : ''}).`);
    } else if (field(main.faultline, 'rps').length === 0) {
      goals.push('- req/s and CPU per request: wrk is not installed.');
    } else {
      const rps1 = median(rpsRounds('faultline'));
      const rpsN = median(rpsRounds('cluster'));
      const cpu1 = median(cpuRounds('faultline'));
      const cpuN = median(cpuRounds('cluster'));
      const rpsBest = best([rpsRounds('faultline'), rpsRounds('cluster')], (a, b) => a > b);
      const cpuBest = best([cpuRounds('faultline'), cpuRounds('cluster')], (a, b) => a < b);
      const count = (xs: number[], ok: (x: number) => boolean) =>
        `${xs.filter(ok).length} of ${xs.length} rounds`;
      goals.push(
        `- req/s ≥ 1.2x Toxiproxy's: ${met(rpsBest >= 1.2)} — ${x2(rps1)} in one process (${count(rpsRounds('faultline'), (x) => x >= 1.2)} at 1.2x or more), ` +
          `${x2(rpsN)} with ${WORKERS} workers (${count(rpsRounds('cluster'), (x) => x >= 1.2)})` +
          (rpsBest >= 1.2 ? '.' : `; short of 1.2x by ${(1.2 - rpsBest).toFixed(2)}.`),
        `- proxy CPU per request ≤ 0.8x Toxiproxy's: ${met(cpuBest <= 0.8)} — ${x2(cpu1)} in one process ` +
          `(${spread(field(main.faultline, 'cpuPerReq'), 1)} µs against Toxiproxy's ${spread(field(t, 'cpuPerReq'), 1)} µs), ` +
          `${x2(cpuN)} with ${WORKERS} workers.`,
      );
    }
    goals.push(
      `- added ping-pong p99 ≤ +100 µs (one connection, vs direct in the same round): ${met(Math.round(addedP99) <= 100)} — ` +
        `${signed(addedP99)} µs in one process, ${signed(clAddedP99)} µs with ${WORKERS} workers` +
        (tpAddedP99 === null ? '.' : `; Toxiproxy adds ${signed(tpAddedP99)} µs.`),
    );
    goals.push(
      `- every toxic type present at toxicity 0 (${Object.keys(STRONG_TOXIC_ATTRIBUTES).length} types, both ` +
        `streams) against none, same process and rounds: ${x2(median(ratios(main.zero, main.faultline, 'rps')))} ` +
        `req/s, ${x2(median(ratios(main.zero, main.faultline, 'cpuPerReq')))} CPU per request, ` +
        `${x2(median(ratios(main.zero, main.faultline, 'mbps')))} bulk MB/s, ` +
        `${signed(median(diffs(main.zero, main.faultline, 'p99')))} µs ping-pong p99 (no connection draws them, ` +
        'so none gets a stage). Both run the same per-chunk code in the same process, so how far apart they ' +
        "land is this run's noise: a ratio to Toxiproxy that differs from the goal by less than that is not a " +
        'measured difference.',
    );
    if (t) {
      goals.push(
        `- bulk: ${x2(median(ratios(main.faultline, t, 'mbps')))} Toxiproxy's MB/s in one process, ` +
          `${x2(median(ratios(main.cluster, t, 'mbps')))} with ${WORKERS} workers (one connection reaches one worker).`,
      );
    }
    if (lat.toxiproxy && lat.faultline) {
      goals.push(
        `- ${LATENCY_MS} ms latency toxic: faultline ${(median(lat.faultline.map((x) => x.p50)) / 1000).toFixed(2)} ms p50 / ` +
          `${(median(lat.faultline.map((x) => x.p99)) / 1000).toFixed(2)} ms p99, Toxiproxy ` +
          `${(median(lat.toxiproxy.map((x) => x.p50)) / 1000).toFixed(2)} ms / ` +
          `${(median(lat.toxiproxy.map((x) => x.p99)) / 1000).toFixed(2)} ms; the echo with no proxy that holds ` +
          `each reply on faultline's clock: ${(median(lat.delayed.map((x) => x.p50)) / 1000).toFixed(2)} ms / ` +
          `${(median(lat.delayed.map((x) => x.p99)) / 1000).toFixed(2)} ms (a tail there is the clock's or the ` +
          "machine's, not the proxy path's; that clock polls the last half millisecond before a deadline, and a " +
          'polling process on busy cores can lose its core there — a likely cause, not measured here).',
      );
    }
    const minutes = (Date.now() - started.getTime()) / 60_000;
    const notes = [
      `This section: ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${minutes.toFixed(1)} min, ` +
        `Node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown cpu'}); ` +
        `1-minute load average ${loadBefore.toFixed(2)} before and ${loadavg()[0]!.toFixed(2)} after (other work ` +
        'on the machine shares the cores, so every ratio is taken round by round). ' +
        ('missing' in found ? `Toxiproxy columns left out: ${found.missing}.` : `Toxiproxy: ${found.bin}.`),
      `Every cell is the median over ${ROUNDS} rounds with (min–max) across rounds, the order of the paths ` +
        'rotating each round; "vs Toxiproxy" and "added" are per-round ratios and differences against ' +
        'Toxiproxy or direct in the same round. wrk: `wrk -t2 -c50 ' +
        `-d${WRK_SECONDS}s\` keep-alive against a node:http server; proxy CPU is utime + stime of the proxy's ` +
        'processes (all threads; for the cluster the primary and every worker) over the wrk window, divided by ' +
        `the requests wrk completed; "cores busy" is that CPU over the window's length. Bulk: ` +
        `${BULK_BYTES / 1024 / 1024} MiB from a byte source on one connection; ping-pong: ${PINGS} round trips ` +
        `of 64 bytes on one connection after ${PING_WARMUP} warm-up ones. The latency rows: ${LATENCY_PINGS} ` +
        `round trips per round after ${LATENCY_WARMUP}, the toxic on the downstream of each proxy. On 2 cores, ` +
        "wrk (2 threads), the upstream server and the proxy share the CPUs, so req/s measures everyone's CPU " +
        "per request, of which the proxy's is one part; Nagle is off on every faultline leg. The cluster's " +
        `primary handed the wrk connections to its workers ${perWorker.join(' / ')} (round-robin).`,
      PROFILE_NOTES,
      goals.join('\n'),
    ].join('\n\n');
    return {
      title: 'TCP proxy (Toxiproxy-compatible)',
      table: [mainTable, latTable].join('\n\n'),
      notes,
    };
  } finally {
    tp?.child.kill();
    for (const c of children) c.disconnect();
    await Promise.all(
      [...children, ...(tp ? [tp.child] : [])].map((c) => (c.exitCode === null ? once(c, 'exit') : null)),
    );
  }
}
