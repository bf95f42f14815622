/**
 * Load generators as processes, measured from outside. Each generator — faultline's CLI, autocannon, wrk, a bare
 * node:net loop — runs as a process of its own; over a steady window (after it has started sending and warmed
 * up) its CPU time is read from /proc/<pid>/stat and the requests from the server's own counter, so every tool
 * is measured the same way whatever it can report about itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type HelloServer, procCpuSeconds } from './http-target.js';

/** faultline's CLI from source (tsx loads it; its loader thread is idle once the modules are in). */
export const FAULTLINE = [
  process.execPath,
  '--import',
  'tsx',
  fileURLToPath(new URL('../src/cli/bin.ts', import.meta.url)),
];

/**
 * autocannon 9 from node_modules, in a plain node process: `node -e AUTOCANNON url connections seconds
 * [pipelining]` (pipelining: requests in flight per connection, default 1).
 */
export const AUTOCANNON = `
const autocannon = require(${JSON.stringify(fileURLToPath(import.meta.resolve('autocannon')))});
const [url, connections, duration, pipelining] = process.argv.slice(1);
autocannon({ url, connections: Number(connections), duration: Number(duration),
  pipelining: Number(pipelining || 1) }).then((r) =>
  process.stdout.write(JSON.stringify({ p50Ms: r.latency.p50, p99Ms: r.latency.p99 }) + '\\n'));
`;

/**
 * The floor for any generator on node:net (`node -e NET_FLOOR url connections`): keep-alive connections that
 * write a prebuilt request whenever a read arrives, reading into one shared buffer — nothing parsed, timed or
 * recorded. What it costs is the kernel's TCP work and Node's socket plumbing.
 */
export const NET_FLOOR = `
const { connect } = require('node:net');
const [url, connections] = process.argv.slice(1);
const { hostname, port } = new URL(url);
const request = Buffer.from('GET / HTTP/1.1\\r\\nhost: ' + hostname + ':' + port + '\\r\\nconnection: keep-alive\\r\\n\\r\\n');
const readBuffer = Buffer.allocUnsafe(65536);
for (let i = 0; i < Number(connections); i++) {
  const socket = connect({ host: hostname, port: Number(port), noDelay: true,
    onread: { buffer: readBuffer, callback: () => { socket.write(request); return true; } } });
  socket.write(request);
}
`;

/**
 * wrk's documented pipelining pattern (its scripts/pipeline.lua), for `wrk -s`: each write carries `depth`
 * requests, and wrk reads their `depth` responses before the next write.
 */
export const wrkPipelineScript = (depth: number) => `
init = function(args)
  local r = {}
  for i = 1, ${depth} do r[i] = wrk.format(nil) end
  req = table.concat(r)
end
request = function() return req end
`;

/** A process the suites measure: the argv to start it with. */
export type Argv = readonly string[];

export function startProcess(argv: Argv): ChildProcess {
  return spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** What a window measured: requests the server answered, wall seconds, CPU seconds of the generator. */
export interface Window {
  requests: number;
  seconds: number;
  cpuSeconds: number;
}

export const usPerRequest = (w: Window) => (w.cpuSeconds * 1e6) / w.requests;
export const perCpuSecond = (w: Window) => w.requests / w.cpuSeconds;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until the server sees the generator's requests (start-up and connecting are not measured), then
 * `warmMs` more (JIT), then measures `windowMs`. CPU is summed over `procs` (a generator of several processes).
 */
export async function measureWindow(
  server: HelloServer,
  procs: ChildProcess[],
  warmMs: number,
  windowMs: number,
): Promise<Window> {
  const before = await server.answered();
  const deadline = performance.now() + 30_000;
  while ((await server.answered()) === before) {
    for (const p of procs) {
      if (p.exitCode !== null) throw new Error(`generator exited (${p.exitCode}) before sending`);
    }
    if (performance.now() > deadline) throw new Error('generator sent nothing within 30 s');
    await sleep(20);
  }
  await sleep(warmMs);
  const cpu = () => procs.reduce((sum, p) => sum + procCpuSeconds(p.pid as number), 0);
  const c0 = cpu();
  const n0 = await server.answered();
  const t0 = performance.now();
  await sleep(windowMs);
  const c1 = cpu();
  const n1 = await server.answered();
  const t1 = performance.now();
  return { requests: n1 - n0, seconds: (t1 - t0) / 1000, cpuSeconds: c1 - c0 };
}

/** Kills a generator that would run on (it has been measured) and waits for it to be gone. */
export function killProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  const gone = new Promise<void>((resolve) => p.once('close', () => resolve()));
  p.kill('SIGKILL');
  return gone;
}

/** A CPU hog: one process spinning, for as long as it runs. */
export function startHog(): ChildProcess {
  return spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
}

export const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/** The line each section keeps: when, on what CPU, how loaded the machine was. */
export function machineLine(loadBefore: number): string {
  return (
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpus().length} cores ` +
    `(${cpus()[0]?.model.trim() ?? 'unknown CPU'}), 1-minute load average ${loadBefore.toFixed(2)} before and ` +
    `${loadavg()[0]?.toFixed(2)} after the suite (other work shares the machine).`
  );
}
