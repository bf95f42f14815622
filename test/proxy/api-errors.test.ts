/**
 * Bad input gets Toxiproxy's status code and a JSON error naming the field — and changes nothing.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect, readBytes, startEchoServer, startProxyServer, type TestServer } from './helpers.js';

let echo: TestServer;
let server: Awaited<ReturnType<typeof startProxyServer>>;
let blocker: Server;
let busyPort: number;

before(async () => {
  echo = await startEchoServer();
  server = await startProxyServer();
  blocker = createServer();
  blocker.listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  busyPort = (blocker.address() as AddressInfo).port;
});
after(async () => {
  await server.close();
  await echo.close();
  blocker.close();
});

async function call(method: string, path: string, body?: unknown, raw?: string) {
  const res = await fetch(`${server.api}${path}`, {
    method,
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    headers: { 'content-type': 'application/json' },
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

async function state() {
  return (await call('GET', '/proxies')).json;
}

describe('API errors', () => {
  it('setup: one proxy with one toxic', async () => {
    const r = await call('POST', '/proxies', { name: 'e1', listen: '127.0.0.1:0', upstream: echo.address });
    assert.equal(r.status, 201);
    const t = await call('POST', '/proxies/e1/toxics', { type: 'latency', attributes: { latency: 5 } });
    assert.equal(t.status, 200);
  });

  const cases: [string, string, string, unknown, number, string | undefined, RegExp][] = [
    ['malformed JSON', 'POST', '/proxies', '{"name": ', 400, undefined, /^bad request body/],
    ['empty body', 'POST', '/proxies', '', 400, undefined, /^bad request body: EOF/],
    [
      'missing name',
      'POST',
      '/proxies',
      { upstream: 'localhost:1' },
      400,
      'name',
      /missing required field: name/,
    ],
    [
      'missing upstream',
      'POST',
      '/proxies',
      { name: 'x' },
      400,
      'upstream',
      /missing required field: upstream/,
    ],
    [
      'name not a string',
      'POST',
      '/proxies',
      { name: 5, upstream: 'a:1' },
      400,
      'name',
      /name: must be a string/,
    ],
    ['bad upstream', 'POST', '/proxies', { name: 'x', upstream: 'nohost' }, 400, 'upstream', /upstream/],
    [
      'duplicate name',
      'POST',
      '/proxies',
      { name: 'e1', upstream: 'a:1', listen: '127.0.0.1:0' },
      409,
      'name',
      /proxy already exists/,
    ],
    ['unknown proxy', 'GET', '/proxies/nope', undefined, 404, 'name', /proxy not found/],
    ['unknown toxic type', 'POST', '/proxies/e1/toxics', { type: 'lag' }, 400, 'type', /invalid toxic type/],
    [
      'invalid stream',
      'POST',
      '/proxies/e1/toxics',
      { type: 'latency', stream: 'sideways' },
      400,
      'stream',
      /stream was invalid/,
    ],
    [
      'negative latency',
      'POST',
      '/proxies/e1/toxics',
      { type: 'latency', name: 'neg', attributes: { latency: -5 } },
      400,
      'attributes.latency',
      /attributes\.latency: must not be negative/,
    ],
    [
      'fractional jitter',
      'POST',
      '/proxies/e1/toxics',
      { type: 'latency', name: 'f', attributes: { jitter: 1.5 } },
      400,
      'attributes.jitter',
      /integer/,
    ],
    [
      // Toxiproxy would answer 200 with latency 0: a toxic that does nothing
      'misspelt attribute',
      'POST',
      '/proxies/e1/toxics',
      { type: 'latency', name: 'typo', attributes: { latncy: 100 } },
      400,
      'attributes.latncy',
      /^bad request body: attributes\.latncy: unknown attribute \(known: latency, jitter\)$/,
    ],
    [
      'attribute of another toxic type',
      'POST',
      '/proxies/e1/toxics',
      { type: 'slow_close', name: 'other', attributes: { delay: 5, latency: 5 } },
      400,
      'attributes.latency',
      /unknown attribute \(known: delay\)/,
    ],
    [
      'attribute of a toxic that has none',
      'POST',
      '/proxies/e1/toxics',
      { type: 'noop', name: 'none', attributes: { latency: 5 } },
      400,
      'attributes.latency',
      /unknown attribute \(this toxic has no attributes\)/,
    ],
    [
      'toxicity above 1',
      'POST',
      '/proxies/e1/toxics',
      { type: 'latency', name: 'tx', toxicity: 1.5 },
      400,
      'toxicity',
      /toxicity/,
    ],
    [
      'duplicate toxic',
      'POST',
      '/proxies/e1/toxics',
      { type: 'latency' },
      409,
      'name',
      /toxic already exists/,
    ],
    ['unknown toxic', 'GET', '/proxies/e1/toxics/nope', undefined, 404, 'name', /toxic not found/],
    [
      'update unknown toxic',
      'POST',
      '/proxies/e1/toxics/nope',
      { toxicity: 0 },
      404,
      'name',
      /toxic not found/,
    ],
    [
      'update with negative attribute',
      'POST',
      '/proxies/e1/toxics/latency_downstream',
      { attributes: { latency: -1 } },
      400,
      'attributes.latency',
      /negative/,
    ],
    [
      'update with a misspelt attribute',
      'POST',
      '/proxies/e1/toxics/latency_downstream',
      { attributes: { jiter: 5 } },
      400,
      'attributes.jiter',
      /unknown attribute/,
    ],
    ['populate not an array', 'POST', '/populate', { name: 'x' }, 400, undefined, /array/],
  ];
  for (const [what, method, path, body, status, field, message] of cases) {
    it(`${what} → ${status}${field ? ` naming ${field}` : ''}, nothing changed`, async () => {
      const before = await state();
      const r =
        typeof body === 'string' ? await call(method, path, undefined, body) : await call(method, path, body);
      assert.equal(r.status, status);
      assert.equal(r.json.status, status);
      assert.match(r.json.error, message);
      if (field) assert.equal(r.json.field, field);
      assert.deepEqual(await state(), before);
    });
  }

  it('listen address in use → 500 naming listen; no proxy created', async () => {
    const before = await state();
    const r = await call('POST', '/proxies', {
      name: 'busy',
      listen: `127.0.0.1:${busyPort}`,
      upstream: echo.address,
    });
    assert.equal(r.status, 500);
    assert.equal(r.json.field, 'listen');
    assert.match(r.json.error, /address already in use/);
    assert.deepEqual(await state(), before);
  });

  it('moving a proxy onto a busy address → 500; the proxy keeps its address and its connections', async () => {
    const p = (await call('GET', '/proxies/e1')).json;
    const s = await connect(Number(p.listen.split(':')[1]));
    const r = await call('POST', '/proxies/e1', { listen: `127.0.0.1:${busyPort}` });
    assert.equal(r.status, 500);
    assert.equal((await call('GET', '/proxies/e1')).json.listen, p.listen);
    s.write('still');
    assert.equal(String(await readBytes(s, 5)), 'still');
    s.destroy();
  });

  it('populate with one busy listener applies nothing (Toxiproxy would half-apply)', async () => {
    const before = await state();
    const r = await call('POST', '/populate', [
      { name: 'pop_ok', listen: '127.0.0.1:0', upstream: echo.address },
      { name: 'e1', listen: '127.0.0.1:0', upstream: '127.0.0.1:1' },
      { name: 'pop_busy', listen: `127.0.0.1:${busyPort}`, upstream: echo.address },
    ]);
    assert.equal(r.status, 500);
    assert.equal(r.json.field, 'listen');
    assert.deepEqual(r.json.proxies, []);
    assert.deepEqual(await state(), before);
    // e1 was stopped to be replaced and restarted on its old address.
    const e1 = (await call('GET', '/proxies/e1')).json;
    const s = await connect(Number(e1.listen.split(':')[1]));
    s.write('ok');
    assert.equal(String(await readBytes(s, 2)), 'ok');
    s.destroy();
  });

  it('populate with a missing field names it and its position', async () => {
    const r = await call('POST', '/populate', [{ name: 'a', upstream: 'a:1' }, { name: 'b' }]);
    assert.equal(r.status, 400);
    assert.match(r.json.error, /missing required field: upstream at proxy 2/);
    assert.equal(r.json.field, 'upstream');
  });

  it('browsers are refused (403), as Toxiproxy does', async () => {
    const res = await fetch(`${server.api}/proxies`, { headers: { 'user-agent': 'Mozilla/5.0' } });
    assert.equal(res.status, 403);
  });

  it('unknown paths → 404; wrong methods → 405', async () => {
    assert.equal((await call('GET', '/nope')).status, 404);
    assert.equal((await call('PUT', '/proxies')).status, 405);
  });

  it('deletes answer 204 with no body', async () => {
    const r = await call('DELETE', '/proxies/e1/toxics/latency_downstream');
    assert.equal(r.status, 204);
    assert.equal(r.json, undefined);
    assert.equal((await call('DELETE', '/proxies/e1')).status, 204);
    assert.equal((await call('DELETE', '/proxies/e1')).status, 404);
  });
});
