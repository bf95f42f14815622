/**
 * The `http` toxic against a real node:http server: matching requests are answered by the proxy or delayed,
 * others pass; keep-alive connections stay up; pipelined requests get their responses in request order even
 * when answered and forwarded ones interleave and the server is slower than the proxy's answers.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect, readAll, startEchoServer, startProxyServer, type TestServer } from './helpers.js';

let upstream: Server;
let upstreamAddr: string;
let upstreamConnections = 0;
let forwarded: string[] = [];
let server: Awaited<ReturnType<typeof startProxyServer>>;
let echo: TestServer;
const sockets = new Set<Socket>();

before(async () => {
  upstream = createServer((req, res) => {
    forwarded.push(`${req.method} ${req.url}`);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = req.method === 'POST' ? `B:${Buffer.concat(chunks).length}` : `A:${req.url}`;
      // The server answers /a slowly so the proxy's own answers for later requests are ready first.
      const wait = req.url?.startsWith('/a') ? 60 : 0;
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      }, wait);
    });
  });
  upstream.on('connection', (s: Socket) => {
    upstreamConnections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  upstreamAddr = `127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  server = await startProxyServer();
  echo = await startEchoServer();
});

after(async () => {
  await server.close();
  for (const s of sockets) s.destroy();
  upstream.close();
  await echo.close();
});

let n = 0;
async function proxy(
  toxic: Record<string, unknown>,
  to = upstreamAddr,
): Promise<{ port: number; name: string }> {
  const name = `http${n++}`;
  const p = await server.createProxy({ name, listen: '127.0.0.1:0', upstream: to });
  await server.addToxic(name, { name: 'h', type: 'http', ...toxic });
  return { port: Number(p.listen.split(':')[1]), name };
}

interface Res {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function get(
  port: number,
  path: string,
  agent: Agent,
  method = 'GET',
  body?: string,
): Promise<Res & { socket: Socket }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          headers: res.headers as Record<string, string>,
          body: Buffer.concat(chunks).toString(),
          socket: req.socket as Socket,
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Reads `count` responses off a raw socket (Content-Length framing; `heads` marks HEAD responses). */
function readResponses(socket: Socket, heads: boolean[]): Promise<Res[]> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const out: Res[] = [];
    const onData = (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
        const headers: Record<string, string> = {};
        for (const l of lines.slice(1)) {
          const i = l.indexOf(':');
          headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
        }
        const len = heads[out.length] ? 0 : Number(headers['content-length'] ?? 0);
        if (buf.length < end + 4 + len) return;
        out.push({
          status: Number(lines[0]!.split(' ')[1]),
          headers,
          body: buf.subarray(end + 4, end + 4 + len).toString(),
        });
        buf = buf.subarray(end + 4 + len);
        if (out.length === heads.length) {
          socket.off('data', onData);
          resolve(out);
          return;
        }
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

describe('http toxic', () => {
  it('answers matching requests with status, body and headers; forwards the rest on the same keep-alive connection', async () => {
    const { port } = await proxy({
      attributes: {
        method: 'GET',
        path: '/fail/*',
        status: 503,
        body: 'down',
        headers: { 'Retry-After': '7' },
      },
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    forwarded = [];
    const before = upstreamConnections;
    const r1 = await get(port, '/b', agent);
    const r2 = await get(port, '/fail/x?q=1', agent);
    const r3 = await get(port, '/fail/y', agent, 'POST', 'posted');
    const r4 = await get(port, '/b', agent);
    assert.equal(r1.status, 200);
    assert.deepEqual([r2.status, r2.body, r2.headers['retry-after']], [503, 'down', '7']);
    assert.equal(r2.headers['x-faultline-toxic'], 'h');
    assert.equal(r3.status, 200, 'POST does not match method GET');
    assert.equal(r3.body, 'B:6');
    assert.equal(r4.body, 'A:/b');
    assert.equal(r1.socket, r4.socket, 'one keep-alive connection throughout');
    assert.deepEqual(forwarded, ['GET /b', 'POST /fail/y', 'GET /b']);
    assert.equal(upstreamConnections - before, 1);
    agent.destroy();
  });

  it('pipelined requests get their responses in request order, answered ones in their place', async () => {
    const { port } = await proxy({ attributes: { path: '/fail', status: 500, body: 'nope' } });
    const s = await connect(port);
    forwarded = [];
    const chunkedBody = '5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n';
    s.write(
      'GET /a1 HTTP/1.1\r\nHost: x\r\n\r\n' +
        'GET /fail HTTP/1.1\r\nHost: x\r\n\r\n' +
        `POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nxyz` +
        `POST /fail HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunkedBody}` +
        'HEAD /a2 HTTP/1.1\r\nHost: x\r\n\r\n' +
        'GET /fail HTTP/1.1\r\nHost: x\r\n\r\n' +
        'GET /a3 HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    const res = await readResponses(s, [false, false, false, false, true, false, false]);
    assert.deepEqual(
      res.map((r) => `${r.status} ${r.body}`),
      ['200 A:/a1', '500 nope', '200 B:3', '500 nope', '200 ', '500 nope', '200 A:/a3'],
    );
    assert.deepEqual(forwarded, ['GET /a1', 'POST /b', 'HEAD /a2', 'GET /a3']);
    s.destroy();
  });

  it('answers a Connection: close request with Connection: close, then closes', async () => {
    const { port } = await proxy({ attributes: { path: '/bye', status: 429 } });
    const s = await connect(port);
    const all = readAll(s);
    s.write('GET /bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const { data } = await all;
    assert.match(data.toString(), /^HTTP\/1\.1 429 Too Many Requests\r\n/);
    assert.match(data.toString(), /\r\nConnection: close\r\n/);
  });

  it('status 0 + delay, stream upstream: only matching requests are delayed', async () => {
    const { port } = await proxy({ stream: 'upstream', attributes: { path: '/b/slow', delay: 200 } });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    let t0 = performance.now();
    await get(port, '/b/fast', agent);
    const fast = performance.now() - t0;
    t0 = performance.now();
    const slowRes = await get(port, '/b/slow', agent);
    const slow = performance.now() - t0;
    assert.equal(slowRes.body, 'A:/b/slow');
    // the delay is a lower bound for the matching request at any speed; the other one was not held that long
    assert.ok(fast < 199, `fast ${fast.toFixed(1)} ms`);
    assert.ok(slow >= 199, `slow ${slow.toFixed(1)} ms`);
    agent.destroy();
  });

  it('status 0 + delay, stream downstream: the matching response is held back', async () => {
    const { port } = await proxy({ stream: 'downstream', attributes: { method: 'POST', delay: 200 } });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    let t0 = performance.now();
    await get(port, '/b', agent);
    const fast = performance.now() - t0;
    t0 = performance.now();
    const r = await get(port, '/b', agent, 'POST', 'x');
    const slow = performance.now() - t0;
    assert.equal(r.body, 'B:1');
    // the delay is a lower bound for the matching request at any speed; the other one was not held that long
    assert.ok(fast < 199, `fast ${fast.toFixed(1)} ms`);
    assert.ok(slow >= 199, `slow ${slow.toFixed(1)} ms`);
    agent.destroy();
  });

  it('removing the toxic on a live keep-alive connection: later requests are forwarded on it', async () => {
    const { port, name } = await proxy({ attributes: { path: '/fail', status: 502 } });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const r1 = await get(port, '/fail', agent);
    assert.equal(r1.status, 502);
    await server.removeToxic(name, 'h');
    const r2 = await get(port, '/fail', agent);
    assert.equal(r2.status, 200);
    assert.equal(r2.body, 'A:/fail');
    assert.equal(r1.socket, r2.socket);
    agent.destroy();
  });

  it('traffic that is not HTTP passes through byte for byte', async () => {
    const { port } = await proxy({ attributes: { status: 500 } }, echo.address);
    const s = await connect(port);
    const data = Buffer.from('\x00\x01binary, not HTTP\r\n\r\nGET / HTTP/1.1\r\n\r\n');
    const all = readAll(s);
    s.end(data);
    assert.ok((await all).data.equals(data));
  });

  it('bad attributes are refused with 400 naming the field', async () => {
    await server.createProxy({ name: 'httpbad', listen: '127.0.0.1:0', upstream: upstreamAddr });
    for (const [attributes, field] of [
      [{ status: 150 }, 'attributes.status'],
      [{ method: 'GET POST' }, 'attributes.method'],
      [{ headers: { 'bad name': 'x' } }, 'attributes.headers.bad name'],
      [{ headers: { ok: 'a\r\nb' } }, 'attributes.headers.ok'],
    ] as const) {
      await assert.rejects(
        server.addToxic('httpbad', { type: 'http', attributes }),
        (e: { status: number; field: string }) => {
          assert.equal(e.status, 400);
          assert.equal(e.field, field);
          return true;
        },
      );
    }
    assert.deepEqual(server.listToxics('httpbad'), []);
  });
});
