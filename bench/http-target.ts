/**
 * What the load suites share: a trivial keep-alive HTTP server in a process of its own (so the generator under
 * test never shares its event loop), and the output of a child process that reports one JSON line.
 */
import { type ChildProcess, spawn } from 'node:child_process';

const SERVER = `
const http = require('node:http');
const s = http.createServer((req, res) => res.end('hello world'));
s.keepAliveTimeout = 60000;
s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));
`;

/** Starts the server answering `hello world`; resolves once it listens. */
export async function startHelloServer(): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    proc.stdout?.once('data', (d) => resolve(String(d).trim()));
    proc.once('error', reject);
  });
  return { url: `http://127.0.0.1:${port}/`, proc };
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
