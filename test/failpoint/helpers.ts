/**
 * Test helpers for failpoints: start a fixture from test/fixtures/failpoint as a real child process
 * (`node --import tsx <fixture>`), read its stdout lines and stderr, find its control endpoint, and make sure
 * it is gone after the test.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { tsArgv } from '../helpers/ts-child.js';

const FIXTURES = new URL('../fixtures/failpoint/', import.meta.url);
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Fixture {
  readonly proc: ChildProcess;
  /** Every stdout line so far. */
  readonly lines: string[];
  /** All stderr so far. */
  stderr(): string;
  /** The first stdout line (already seen or still to come) matching `pred`. */
  line(pred: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  /** The first match of `re` in stderr (already written or still to come). */
  stderrMatch(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** The endpoint URL from the "listening on" line. */
  endpoint(timeoutMs?: number): Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  send(line: string): void;
  kill(): void;
}

/** The parent's environment without any FAULTLINE_* or NODE_ENV, plus `env`. */
export function cleanEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('FAULTLINE_') && k !== 'NODE_ENV') out[k] = v;
  }
  return { ...out, ...env };
}

/** Runs the fixture test/fixtures/failpoint/<name>.ts with `env` added to a clean environment. */
export function startFixture(name: string, env: Record<string, string> = {}, args: string[] = []): Fixture {
  return startNode([fileURLToPath(new URL(`${name}.ts`, FIXTURES)), ...args], env);
}

/** Runs `node <argv...>` from the repository root, a .ts script through tsx (or its transpiled .js). */
export function startNode(argv: readonly string[], env: Record<string, string> = {}, tsx = true): Fixture {
  const proc = spawn(process.execPath, tsx ? tsArgv(argv) : [...argv], {
    cwd: ROOT,
    env: cleanEnv(env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let err = '';
  let partial = '';
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const l of [...listeners]) l();
  };
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (chunk: string) => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    notify();
  });
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (chunk: string) => {
    err += chunk;
    notify();
  });
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('close', (code, signal) => {
      done = true;
      if (partial !== '') lines.push(partial);
      partial = '';
      notify();
      resolve({ code, signal });
    });
  });
  proc.stdin!.on('error', () => {});

  function waitFor<T>(find: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = find();
        if (found !== undefined) {
          listeners.delete(check);
          clearTimeout(timer);
          resolve(found);
        } else if (done) {
          listeners.delete(check);
          clearTimeout(timer);
          reject(new Error(`${argv[0]} exited before ${what}; stdout: ${lines.join('\n')}\nstderr: ${err}`));
        }
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`timed out waiting for ${what}; stdout: ${lines.join('\n')}\nstderr: ${err}`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  }

  const fixture: Fixture = {
    proc,
    lines,
    stderr: () => err,
    line: (pred, timeoutMs = 15_000) => waitFor(() => lines.find(pred), 'a matching stdout line', timeoutMs),
    stderrMatch: (re, timeoutMs = 15_000) =>
      waitFor(() => err.match(re) ?? undefined, `stderr ${re}`, timeoutMs),
    endpoint: async (timeoutMs = 15_000) =>
      (await fixture.stderrMatch(/failpoint endpoint listening on (http:\/\/\S+)/, timeoutMs))[1]!,
    exited,
    send: (line) => {
      proc.stdin!.write(`${line}\n`);
    },
    kill: () => {
      if (!done) proc.kill('SIGKILL');
    },
  };
  return fixture;
}

/** Parses the first JSON stdout line that has `key`. */
export async function jsonLine<T>(f: Fixture, key: string, timeoutMs?: number): Promise<T> {
  const line = await f.line((l) => {
    try {
      const v = JSON.parse(l) as Record<string, unknown>;
      return typeof v === 'object' && v !== null && key in v;
    } catch {
      return false;
    }
  }, timeoutMs);
  return JSON.parse(line) as T;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
  json: any;
}

/** One plain node:http request (so tests control every header, Host included); the answer parsed as JSON. */
export function http(
  method: string,
  url: string,
  options: { body?: string; headers?: Record<string, string> } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers: options.headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, json: JSON.parse(text) });
        } catch (err) {
          reject(new Error(`not JSON from ${method} ${url}: ${text}`, { cause: err }));
        }
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
