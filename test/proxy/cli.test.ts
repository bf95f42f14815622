/** `faultline proxy` as a user runs it: a real child process, its config file, its seed, its exit codes. */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliArgv } from '../helpers/cli.js';
import { connect, readBytes, startEchoServer, type TestServer } from './helpers.js';

let dir: string;
let echo: TestServer;
const children: ChildProcess[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'faultline-proxy-cli-'));
  echo = await startEchoServer();
});
after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await echo.close();
  rmSync(dir, { recursive: true, force: true });
});

function run(args: string[]): ChildProcess & { output: () => string; errors: () => string } {
  const child = spawn(process.execPath, [...cliArgv, 'proxy', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c;
  });
  child.stderr!.on('data', (c: Buffer) => {
    err += c;
  });
  return Object.assign(child, { output: () => out, errors: () => err });
}

describe('faultline proxy', () => {
  it('starts the API, creates the proxies in --config, prints the seed, stops on SIGTERM', async () => {
    const config = join(dir, 'proxies.json');
    writeFileSync(config, JSON.stringify([{ name: 'echo', listen: '127.0.0.1:0', upstream: echo.address }]));
    const child = run(['--port', '0', '--config', config, '--seed', '99']);
    while (!child.output().includes('echo:')) await once(child.stdout!, 'data');
    const url = /API on (http:\/\/\S+) \(seed 99\)/.exec(child.output())?.[1];
    assert.ok(url, child.output());
    const proxies = (await (await fetch(`${url}/proxies`)).json()) as Record<string, { listen: string }>;
    const listen = proxies.echo!.listen;
    const s = await connect(Number(listen.split(':')[1]));
    s.write('cli');
    assert.equal(String(await readBytes(s, 3)), 'cli');
    s.destroy();
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
    assert.match(child.output(), /stopped/);
  });

  for (const [what, args, pattern] of [
    ['a bad --port', ['--port', 'http'], /--port: must be an integer/],
    ['a bad --seed', ['--port', '0', '--seed', 'x1'], /--seed: must be a non-negative integer/],
    ['a missing --config file', ['--port', '0', '--config', '/nonexistent/p.json'], /config: cannot read/],
  ] as const) {
    it(`${what} exits 2 with one line naming the option`, async () => {
      const child = run([...args]);
      const [code] = await once(child, 'exit');
      assert.equal(code, 2);
      assert.match(child.errors(), pattern);
      assert.equal(child.errors().trim().split('\n').length, 1);
    });
  }

  it('a config with a bad entry exits 2 naming the field', async () => {
    const config = join(dir, 'bad.json');
    writeFileSync(config, JSON.stringify([{ name: 'x', listen: '127.0.0.1:0' }]));
    const child = run(['--port', '0', '--config', config]);
    const [code] = await once(child, 'exit');
    assert.equal(code, 2);
    assert.match(child.errors(), /missing required field: upstream at proxy 1/);
  });

  it('--proxy creates proxies next to --config ones and prints their real listen addresses', async () => {
    const config = join(dir, 'with-flags.json');
    writeFileSync(config, JSON.stringify([{ name: 'file', listen: '127.0.0.1:0', upstream: echo.address }]));
    const child = run([
      '--port',
      '0',
      '--config',
      config,
      '--proxy',
      `a=127.0.0.1:0=${echo.address}`,
      '--proxy',
      `b = localhost:0 = ${echo.address}`,
    ]);
    await untilOutput(child, /^ {2}file: /m);
    const lines = [...child.output().matchAll(/^ {2}(\S+): (\S+):(\d+) -> (\S+)$/gm)];
    assert.deepEqual(
      lines.map((m) => [m[1], m[2], m[4]]),
      [
        ['a', '127.0.0.1', echo.address],
        ['b', '127.0.0.1', echo.address],
        ['file', '127.0.0.1', echo.address],
      ],
    );
    for (const m of lines) assert.notEqual(Number(m[3]), 0, `${m[1]} shows the port it really listens on`);
    const s = await connect(Number(lines[1]![3]));
    s.write('flag');
    assert.equal(String(await readBytes(s, 4)), 'flag');
    s.destroy();
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  });

  for (const [what, args, pattern] of [
    ['no LISTEN part', () => ['--proxy', 'store=127.0.0.1:6000'], /--proxy: expected NAME=LISTEN=UPSTREAM/],
    [
      'an empty NAME',
      () => ['--proxy', '=127.0.0.1:0=127.0.0.1:6000'],
      /--proxy: expected NAME=LISTEN=UPSTREAM/,
    ],
    [
      'a LISTEN without a port',
      () => ['--proxy', 'x=nohost=127.0.0.1:1'],
      /--proxy: LISTEN in .* must be host:port/,
    ],
    ['an UPSTREAM on port 0', () => ['--proxy', 'x=127.0.0.1:0=127.0.0.1:0'], /--proxy: UPSTREAM .* port 0/],
    [
      'a name given twice',
      () => ['--proxy', 'x=127.0.0.1:0=127.0.0.1:1', '--proxy', 'x=127.0.0.1:0=127.0.0.1:2'],
      /--proxy: proxy 'x' is given twice/,
    ],
    [
      'a name also in --config',
      () => {
        const config = join(dir, 'dup.json');
        writeFileSync(
          config,
          JSON.stringify([{ name: 'dup', listen: '127.0.0.1:0', upstream: echo.address }]),
        );
        return ['--config', config, '--proxy', `dup=127.0.0.1:0=${echo.address}`];
      },
      /--proxy: proxy 'dup' is also defined in --config/,
    ],
    [
      'a LISTEN address in use',
      () => ['--proxy', `busy=${echo.address}=127.0.0.1:1`],
      /--proxy: busy=.*: listen tcp .*/,
    ],
  ] as const) {
    it(`--proxy with ${what} exits 2 with one line naming --proxy`, async () => {
      const child = run(['--port', '0', ...args()]);
      const [code] = await once(child, 'exit');
      assert.equal(code, 2, child.errors());
      assert.match(child.errors(), pattern);
      assert.equal(child.errors().trim().split('\n').length, 1);
    });
  }
});

/** Resolves once the output matches; fails with what the child said if it exits first. */
async function untilOutput(child: ReturnType<typeof run>, pattern: RegExp): Promise<void> {
  const exited = once(child, 'exit').then(() => {
    throw new Error(`exited before printing ${pattern}: ${child.errors()}`);
  });
  exited.catch(() => {});
  while (!pattern.test(child.output())) await Promise.race([once(child.stdout!, 'data'), exited]);
}
