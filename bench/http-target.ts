/**
 * What the load suites share: a trivial keep-alive HTTP server in a process of its own (so the generator under
 * test never shares its event loop) that counts the requests it answers, the CPU time of a process from /proc,
 * and the output of a child process that reports one JSON line.
 *
 * Requests are counted by the server, not by the generators: every tool is then measured over the same steady
 * window by the same counter, whether or not it can report a count for part of its run (wrk cannot).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const SERVER = `
const http = require('node:http');
let answered = 0;
const s = http.createServer((req, res) => { answered++; res.end('hello world'); });
s.keepAliveTimeout = 60000;
const stallMs = Number(process.env.STALL_MS || 0);
if (stallMs > 0) {
  // a stall each second: the event loop held, as a long GC pause or a blocking call would
  setInterval(() => { const end = performance.now() + stallMs; while (performance.now() < end); }, 1000);
}
// a line on stdin asks for the count so far
require('node:readline').createInterface({ input: process.stdin }).on('line', () => process.stdout.write(answered + '\\n'));
s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));
`;

/** The server answering `hello world`, and how many requests it has answered so far. */
export interface HelloServer {
  url: string;
  proc: ChildProcess;
  /** Requests answered so far (asked over the server's stdin, out of band). */
  answered(): Promise<number>;
}

/** Starts the server; `stallMs` > 0 holds its event loop that long once a second. Resolves once it listens. */
export async function startHelloServer(stallMs = 0): Promise<HelloServer> {
  const proc = spawn(process.execPath, ['-e', SERVER], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, STALL_MS: String(stallMs) },
  });
  const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const next = () => new Promise<string>((resolve) => waiting.push(resolve));
  const port = await Promise.race([next(), new Promise<string>((_, reject) => proc.once('error', reject))]);
  return {
    url: `http://127.0.0.1:${port}/`,
    proc,
    answered() {
      const line = next();
      proc.stdin?.write('\n');
      return line.then(Number);
    },
  };
}

const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system, every thread) a process has used so far, from /proc/<pid>/stat. The kernel counts
 * in clock ticks (10 ms): a window of a few seconds at a fraction of a core is exact to a percent or so.
 */
export function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // the command name (field 2) is in parentheses and may hold spaces: count fields after its closing one
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** A child's whole stdout once it exits 0; rejects with the start of its stderr otherwise. */
export function collect(proc: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stdout?.on('data', (d) => {
      out += d;
    });
    proc.stderr?.on('data', (d) => {
      err += d;
    });
    proc.on('error', reject);
    proc.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err.slice(0, 400)}`)),
    );
  });
}
