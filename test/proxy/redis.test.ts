/**
 * A real redis-server behind the proxy and ioredis through it: latency shows in measured command latency,
 * reset_peer gives the client ECONNRESET, timeout makes commands time out, and removing a toxic restores
 * service — on the same connection where the toxic did not break the byte stream (latency), on a reconnect
 * where it did (timeout drops bytes, so the proxy closes that connection, as Toxiproxy does).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Redis, type RedisOptions } from 'ioredis';
import { startProxyServer } from './helpers.js';

let redis: ChildProcess;
let redisPort: number;
let server: Awaited<ReturnType<typeof startProxyServer>>;
let proxyPort: number;
const clients: Redis[] = [];

async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

before(async () => {
  redisPort = await freePort();
  redis = spawn(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  await new Promise<void>((resolve, reject) => {
    redis.once('error', reject);
    redis.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
    redis.stdout!.on('data', (c: Buffer) => {
      out += c;
      if (out.includes('Ready to accept connections')) resolve();
    });
  });
  server = await startProxyServer();
  const p = await server.createProxy({
    name: 'redis',
    listen: '127.0.0.1:0',
    upstream: `127.0.0.1:${redisPort}`,
  });
  proxyPort = Number(p.listen.split(':')[1]);
});

after(async () => {
  for (const c of clients) c.disconnect();
  await server?.close();
  if (redis && redis.exitCode === null) {
    redis.kill('SIGTERM');
    await once(redis, 'exit');
  }
});

function client(options: RedisOptions = {}): Redis {
  const c = new Redis({ host: '127.0.0.1', port: proxyPort, lazyConnect: true, ...options });
  c.on('error', () => {});
  clients.push(c);
  return c;
}

async function medianPingMs(c: Redis, n = 15): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await c.ping();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(n / 2)]!;
}

describe('redis through the proxy', () => {
  it('a 50 ms latency toxic shows in command latency; removal restores the same connection', async () => {
    const c = client();
    await c.connect();
    await c.set('k', 'v');
    const id = await c.client('ID');
    const base = await medianPingMs(c);
    // the test can only tell the toxic apart from a baseline below it
    assert.ok(base < 50, `baseline ${base.toFixed(2)} ms`);

    await server.addToxic('redis', { type: 'latency', attributes: { latency: 50 } });
    const slow = await medianPingMs(c, 9);
    assert.ok(slow >= 50, `with latency ${slow.toFixed(2)} ms`);
    assert.equal(await c.get('k'), 'v');

    await server.removeToxic('redis', 'latency_downstream');
    const restored = await medianPingMs(c);
    assert.ok(restored < 50, `restored ${restored.toFixed(2)} ms`);
    assert.equal(await c.client('ID'), id, 'still the same connection');
  });

  it('reset_peer: the client sees ECONNRESET', async () => {
    const c = client({ retryStrategy: () => null, maxRetriesPerRequest: 0 });
    await c.connect();
    await c.ping();
    const errors: NodeJS.ErrnoException[] = [];
    c.on('error', (e: NodeJS.ErrnoException) => errors.push(e));
    await server.addToxic('redis', { type: 'reset_peer', attributes: { timeout: 0 } });
    await assert.rejects(c.ping());
    assert.ok(
      errors.some((e) => e.code === 'ECONNRESET'),
      `errors: ${errors.map((e) => e.code ?? e.message)}`,
    );
    await server.removeToxic('redis', 'reset_peer_downstream');
    const fresh = client();
    await fresh.connect();
    assert.equal(await fresh.ping(), 'PONG');
  });

  it('timeout: commands time out; after removal the client is served again', async () => {
    const c = client({ commandTimeout: 300 });
    await c.connect();
    await c.ping();
    await server.addToxic('redis', { type: 'timeout', attributes: { timeout: 0 } });
    await assert.rejects(c.ping(), /timed out/);
    await server.removeToxic('redis', 'timeout_downstream');
    // The toxic dropped a reply, so that connection is closed; ioredis reconnects and carries on.
    assert.equal(await c.ping(), 'PONG');
    assert.equal(await c.get('k'), 'v');
  });

  it('toxicity 0: the toxic is listed but no command is slowed', async () => {
    const c = client();
    await c.connect();
    await server.addToxic('redis', { type: 'latency', toxicity: 0, attributes: { latency: 500 } });
    const ms = await medianPingMs(c);
    // applied, every ping would take 500 ms or more
    assert.ok(ms < 500, `${ms.toFixed(2)} ms`);
    await server.removeToxic('redis', 'latency_downstream');
  });
});
