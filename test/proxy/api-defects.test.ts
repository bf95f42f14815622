/**
 * Proxy API defects, each against a real server on 127.0.0.1: a proxy created without `listen` gets a free
 * port (as Toxiproxy does), a malformed `listen` is a 400 naming the field, a proxy named `__proto__` is refused
 * rather than vanishing from `GET /proxies`, and idle API connections are capped and timed out without the
 * data plane noticing.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Toxiproxy } from 'toxiproxy-node-client';
import {
  connect,
  eventually,
  portOf,
  readBytes,
  startEchoServer,
  startProxyServer,
  type TestServer,
} from './helpers.js';

let echo: TestServer;
let server: Awaited<ReturnType<typeof startProxyServer>>;

before(async () => {
  echo = await startEchoServer();
  server = await startProxyServer();
});
after(async () => {
  await server.close();
  await echo.close();
});

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.api}${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

async function echoes(port: number): Promise<void> {
  const s = await connect(port);
  s.write('ping');
  assert.equal(String(await readBytes(s, 4)), 'ping');
  s.destroy();
}

describe('POST /proxies without listen', () => {
  it('binds a free loopback port and reports it in listen (toxiproxy-node-client)', async () => {
    const client = new Toxiproxy(server.api);
    // the client's types insist on listen; Toxiproxy itself does not
    const proxy = await client.createProxy({ name: 'nolisten', upstream: echo.address } as never);
    assert.match(proxy.listen, /^127\.0\.0\.1:\d+$/);
    assert.notEqual(portOf(proxy.listen), 0);
    await echoes(portOf(proxy.listen));
    assert.equal((await call('GET', '/proxies/nolisten')).json.listen, proxy.listen);
  });

  it('an empty listen is the same as none; populate defaults it too', async () => {
    const r = await call('POST', '/proxies', { name: 'emptylisten', listen: '', upstream: echo.address });
    assert.equal(r.status, 201);
    assert.match(r.json.listen, /^127\.0\.0\.1:[1-9]\d*$/);
    const p = await call('POST', '/populate', [{ name: 'popnolisten', upstream: echo.address }]);
    assert.equal(p.status, 201);
    assert.match(p.json.proxies[0].listen, /^127\.0\.0\.1:[1-9]\d*$/);
    await echoes(portOf(p.json.proxies[0].listen));
    // populating it again without listen leaves it where it is
    const again = await call('POST', '/populate', [{ name: 'popnolisten', upstream: echo.address }]);
    assert.equal(again.json.proxies[0].listen, p.json.proxies[0].listen);
  });
});

describe('malformed listen → 400 naming listen, nothing changed', () => {
  for (const listen of ['127.0.0.1', '127.0.0.1:65536', 'localhost:http', '127.0.0.1:-1', ':::1']) {
    it(`create with listen ${JSON.stringify(listen)}`, async () => {
      const before = (await call('GET', '/proxies')).json;
      const r = await call('POST', '/proxies', { name: 'badlisten', listen, upstream: echo.address });
      assert.equal(r.status, 400);
      assert.equal(r.json.status, 400);
      assert.equal(r.json.field, 'listen');
      assert.match(r.json.error, /^bad request body: listen: must be host:port/);
      assert.deepEqual((await call('GET', '/proxies')).json, before);
    });
  }

  it('update and populate too', async () => {
    const created = await call('POST', '/proxies', {
      name: 'movable',
      listen: '127.0.0.1:0',
      upstream: echo.address,
    });
    const u = await call('POST', '/proxies/movable', { listen: '127.0.0.1:99999' });
    assert.equal(u.status, 400);
    assert.equal(u.json.field, 'listen');
    assert.equal((await call('GET', '/proxies/movable')).json.listen, created.json.listen);
    const p = await call('POST', '/populate', [{ name: 'x', listen: 'nope', upstream: echo.address }]);
    assert.equal(p.status, 400);
    assert.equal(p.json.field, 'listen');
    assert.match(p.json.error, /at proxy 1|listen/);
  });
});

describe('reserved proxy names', () => {
  it('__proto__ is refused with 400 naming name, over the API and through populate', async () => {
    const r = await call('POST', '/proxies', {
      name: '__proto__',
      listen: '127.0.0.1:0',
      upstream: echo.address,
    });
    assert.equal(r.status, 400);
    assert.equal(r.json.field, 'name');
    assert.match(r.json.error, /__proto__/);
    const p = await call('POST', '/populate', [{ name: '__proto__', upstream: echo.address }]);
    assert.equal(p.status, 400);
    assert.equal(p.json.field, 'name');
    const list = await fetch(`${server.api}/proxies`).then((res) => res.text());
    assert.doesNotMatch(list, /__proto__/);
  });

  it('names that are Object.prototype members are listed like any other', async () => {
    for (const name of ['constructor', 'toString', 'hasOwnProperty']) {
      const r = await call('POST', '/proxies', { name, listen: '127.0.0.1:0', upstream: echo.address });
      assert.equal(r.status, 201, name);
    }
    const client = new Toxiproxy(server.api);
    const all = await client.getAll();
    for (const name of ['constructor', 'toString', 'hasOwnProperty']) {
      assert.ok(Object.hasOwn(all, name), `${name} missing from getAll()`);
      assert.equal(all[name]!.name, name);
    }
  });
});

describe('API connection cap and idle timeout', () => {
  const CAP = 4;
  const IDLE_MS = 300;
  let capped: Awaited<ReturnType<typeof startProxyServer>>;
  before(async () => {
    capped = await startProxyServer({ apiMaxConnections: CAP, apiIdleTimeoutMs: IDLE_MS });
  });
  after(() => capped.close());

  function openIdle(port: number): Promise<{ socket: Socket; closedAt: Promise<number> }> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.on('error', () => {});
      const closedAt = once(socket, 'close').then(() => performance.now());
      socket.once('connect', () => resolve({ socket, closedAt }));
      socket.once('error', reject);
    });
  }

  it('more idle connections than the cap: the extra ones are dropped, the rest closed after the idle timeout, and the data plane keeps accepting', async () => {
    const proxy = await capped.createProxy({ name: 'dp', listen: '127.0.0.1:0', upstream: echo.address });
    const dataPort = portOf(proxy.listen);
    const apiPort = capped.address!.port;
    const opened = performance.now();
    const idle = await Promise.all(Array.from({ length: CAP * 3 }, () => openIdle(apiPort)));
    let closed = 0;
    for (const c of idle) void c.closedAt.then(() => closed++);
    // the connections over the cap are closed by the server at once; the others stay until the idle timeout
    await eventually(() => closed >= CAP * 2, 5000, 'the connections over the cap to be dropped');
    // the data plane is a separate listener: it accepts and proxies while the API is full
    for (let i = 0; i < CAP * 2; i++) await echoes(dataPort);
    const times = await Promise.all(idle.map((c) => c.closedAt));
    const held = times.map((t) => t - opened).sort((a, b) => a - b);
    // the longest-lived CAP connections were held for at least (about) the idle timeout
    for (const ms of held.slice(-CAP)) assert.ok(ms >= IDLE_MS * 0.8, `held only ${ms} ms`);
    // and the API answers again once they are gone
    assert.equal((await fetch(`${capped.url}/proxies`)).status, 200);
  });

  it('a keep-alive API client that stays idle is closed after the idle timeout', async () => {
    const s = await openIdle(capped.address!.port);
    s.socket.write('GET /version HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await once(s.socket, 'data');
    const answered = performance.now();
    const closedAt = await s.closedAt;
    const ms = closedAt - answered;
    // Node's own keep-alive timeout is 5 s: well under it means the API's idle timeout closed it
    assert.ok(ms >= IDLE_MS * 0.8 && ms < 4000, `closed after ${ms} ms`);
  });

  it('bad options are refused naming the option', async () => {
    const { createProxyServer } = await import('../../src/proxy/index.js');
    assert.throws(() => createProxyServer({ apiMaxConnections: 0 }), /apiMaxConnections/);
    assert.throws(() => createProxyServer({ apiIdleTimeoutMs: -1 }), /apiIdleTimeoutMs/);
  });
});
