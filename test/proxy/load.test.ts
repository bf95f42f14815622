/**
 * 5,000 concurrent connections through one proxy (in its own process) to an echo upstream. Afterwards the
 * proxy holds no socket or descriptor for them (/proc/self/fd back to its baseline) and its heap returns near
 * baseline (tolerance: +8 MiB after GC).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, fork } from 'node:child_process';
import type { Socket } from 'node:net';
import { after, before, it } from 'node:test';
import { tsChild } from '../helpers/ts-child.js';
import { connect, eventually, readBytes, startEchoServer, type TestServer } from './helpers.js';

const CONNECTIONS = 5000;
const BATCH = 250;

interface Stats {
  fds: number;
  rss: number;
  heapUsed: number;
  active: number;
}

let child: ChildProcess;
let api: string;
let echo: TestServer;
let nextId = 1;

function ask(what: string): Promise<Stats> {
  const id = nextId++;
  return new Promise((resolve) => {
    const onMsg = (m: { id: number; stats: Stats }) => {
      if (m.id !== id) return;
      child.off('message', onMsg);
      resolve(m.stats);
    };
    child.on('message', onMsg);
    child.send({ id, what });
  });
}

before(async () => {
  echo = await startEchoServer();
  const { script, execArgv } = tsChild(new URL('./fixtures/proxy-child.ts', import.meta.url));
  child = fork(script, [], {
    execArgv: ['--expose-gc', ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  api = await new Promise<string>((resolve) => child.once('message', (m: { url: string }) => resolve(m.url)));
});

after(async () => {
  if (child.exitCode === null) {
    child.send({ id: 0, what: 'exit' });
    await new Promise((r) => child.once('exit', r));
  }
  await echo.close();
});

async function openBatch(port: number, from: number, count: number, into: Socket[]): Promise<void> {
  await Promise.all(
    Array.from({ length: count }, async (_, k) => {
      const s = await connect(port);
      into.push(s);
      const msg = Buffer.from(`conn-${from + k}|`);
      s.write(msg);
      assert.ok((await readBytes(s, msg.length)).equals(msg));
    }),
  );
}

it(`${CONNECTIONS} concurrent connections, then no descriptor or socket left behind`, async (t) => {
  const res = await fetch(`${api}/proxies`, {
    method: 'POST',
    body: JSON.stringify({ name: 'load', listen: '127.0.0.1:0', upstream: echo.address }),
  });
  assert.equal(res.status, 201);
  const port = Number(((await res.json()) as { listen: string }).listen.split(':')[1]);

  // Warm-up round so lazily created structures are part of the baseline.
  const warm: Socket[] = [];
  await openBatch(port, 0, 200, warm);
  for (const s of warm) s.destroy();
  await eventually(async () => (await ask('stats')).active === 0, 10_000, 'warm-up connections closed');
  const base = await ask('stats');

  const sockets: Socket[] = [];
  for (let i = 0; i < CONNECTIONS; i += BATCH) await openBatch(port, i, BATCH, sockets);
  const peak = await ask('stats');
  assert.equal(peak.active, CONNECTIONS);
  // Two descriptors per connection; the baseline may also hold the API's idle keep-alive socket from the POST
  // above, which the server closes after 5 s — a slow run reaches the peak without it.
  assert.ok(peak.fds >= base.fds - 1 + 2 * CONNECTIONS, `fds at peak ${peak.fds} (baseline ${base.fds})`);

  // Half the clients close gracefully, half abruptly.
  sockets.forEach((s, i) => {
    if (i % 2 === 0) s.end();
    else s.destroy();
  });
  await eventually(async () => (await ask('stats')).active === 0, 30_000, 'all proxied connections closed');
  await eventually(async () => (await ask('stats')).fds <= base.fds, 10_000, 'descriptors released');
  const end = await ask('stats');
  assert.ok(end.fds <= base.fds, `fds ${end.fds} after, baseline ${base.fds}`);
  const mib = (b: number) => (b / 1024 / 1024).toFixed(1);
  assert.ok(
    end.heapUsed - base.heapUsed < 8 * 1024 * 1024,
    `heap ${mib(base.heapUsed)} → ${mib(peak.heapUsed)} at peak → ${mib(end.heapUsed)} MiB after`,
  );
  t.diagnostic(
    `fds ${base.fds} → ${peak.fds} → ${end.fds}; heap ${mib(base.heapUsed)} → ${mib(peak.heapUsed)} → ` +
      `${mib(end.heapUsed)} MiB; rss ${mib(base.rss)} → ${mib(peak.rss)} → ${mib(end.rss)} MiB`,
  );
  for (const s of sockets) s.destroy();
});
