/**
 * Chaos HTTP for node:http clients: plain `http.request` against a real local server, through the ClientRequest
 * interceptor. Injected errors are compared with what node:http reports when the server really closes, resets
 * or cuts the connection.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { chaosScope, httpFaults, injectedFault, installHttpChaos, traceOf } from '../../src/index.js';
import { STREAM_BODY, startServer, type TestServer } from './helpers.js';

let server: TestServer;
let chaos: ReturnType<typeof installHttpChaos>;
before(async () => {
  server = await startServer();
  chaos = installHttpChaos({
    seed: 1,
    faults: [
      { path: '/busy', status: 503, retryAfter: 2 },
      { path: '/close', reset: true },
      { path: '/rst', reset: 'rst' },
      { path: '/stream', method: 'GET', truncate: 15 },
      { path: '/echo', bodyDelay: 20 },
      { path: '/hang', hang: true },
      { path: '/gives-up', hang: { timeoutMs: 30 } },
      { path: '/d', delay: 60 },
    ],
  });
});
after(async () => {
  await chaos.uninstall();
  await server.close();
});

interface Result {
  status?: number;
  headers?: http.IncomingHttpHeaders;
  body: string;
  error?: NodeJS.ErrnoException;
  responseError?: NodeJS.ErrnoException;
  ms: number;
}

function call(path: string, options: http.RequestOptions = {}, body?: string): Promise<Result> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const out: Result = { body: '', ms: 0 };
    const done = () => {
      out.ms = performance.now() - t0;
      resolve(out);
    };
    const req = http.request({ host: '127.0.0.1', port: server.port, path, ...options }, (res) => {
      out.status = res.statusCode;
      out.headers = res.headers;
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        out.body += c;
      });
      res.on('error', (err) => {
        out.responseError = err;
        done();
      });
      res.on('end', done);
    });
    req.on('error', (err) => {
      out.error = err;
      done();
    });
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })),
    );
    req.end(body);
  });
}

describe('node:http', () => {
  test('untouched requests reach the real server', async () => {
    const r = await call('/plain');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'ok GET /plain');
    assert.equal(server.hitsOf('/plain'), 1);
  });

  test('status: 503 with Retry-After, answered without reaching the server', async () => {
    const r = await call('/busy');
    assert.equal(r.status, 503);
    assert.equal(r.headers?.['retry-after'], '2');
    assert.equal(r.body, 'Service Unavailable');
    assert.equal(server.hitsOf('/busy'), 0);
  });

  test("reset: 'socket hang up' ECONNRESET, as when the real server closes the connection", async () => {
    const injected = await call('/close', { method: 'POST' }, '{}');
    // The real close goes around the interceptor: no rule picks /real-close, so it reaches the server.
    const real = await call('/real-close');
    assert.equal(injected.error?.message, real.error?.message);
    assert.equal(injected.error?.code, real.error?.code);
    assert.equal(injected.error?.code, 'ECONNRESET');
    assert.deepEqual(injectedFault(injected.error), {
      site: 'http POST /close',
      index: 1,
      rule: 'rule-1',
      seed: 1,
    });
  });

  test("reset 'rst': read ECONNRESET, as a real TCP reset gives", async () => {
    const injected = await call('/rst');
    const real = await call('/real-rst');
    for (const key of ['message', 'code', 'errno', 'syscall'] as const)
      assert.equal(injected.error?.[key], real.error?.[key], key);
  });

  test("truncate: the first bytes of the real body, then 'aborted' as on a real cut", async () => {
    const injected = await call('/stream');
    const real = await call('/real-cut');
    assert.equal(injected.status, 200);
    assert.equal(injected.body, STREAM_BODY.slice(0, 15));
    assert.equal(injected.responseError?.message, real.responseError?.message);
    assert.equal(injected.responseError?.code, real.responseError?.code);
    assert.equal(server.hitsOf('/stream'), 1);
  });

  test('bodyDelay: a real POST echoed back whole, each chunk held back', async () => {
    const payload = 'x'.repeat(1000);
    const r = await call('/echo', { method: 'POST', headers: { 'content-type': 'text/plain' } }, payload);
    assert.equal(r.status, 200);
    assert.equal(r.headers?.['x-method'], 'POST');
    assert.equal(r.body, payload);
    assert.ok(r.ms >= 15, `took ${r.ms} ms`);
  });

  test("hang: until the caller's own timeout; timeoutMs closes like a peer giving up", async () => {
    const hung = await call('/hang', { timeout: 50 });
    assert.equal(hung.error?.code, 'CLIENT_TIMEOUT');
    const signal = await call('/hang', { signal: AbortSignal.timeout(40) });
    assert.equal(signal.error?.name, 'AbortError');
    const gaveUp = await call('/gives-up');
    assert.equal(gaveUp.error?.message, 'socket hang up');
    assert.equal(server.hitsOf('/hang') + server.hitsOf('/gives-up'), 0);
  });

  test('delay: then the real answer', async () => {
    const r = await call('/d');
    assert.equal(r.body, 'ok GET /d');
    assert.ok(r.ms >= 55, `took ${r.ms} ms`);
  });

  test('scoped: a scope’s HTTP rules apply to node:http requests made inside it only', async () => {
    const scope = chaosScope({ seed: 9, faults: httpFaults([{ path: '/scoped', status: 502 }]) });
    const [inside, outside] = await Promise.all([scope.run(() => call('/scoped')), call('/scoped')]);
    assert.equal(inside.status, 502);
    assert.equal(outside.status, 200);
    assert.deepEqual(scope.trace.summary(), { 'http GET /scoped': { calls: 1, faults: 1 } });
  });

  test('trace and uninstall: the trace explains every fault; after uninstall nothing is intercepted', async () => {
    assert.equal(traceOf(chaos), chaos.trace);
    const actions = Object.fromEntries(chaos.trace.entries.map((e) => [e.site, e.action]));
    assert.equal(actions['http GET /busy'], 'status');
    assert.equal(actions['http POST /close'], 'reset');
    assert.equal(actions['http GET /stream'], 'truncate');
    assert.equal(actions['http POST /echo'], 'slow-body');
    const separate = installHttpChaos({ seed: 2, faults: [{ path: '/later', status: 500 }] });
    assert.equal((await call('/later')).status, 500);
    await separate.uninstall();
    const r = await call('/later');
    assert.equal(r.status, 200, 'the uninstalled layer no longer answers');
    assert.equal((await call('/busy')).status, 503, 'the other installation still does');
  });
});
