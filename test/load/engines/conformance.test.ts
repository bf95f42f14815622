/**
 * One conformance suite run against every engine: the same requests to the same real servers on 127.0.0.1 must
 * end the same way — status, outcome class, what the server received — whichever engine carries them.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Server as NetServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { classifyError } from '../../../src/load/classify.js';
import { engineDefinitions } from '../../../src/load/engines/index.js';
import type { BuiltRequest } from '../../../src/load/template.js';
import { closedPort } from '../servers.js';

interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** Which server-side connection carried it (1, 2, …). */
  conn: number;
}

let http: Server;
let httpUrl: string;
const seen: Seen[] = [];
let raw: NetServer;
let rawUrl: string;
const BIG = Buffer.alloc(3 * 1024 * 1024, 'abcdefghijklmnopqrstuvwxyz');

/** node:http routes: the behaviour is the path. */
function route(req: IncomingMessage, res: ServerResponse, body: string, conn: number): void {
  seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, conn });
  const path = (req.url ?? '').split('?')[0];
  switch (path) {
    case '/length':
      res.writeHead(200, { 'content-length': 5 }).end('hello');
      return;
    case '/chunked': {
      res.writeHead(200);
      let k = 0;
      const next = () => {
        if (k++ < 5) {
          res.write(`part ${k};`);
          setTimeout(next, 2);
        } else {
          res.end();
        }
      };
      next();
      return;
    }
    case '/big':
      res.writeHead(200, { 'content-length': BIG.length }).end(BIG);
      return;
    case '/big-chunked':
      res.writeHead(200);
      for (let off = 0; off < BIG.length; off += 100_000) res.write(BIG.subarray(off, off + 100_000));
      res.end();
      return;
    case '/204':
      res.writeHead(204).end();
      return;
    case '/503':
      res.writeHead(503).end('unavailable');
      return;
    case '/close':
      res.writeHead(200, { connection: 'close' }).end('bye');
      return;
    case '/early-hints':
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
      setTimeout(() => res.end('final'), 5);
      return;
    case '/reset-mid-body':
      res.writeHead(200, { 'content-length': 1000 });
      res.write('only part of it');
      setTimeout(() => res.socket?.resetAndDestroy(), 20);
      return;
    case '/close-mid-body':
      res.writeHead(200, { 'content-length': 1000 });
      res.write('only part of it');
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    case '/close-before-answer':
      req.socket.destroy();
      return;
    case '/hang':
      return;
    case '/stall-body':
      res.writeHead(200, { 'content-length': 1000 });
      res.write('a slow start');
      return;
    default:
      res.end(`echo ${body.length}`);
  }
}

/** Raw byte responses, written in pieces: the behaviour is the first request line's path. */
const RAW: Record<string, (string | number)[]> = {
  // Every byte of the head in its own write, 2 ms apart: headers split across many reads.
  '/split-headers': [...'HTTP/1.1 200 OK\r\nContent-Length: 4\r\nX-Some: thing\r\n\r\n'.split(''), 'done'],
  '/until-close': ['HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nsome body', 5, 'and more', -1],
  '/garbage': ['SMTP ready\r\n\r\n'],
  '/http10': ['HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok'],
  // Keep-alive without a hint, then the server closes the idle connection 30 ms later.
  '/idle-close': ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', 30, -1],
};

before(async () => {
  let conns = 0;
  http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () =>
      route(req, res, Buffer.concat(chunks).toString(), (req.socket as { conn?: number }).conn ?? 0),
    );
  });
  http.on('connection', (s) => {
    (s as { conn?: number }).conn = ++conns;
  });
  http.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

  raw = createNetServer((s) => {
    s.setNoDelay(true);
    let head = '';
    s.on('data', async (d) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const path = head.split(' ')[1] ?? '';
      head = '';
      for (const step of RAW[path] ?? []) {
        if (typeof step === 'number') {
          if (step < 0) s.end();
          else await new Promise((r) => setTimeout(r, step));
        } else {
          s.write(step);
          await new Promise((r) => setTimeout(r, 2));
        }
      }
    });
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
  rawUrl = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
});

after(async () => {
  http.closeAllConnections();
  await new Promise<void>((resolve) => http.close(() => resolve()));
  await new Promise<void>((resolve) => raw.close(() => resolve()));
});

interface Ended {
  status: number;
  outcome: string;
  error?: string;
}

function request(
  method: string,
  path: string,
  body?: string,
  headers?: Record<string, string>,
): BuiltRequest {
  return { method, path, headers, body, template: 0, reusable: false };
}

/**
 * Sends `requests` through a fresh engine (all at once) and returns how each ended, in request order; checks
 * the contract on the way: one completion per request, never from inside `send`.
 */
async function exchange(
  engine: string,
  base: string,
  requests: BuiltRequest[],
  options: {
    connections?: number;
    pipelining?: number;
    timeoutMs?: number;
    /** Send each request after the previous one ended (and `gapMs` more). */
    sequential?: boolean;
    gapMs?: number;
  } = {},
): Promise<Ended[]> {
  const definition = engineDefinitions().find((d) => d.name === engine);
  assert.ok(definition);
  const ended: (Ended | undefined)[] = requests.map(() => undefined);
  let inSend = false;
  let left = requests.length;
  let resolveAll!: () => void;
  const all = new Promise<void>((resolve) => {
    resolveAll = resolve;
  });
  const e = definition.create<number>({
    url: new URL(base),
    connections: options.connections ?? 4,
    pipelining: options.pipelining ?? 1,
    timeoutMs: options.timeoutMs ?? 5000,
    onComplete(i, status, error) {
      assert.equal(inSend, false, 'completed from inside send');
      assert.equal(ended[i], undefined, `request ${i} completed twice`);
      ended[i] =
        error === null
          ? { status, outcome: 'response' }
          : { status, outcome: classifyError(error), error: String((error as Error).message) };
      if (--left === 0) resolveAll();
      else if (options.sequential) {
        if (options.gapMs) setTimeout(() => send(i + 1), options.gapMs);
        else send(i + 1);
      }
    },
  });
  const send = (i: number) => {
    inSend = true;
    e.send(requests[i] as BuiltRequest, i);
    inSend = false;
  };
  if (options.sequential) send(0);
  else for (let i = 0; i < requests.length; i++) send(i);
  await all;
  await e.close();
  return ended as Ended[];
}

const ok = (status = 200): Ended => ({ status, outcome: 'response' });
const failed = (outcome: string) => ({ status: 0, outcome });
const strip = (rs: Ended[]) => rs.map(({ status, outcome }) => ({ status, outcome }));

for (const { name } of engineDefinitions()) {
  describe(`${name} engine conformance`, () => {
    it('reads Content-Length, chunked, 204, HEAD and 1xx-then-final responses', async () => {
      const rs = await exchange(name, httpUrl, [
        request('GET', '/length'),
        request('GET', '/chunked'),
        request('GET', '/204'),
        request('HEAD', '/length'),
        request('HEAD', '/big'),
        request('GET', '/early-hints'),
        request('GET', '/503'),
      ]);
      assert.deepEqual(strip(rs), [ok(), ok(), ok(204), ok(), ok(), ok(), ok(503)]);
    });

    it('reads 3 MB bodies over many reads, by length and chunked, on one connection', async () => {
      const from = seen.length;
      const rs = await exchange(
        name,
        httpUrl,
        [request('GET', '/big'), request('GET', '/big-chunked'), request('GET', '/big')],
        { connections: 1 },
      );
      assert.deepEqual(strip(rs), [ok(), ok(), ok()]);
      const conns = new Set(seen.slice(from).map((s) => s.conn));
      assert.equal(conns.size, 1, 'kept the connection alive');
    });

    it('reads headers split across many reads, and bodies that end with the connection', async () => {
      const rs = await exchange(name, rawUrl, [
        request('GET', '/split-headers'),
        request('GET', '/until-close'),
        request('GET', '/http10'),
      ]);
      assert.deepEqual(strip(rs), [ok(), ok(), ok()]);
    });

    it('reconnects after Connection: close and reuses keep-alive connections otherwise', async () => {
      const from = seen.length;
      const rs = await exchange(
        name,
        httpUrl,
        [1, 2, 3, 4].map(() => request('GET', '/close')),
        {
          connections: 1,
          sequential: true,
        },
      );
      assert.deepEqual(strip(rs), [ok(), ok(), ok(), ok()]);
      assert.equal(new Set(seen.slice(from).map((s) => s.conn)).size, 4, 'one connection per response');
      const from2 = seen.length;
      const rs2 = await exchange(
        name,
        httpUrl,
        [1, 2, 3, 4].map(() => request('GET', '/length')),
        {
          connections: 1,
          sequential: true,
        },
      );
      assert.deepEqual(strip(rs2), [ok(), ok(), ok(), ok()]);
      assert.equal(new Set(seen.slice(from2).map((s) => s.conn)).size, 1, 'one connection for all');
    });

    it('opens a new connection when the server closed an idle one', async () => {
      const rs = await exchange(
        name,
        rawUrl,
        [1, 2, 3].map(() => request('GET', '/idle-close')),
        {
          connections: 1,
          sequential: true,
          gapMs: 100,
        },
      );
      assert.deepEqual(strip(rs), [ok(), ok(), ok()]);
    });

    it('sends pipelined requests again after a Connection: close response', async () => {
      const paths = ['/length', '/close', '/length', '/length', '/close', '/length'];
      const rs = await exchange(
        name,
        httpUrl,
        paths.map((p) => request('GET', p)),
        { connections: 1, pipelining: 3 },
      );
      assert.deepEqual(
        strip(rs),
        paths.map(() => ok()),
      );
    });

    it('pipelines GETs on one connection, answered in order', async () => {
      const from = seen.length;
      const paths = ['/length', '/chunked', '/204', '/length', '/503', '/length'];
      const rs = await exchange(
        name,
        httpUrl,
        paths.map((p) => request('GET', p)),
        { connections: 1, pipelining: 4 },
      );
      assert.deepEqual(strip(rs), [ok(), ok(), ok(204), ok(), ok(503), ok()]);
      assert.deepEqual(
        seen.slice(from).map((s) => s.path),
        paths,
      );
    });

    it('sends methods, headers and bodies as given (content-length, UTF-8)', async () => {
      const from = seen.length;
      const rs = await exchange(name, httpUrl, [
        request('POST', '/echo', 'k=été', { 'content-type': 'text/plain', 'x-user': 'ann' }),
        request('POST', '/echo'),
        request('PUT', '/echo', '{"v":1}'),
        request('DELETE', '/echo?x=1'),
      ]);
      assert.deepEqual(strip(rs), [ok(), ok(), ok(), ok()]);
      const s = seen.slice(from).sort((a, b) => a.method.localeCompare(b.method));
      const post = s.filter((x) => x.method === 'POST');
      const withBody = post.find((x) => x.body !== '');
      assert.equal(withBody?.body, 'k=été');
      assert.equal(withBody?.headers['content-length'], String(Buffer.byteLength('k=été')));
      assert.equal(withBody?.headers['x-user'], 'ann');
      assert.equal(withBody?.headers['content-type'], 'text/plain');
      assert.equal(withBody?.headers.host, new URL(httpUrl).host);
      assert.equal(post.find((x) => x.body === '')?.headers['content-length'], '0');
      assert.equal(s.find((x) => x.method === 'PUT')?.body, '{"v":1}');
      const del = s.find((x) => x.method === 'DELETE');
      assert.equal(del?.path, '/echo?x=1');
      assert.equal(del?.headers['content-length'], undefined);
    });

    it('classifies transport failures: reset, closed, timeout, refused, malformed', async () => {
      const rs = await exchange(
        name,
        httpUrl,
        [
          request('GET', '/reset-mid-body'),
          request('GET', '/close-mid-body'),
          request('GET', '/close-before-answer'),
          request('GET', '/hang'),
          request('GET', '/stall-body'),
        ],
        { connections: 5, timeoutMs: 300 },
      );
      assert.deepEqual(strip(rs), [
        failed('reset'),
        failed('reset'),
        failed('reset'),
        failed('timeout'),
        failed('timeout'),
      ]);
      const refused = await exchange(name, `http://127.0.0.1:${await closedPort()}`, [
        request('GET', '/'),
        request('GET', '/'),
        request('GET', '/'),
      ]);
      assert.deepEqual(strip(refused), [failed('refused'), failed('refused'), failed('refused')]);
      const bad = await exchange(name, rawUrl, [request('GET', '/garbage')]);
      assert.deepEqual(strip(bad), [failed('other')]);
    });

    it('times out within the timeout plus its sweep margin, not before', async () => {
      const t0 = performance.now();
      const rs = await exchange(name, httpUrl, [request('GET', '/hang')], { timeoutMs: 400 });
      const took = performance.now() - t0;
      assert.deepEqual(strip(rs), [failed('timeout')]);
      assert.ok(took >= 390, `timed out after ${took.toFixed(0)} ms`);
    });

    it('refuses what undici refuses: control characters in the path, bad header values', async () => {
      const rs = await exchange(name, httpUrl, [
        request('GET', '/a b'),
        request('GET', '/ok', undefined, { 'x-bad': 'a\r\nb' }),
        request('GET', '/length'),
      ]);
      assert.deepEqual(strip(rs), [failed('other'), failed('other'), ok()]);
    });
  });
}
