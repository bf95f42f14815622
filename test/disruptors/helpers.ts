/**
 * Helpers for disruptor tests: real child processes whose stdout lines can be awaited, a free loopback port,
 * and a bounded wait on process state (a stopped/continued state is visible only in /proc, no event exists).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { processState, waitUntil } from '../../src/disruptors/proc.js';
import { freePort as freePortOf } from '../../src/experiment/free-port.js';
import { createProxyServer, type ProxyServer } from '../../src/proxy/index.js';
import { tsArgv } from '../helpers/ts-child.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../fixtures/disruptors/', import.meta.url));

export interface Child {
  proc: ChildProcess;
  pid: number;
  /** The first stdout line matching `pred` (already written or still to come). */
  line(pred: (l: string) => boolean, timeoutMs?: number): Promise<string>;
  /** The first match of `re` in stderr. */
  stderrMatch(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): void;
}

const children = new Set<Child>();

/** Spawns `node argv…` from the repository root (with `tsx`, a .ts script through tsx or its transpiled .js). */
export function startChild(argv: string[], options: { tsx?: boolean; env?: NodeJS.ProcessEnv } = {}): Child {
  const args = options.tsx ? tsArgv(argv) : argv;
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: options.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    const parts = (partial + d).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    for (const w of [...waiters]) w();
  });
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const w of [...waiters]) w();
  });
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('close', (code, signal) => {
      done = true;
      for (const w of [...waiters]) w();
      resolve({ code, signal });
    });
  });
  function waitFor<T>(find: () => T | undefined, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = find();
        if (found !== undefined || done) {
          waiters.delete(check);
          clearTimeout(timer);
          if (found !== undefined) resolve(found);
          else reject(new Error(`child exited first; stdout: ${lines.join('\n')}; stderr: ${stderr}`));
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out; stdout: ${lines.join('\n')}; stderr: ${stderr}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  }
  const child: Child = {
    proc,
    pid: proc.pid!,
    exited,
    line: (pred, timeoutMs = 15_000) => waitFor(() => lines.find(pred), timeoutMs),
    stderrMatch: (re, timeoutMs = 15_000) => waitFor(() => stderr.match(re) ?? undefined, timeoutMs),
    stop: () => {
      if (!done) {
        proc.kill('SIGKILL');
      }
    },
  };
  children.add(child);
  void exited.then(() => children.delete(child));
  return child;
}

/** SIGKILLs every child still running and waits for them to exit. */
export async function stopAll(): Promise<void> {
  const all = [...children];
  for (const c of all) c.stop();
  await Promise.all(all.map((c) => c.exited));
}

/** A sleeper process (test/fixtures/disruptors/sleeper.mjs), resolved once it has printed "ready". */
export async function startSleeper(...flags: string[]): Promise<Child> {
  const c = startChild([`${FIXTURES}sleeper.mjs`, ...flags]);
  await c.line((l) => l === 'ready');
  return c;
}

export { freePort } from '../../src/experiment/free-port.js';

/** Waits (polling /proc, at most `timeoutMs`) until `pid`'s state satisfies `pred`; returns the last state. */
export async function waitForState(
  pid: number,
  pred: (state: string | undefined) => boolean,
  timeoutMs = 5_000,
): Promise<string | undefined> {
  let state: string | undefined;
  const check = () => {
    state = processState(pid);
    return pred(state);
  };
  await waitUntil(check, timeoutMs, 10);
  return state;
}

/** faultline's proxy in-process with one proxy `db` (pointing back at its own API port, any upstream will do). */
export async function startProxyWithDb(): Promise<{ proxy: ProxyServer; api: string }> {
  const proxy = createProxyServer({ port: 0, seed: 1 });
  const api = (await proxy.listen()).url;
  const res = await request(`${api}/proxies`, {
    method: 'POST',
    body: JSON.stringify({ name: 'db', listen: '127.0.0.1:0', upstream: `127.0.0.1:${new URL(api).port}` }),
  });
  if (res.statusCode !== 201) throw new Error(`creating proxy db: ${res.statusCode}`);
  await res.body.dump();
  return { proxy, api };
}

/** The failpoint fixture service (test/fixtures/failpoint/serve.ts) with its endpoint on a free port. */
export async function startFailpointService(): Promise<{ child: Child; endpoint: string }> {
  const port = await freePortOf();
  const child = startChild([`${ROOT}test/fixtures/failpoint/serve.ts`], {
    tsx: true,
    env: { ...process.env, FAULTLINE_FAILPOINTS_ADDR: `127.0.0.1:${port}` },
  });
  await child.stderrMatch(/failpoint endpoint listening on/);
  return { child, endpoint: `127.0.0.1:${port}` };
}
