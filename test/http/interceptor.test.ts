/**
 * Chaos HTTP through real undici requests (`request`, `fetch`, Node's global `fetch`) against a real local
 * node:http server. Injected errors are compared with the errors undici raises when the same thing really
 * happens (the server closes, resets or cuts the connection), field by field.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Agent, errors, fetch, getGlobalDispatcher, interceptors, request } from 'undici';
import {
  chaosFetch,
  chaosInterceptor,
  chaosScope,
  controlOf,
  describeHttpEntry,
  disableChaos,
  enableChaos,
  httpFaults,
  InvalidOptionError,
  injectedFault,
  installChaos,
  Trace,
  traceOf,
} from '../../src/index.js';
import { closedPort, rejectionOf, STREAM_BODY, startServer, type TestServer } from './helpers.js';

let server: TestServer;
const closers: Array<() => Promise<void>> = [];
before(async () => {
  server = await startServer();
});
after(async () => {
  for (const close of closers) await close();
  await server.close();
});

/** A composed Agent with the chaos interceptor, closed after the file. */
function chaosAgent(options: Parameters<typeof chaosInterceptor>[0]) {
  const agent = new Agent();
  closers.push(() => agent.close());
  const interceptor = chaosInterceptor(options);
  return { dispatcher: agent.compose(interceptor), interceptor };
}

function chaosF(options: Parameters<typeof chaosFetch>[0]) {
  const f = chaosFetch(options);
  closers.push(() => f.close());
  return f;
}

describe('actions through undici', () => {
  test('status: 503 and 429 with Retry-After are answered without reaching the server', async () => {
    const f = chaosF({
      seed: 1,
      faults: [
        { path: '/busy', status: 503 },
        { path: '/limited', status: 429, retryAfter: 7, body: { error: 'slow down' } },
      ],
    });
    const busy = await f(`${server.base}/busy`);
    assert.equal(busy.status, 503);
    assert.equal(busy.statusText, 'Service Unavailable');
    assert.equal(await busy.text(), 'Service Unavailable');
    const limited = await f(`${server.base}/limited`);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '7');
    assert.deepEqual(await limited.json(), { error: 'slow down' });
    assert.equal(server.hitsOf('/busy'), 0);
    assert.equal(server.hitsOf('/limited'), 0);
    const ok = await f(`${server.base}/other`);
    assert.equal(await ok.text(), 'ok GET /other');
  });

  test('reset: the same SocketError undici raises when the server closes the connection', async () => {
    const { dispatcher } = chaosAgent({ seed: 1, faults: [{ method: 'POST', path: '/pay', reset: true }] });
    const injected = await rejectionOf(
      request(`${server.base}/pay`, { method: 'POST', body: '{}', dispatcher }),
    );
    const real = await rejectionOf(request(`${server.base}/real-close`, { dispatcher }));
    assert.ok(injected instanceof errors.SocketError);
    assert.ok(real instanceof errors.SocketError);
    for (const key of ['name', 'message', 'code'] as const) assert.equal(injected[key], real[key], key);
    assert.equal((injected.socket as { remotePort: number }).remotePort, server.port);
    assert.equal(server.hitsOf('/pay'), 0);
    assert.deepEqual(injectedFault(injected), { site: 'http POST /pay', index: 1, rule: 'rule-0', seed: 1 });
  });

  test("reset: fetch wraps it as TypeError 'fetch failed' with the SocketError as cause, like a real close", async () => {
    const f = chaosF({ seed: 1, faults: [{ path: '/pay', reset: true }] });
    const injected = await rejectionOf(f(`${server.base}/pay`, { method: 'POST' }));
    const real = await rejectionOf(f(`${server.base}/real-close`));
    assert.ok(injected instanceof TypeError);
    assert.equal(injected.message, real.message);
    const cause = injected.cause as Record<string, unknown>;
    const realCause = real.cause as Record<string, unknown>;
    assert.equal(cause.code, 'UND_ERR_SOCKET');
    assert.equal(cause.message, realCause.message);
    assert.equal(cause.name, realCause.name);
    assert.equal(describeHttpEntry(f.trace.entries[0]!), 'http POST /pay #1 reset (rule rule-0)');
  });

  test("reset 'rst': read ECONNRESET, as a real TCP reset gives", async () => {
    const { dispatcher } = chaosAgent({ seed: 1, faults: [{ path: '/pay', reset: 'rst' }] });
    const injected = await rejectionOf(request(`${server.base}/pay`, { dispatcher }));
    const real = await rejectionOf(request(`${server.base}/real-rst`, { dispatcher }));
    for (const key of ['message', 'code', 'errno', 'syscall'] as const)
      assert.equal(injected[key], real[key], key);
  });

  test('truncate: part of the real body, then the error a connection cut mid-body gives', async () => {
    const { dispatcher } = chaosAgent({ seed: 1, faults: [{ path: '/stream', truncate: 15 }] });
    const res = await request(`${server.base}/stream`, { dispatcher });
    assert.equal(res.statusCode, 200);
    let received = '';
    const err = await rejectionOf(
      (async () => {
        for await (const chunk of res.body) received += String(chunk);
      })(),
    );
    assert.equal(received, STREAM_BODY.slice(0, 15));
    const realRes = await request(`${server.base}/real-cut`, { dispatcher });
    const real = await rejectionOf(realRes.body.text());
    for (const key of ['name', 'message', 'code'] as const) assert.equal(err[key], real[key], key);
    assert.equal(server.hitsOf('/stream'), 1, 'a truncated response is a real response');

    const f = chaosF({ seed: 1, faults: [{ path: '/stream', truncate: 15 }] });
    const fres = await f(`${server.base}/stream`);
    const ferr = await rejectionOf(fres.text());
    assert.ok(ferr instanceof TypeError);
    assert.equal(ferr.message, 'terminated');
    assert.equal((ferr.cause as { code: string }).code, 'UND_ERR_SOCKET');
  });

  test('truncate an injected response; 0 bytes cuts right after the headers', async () => {
    const { dispatcher } = chaosAgent({
      seed: 1,
      faults: [
        { path: '/a', status: 200, body: 'hello world', truncate: 5 },
        { path: '/b', truncate: 0 },
      ],
    });
    const a = await request(`${server.base}/a`, { dispatcher });
    let got = '';
    const errA = await rejectionOf(
      (async () => {
        for await (const c of a.body) got += String(c);
      })(),
    );
    assert.equal(got, 'hello');
    assert.equal(errA.code, 'UND_ERR_SOCKET');
    const b = await request(`${server.base}/b`, { dispatcher });
    assert.equal(b.statusCode, 200);
    assert.equal((await rejectionOf(b.body.text())).code, 'UND_ERR_SOCKET');
  });

  test("hang: only the caller's abort ends it; the server never sees the request", async () => {
    const f = chaosF({ seed: 1, faults: [{ path: '/slow', hang: true }] });
    const err = await rejectionOf(f(`${server.base}/slow`, { signal: AbortSignal.timeout(50) }));
    assert.equal(err.name, 'TimeoutError');
    assert.equal(server.hitsOf('/slow'), 0);
    assert.equal(f.trace.entries[0]!.action, 'hang');
  });

  test("hang: the request's headersTimeout fires as undici's HeadersTimeoutError; timeoutMs closes like a peer", async () => {
    const { dispatcher } = chaosAgent({
      seed: 1,
      faults: [
        { path: '/slow', hang: true },
        { path: '/gives-up', hang: { timeoutMs: 30 } },
      ],
    });
    const timeout = await rejectionOf(request(`${server.base}/slow`, { dispatcher, headersTimeout: 40 }));
    assert.ok(timeout instanceof errors.HeadersTimeoutError);
    assert.equal(timeout.code, 'UND_ERR_HEADERS_TIMEOUT');
    const closed = await rejectionOf(request(`${server.base}/gives-up`, { dispatcher }));
    assert.equal(closed.code, 'UND_ERR_SOCKET');
  });

  test('delay: the real answer, no sooner than the delay (timers never fire early)', async () => {
    const f = chaosF({ seed: 1, faults: [{ path: '/d', delay: 80 }] });
    const t0 = performance.now();
    const res = await f(`${server.base}/d`);
    assert.equal(await res.text(), 'ok GET /d');
    assert.ok(performance.now() - t0 >= 75, `took ${performance.now() - t0} ms`);
    assert.deepEqual(f.trace.entries[0]!.detail, { ms: 80 });
  });

  test('delay: an abort during the delay ends the request at once and it never reaches the server', async () => {
    const f = chaosF({ seed: 1, faults: [{ path: '/never', delay: 60_000 }] });
    const ac = new AbortController();
    const pending = f(`${server.base}/never`, { signal: ac.signal });
    setImmediate(() => ac.abort());
    const err = await rejectionOf(pending);
    assert.equal(err.name, 'AbortError');
    assert.equal(server.hitsOf('/never'), 0);
  });

  test('delay then status: slow, then fail', async () => {
    const f = chaosF({ seed: 1, faults: [{ path: '/x', delay: 30, status: 502 }] });
    const t0 = performance.now();
    const res = await f(`${server.base}/x`);
    assert.equal(res.status, 502);
    assert.ok(performance.now() - t0 >= 25);
    assert.equal(
      describeHttpEntry(f.trace.entries[0]!),
      'http GET /x #1 status 502 after 30 ms (rule rule-0)',
    );
  });

  test('bodyDelay: the whole real body, each chunk held back', async () => {
    const { dispatcher, interceptor } = chaosAgent({ seed: 1, faults: [{ path: '/stream', bodyDelay: 30 }] });
    const t0 = performance.now();
    const res = await request(`${server.base}/stream`, { dispatcher });
    const chunks: string[] = [];
    for await (const c of res.body) chunks.push(String(c));
    assert.equal(chunks.join(''), STREAM_BODY);
    // At least one chunk, each delayed 30 ms: a lower bound only.
    assert.ok(
      performance.now() - t0 >= 30 * chunks.length - 5,
      `${chunks.length} chunks in ${performance.now() - t0} ms`,
    );
    assert.equal(interceptor.trace.entries[0]!.action, 'slow-body');
  });

  test('error: a connect error shaped exactly like a real refused connection', async () => {
    const port = await closedPort();
    const { dispatcher } = chaosAgent({ seed: 1, faults: [{ path: '/x', error: 'ECONNREFUSED' }] });
    const injected = await rejectionOf(request(`${server.base}/x`, { dispatcher }));
    const real = await rejectionOf(request(`http://127.0.0.1:${port}/x`, { dispatcher }));
    for (const key of ['code', 'errno', 'syscall', 'address'] as const)
      assert.equal(injected[key], real[key], key);
    assert.equal(injected.message, `connect ECONNREFUSED 127.0.0.1:${server.port}`);
  });

  test('selectors: method, origin glob and path glob', async () => {
    const f = chaosF({
      seed: 1,
      faults: [
        { method: ['post', 'PUT'], origin: `http://127.0.0.1:${server.port}`, path: '/api/*', status: 500 },
      ],
    });
    assert.equal((await f(`${server.base}/api/pay`, { method: 'POST' })).status, 500);
    assert.equal((await f(`${server.base}/api/pay?x=1`, { method: 'PUT' })).status, 500);
    assert.equal((await f(`${server.base}/api/pay`)).status, 200);
    assert.equal((await f(`${server.base}/other`, { method: 'POST' })).status, 200);
    const other = chaosF({ seed: 1, faults: [{ origin: 'http://example.invalid:*', status: 500 }] });
    assert.equal((await other(`${server.base}/api/pay`)).status, 200);
    const re = chaosF({
      seed: 1,
      faults: [{ path: /^\/v\d+\/x$/, status: 500, when: (r) => r.headers['x-t'] === '1' }],
    });
    assert.equal((await re(`${server.base}/v2/x`, { headers: { 'x-t': '1' } })).status, 500);
    assert.equal((await re(`${server.base}/v2/x`)).status, 200);
    assert.deepEqual(f.trace.summary(), {
      'http GET /api/pay': { calls: 1, faults: 0 },
      'http POST /api/pay': { calls: 1, faults: 1 },
      'http POST /other': { calls: 1, faults: 0 },
      'http PUT /api/pay': { calls: 1, faults: 1 },
    });
  });

  test("composes with undici's own interceptors: retry recovers from injected 503s and resets", async () => {
    const agent = new Agent();
    closers.push(() => agent.close());
    const chaos = chaosInterceptor({
      seed: 1,
      faults: [
        { path: '/r', calls: [1], status: 503 },
        { path: '/r', calls: [2], reset: true },
      ],
    });
    // compose(a, b): b wraps a, so retry sees what chaos does.
    const dispatcher = agent.compose(
      chaos,
      interceptors.retry({ minTimeout: 5, maxTimeout: 10, maxRetries: 3 }),
    );
    const res = await request(`${server.base}/r`, { dispatcher });
    assert.equal(await res.body.text(), 'ok GET /r');
    assert.deepEqual(
      chaos.trace.entries.map((e) => [e.index, e.action]),
      [
        [1, 'status'],
        [2, 'reset'],
      ],
    );
    assert.equal(server.hitsOf('/r'), 1);
  });
});

describe('seeded, traced, replayable', () => {
  const paths = ['/a', '/b', '/c'];
  /** 300 requests over 3 paths in a seeded shuffled order, 30 at a time. */
  async function run(seed: number, order: number, faults = [{ rate: 0.3, status: [500, 503] as number[] }]) {
    const { dispatcher, interceptor } = chaosAgent({ seed, faults });
    const list = Array.from({ length: 300 }, (_, i) => paths[i % 3]!);
    let x = order;
    for (let i = list.length - 1; i > 0; i--) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      const j = x % (i + 1);
      [list[i], list[j]] = [list[j]!, list[i]!];
    }
    const statuses = new Map<string, number[]>();
    for (let i = 0; i < list.length; i += 30) {
      await Promise.all(
        list.slice(i, i + 30).map(async (p) => {
          const res = await request(`${server.base}${p}`, { dispatcher });
          await res.body.dump();
          statuses.set(p, [...(statuses.get(p) ?? []), res.statusCode]);
        }),
      );
    }
    return { trace: interceptor.trace, statuses };
  }

  test('same seed ⇒ same trace, whatever order the paths were interleaved in; another seed differs', async () => {
    const one = await run(42, 1);
    const two = await run(42, 2);
    assert.deepEqual(one.trace.toJSON(), two.trace.toJSON());
    const faults = one.trace.size;
    assert.ok(faults > 50 && faults < 130, `rate 0.3 of 300 gave ${faults}`);
    const other = await run(43, 1);
    assert.notDeepEqual(other.trace.toJSON().entries, one.trace.toJSON().entries);
  });

  test('replay: a recorded trace gives exactly the same faults at the same requests, with no rules', async () => {
    const recorded = await run(7, 1);
    const json = JSON.parse(JSON.stringify(recorded.trace));
    const { dispatcher, interceptor } = chaosAgent({ seed: 999, replay: json });
    for (const p of paths) {
      for (let i = 0; i < 100; i++) {
        const res = await request(`${server.base}${p}`, { dispatcher });
        await res.body.dump();
      }
    }
    assert.deepEqual(interceptor.trace.toJSON().entries, recorded.trace.toJSON().entries);
  });

  test('replay rebuilds every action from the trace alone', async () => {
    const f = chaosF({
      seed: 3,
      faults: [
        { path: '/s', status: 429, retryAfter: 1, headers: { 'x-a': 'b' } },
        { path: '/r', reset: 'rst' },
        { path: '/t', truncate: 3 },
        { path: '/e', error: 'EAI_AGAIN' },
      ],
    });
    const outcome = async (fetchFn: typeof f, p: string) => {
      try {
        const res = await fetchFn(`${server.base}${p}`);
        return `${res.status} ${res.headers.get('retry-after')} ${res.headers.get('x-a')} ${await res.text()}`;
      } catch (err) {
        const e = err as { message: string; cause?: { code?: string; message?: string } };
        return `${e.message} ${e.cause?.code} ${e.cause?.message}`;
      }
    };
    const first = [];
    for (const p of ['/s', '/r', '/t', '/e']) first.push(await outcome(f, p));
    const replayed = chaosF({ seed: 0, replay: Trace.fromJSON(JSON.stringify(f.trace)) });
    const second = [];
    for (const p of ['/s', '/r', '/t', '/e']) second.push(await outcome(replayed, p));
    assert.deepEqual(second, first);
    assert.deepEqual(replayed.trace.toJSON().entries, f.trace.toJSON().entries);
  });

  test('first 2 of every 3 is exact per site; onFault and counters see every fault', async () => {
    const seen: string[] = [];
    const f = chaosF({
      seed: 5,
      faults: [{ path: '/k', first: 2, every: 3, status: 503 }],
      onFault: (e) => seen.push(`${e.index}`),
    });
    const statuses = [];
    for (let i = 0; i < 9; i++) statuses.push((await f(`${server.base}/k`)).status);
    assert.deepEqual(statuses, [503, 503, 200, 503, 503, 200, 503, 503, 200]);
    assert.deepEqual(seen, ['1', '2', '4', '5', '7', '8']);
    assert.deepEqual(f.control.counters(), { 'http GET /k': { calls: 9, fires: 6 } });
  });
});

describe('scopes and run-time control', () => {
  test('two scopes in parallel each get their own faults and trace; the client keeps its own', async () => {
    const f = chaosF({ seed: 1 });
    const a = chaosScope({ seed: 1, faults: httpFaults([{ path: '/x', status: 503 }]) });
    const b = chaosScope({ seed: 1, faults: [{ site: 'http GET /x', error: 'ECONNRESET' }] });
    const run = (scope: typeof a) =>
      scope.run(async () => {
        const out: string[] = [];
        for (let i = 0; i < 3; i++) {
          await new Promise((r) => setImmediate(r));
          try {
            out.push(String((await f(`${server.base}/x`)).status));
          } catch (err) {
            out.push(String((err as { cause: { code: string } }).cause.code));
          }
        }
        return out;
      });
    const [ra, rb, plain] = await Promise.all([run(a), run(b), f(`${server.base}/x`).then((r) => r.status)]);
    assert.deepEqual(ra, ['503', '503', '503']);
    assert.deepEqual(rb, ['ECONNRESET', 'ECONNRESET', 'ECONNRESET']);
    assert.equal(plain, 200);
    assert.deepEqual(a.trace.summary(), { 'http GET /x': { calls: 3, faults: 3 } });
    assert.deepEqual(
      b.trace.entries.map((e) => e.action),
      ['reset', 'reset', 'reset'],
    );
    assert.equal(f.trace.size, 0);
    assert.deepEqual(f.trace.summary(), { 'http GET /x': { calls: 1, faults: 0 } });
  });

  test('enable/disable, setRate, setRules, the global off switch, traceOf/controlOf', async () => {
    const f = chaosF({ seed: 1, faults: [{ id: 'busy', path: '/c', status: 503 }] });
    assert.equal(traceOf(f), f.trace);
    const status = async () => (await f(`${server.base}/c`)).status;
    assert.equal(await status(), 503);
    f.control.disable();
    assert.equal(await status(), 200);
    f.control.enable();
    f.control.setRate('busy', 0);
    assert.equal(await status(), 200);
    f.control.setRate('busy', 1);
    disableChaos();
    try {
      assert.equal(await status(), 200);
    } finally {
      enableChaos();
    }
    controlOf(f).setRuleEnabled('busy', false);
    assert.equal(await status(), 200);
    f.control.setRules([{ path: '/c', status: 502 }]);
    assert.equal(await status(), 502);
    assert.throws(() => f.control.setRules([{ path: '/c', status: 42 }]), /faults\[0\]\.status/);
    assert.equal(await status(), 502, 'a bad rule set changes nothing');
    assert.deepEqual(f.control.counters(), { 'http GET /c': { calls: 7, fires: 3 } });
  });

  test('installChaos reaches the global fetch and undici.request; uninstall restores the previous dispatcher', async () => {
    const before = getGlobalDispatcher();
    const chaos = installChaos({ seed: 1, faults: [{ path: '/g', status: 503 }] });
    try {
      assert.notEqual(getGlobalDispatcher(), before);
      assert.equal((await globalThis.fetch(`${server.base}/g`)).status, 503);
      assert.equal((await fetch(`${server.base}/g`)).status, 503);
      assert.equal((await request(`${server.base}/g`)).statusCode, 503);
      assert.deepEqual(chaos.trace.summary(), { 'http GET /g': { calls: 3, faults: 3 } });
    } finally {
      chaos.uninstall();
    }
    assert.equal(getGlobalDispatcher(), before);
    const res = await globalThis.fetch(`${server.base}/g`);
    assert.equal(await res.text(), 'ok GET /g');
    assert.equal(chaos.trace.summary()['http GET /g']!.calls, 3, 'an uninstalled client no longer counts');
    chaos.uninstall();
    assert.equal(getGlobalDispatcher(), before);
  });
});

describe('bad options name the field', () => {
  const cases: Array<[string, () => unknown, string]> = [
    ['rate', () => chaosInterceptor({ faults: [{ rate: 1.5, status: 503 }] }), 'faults[0].rate'],
    ['status', () => chaosInterceptor({ faults: [{ status: 700 }] }), 'faults[0].status'],
    ['status list', () => chaosInterceptor({ faults: [{ status: [503, 99] }] }), 'faults[0].status[1]'],
    ['reset', () => chaosInterceptor({ faults: [{ reset: 'fin' as never }] }), 'faults[0].reset'],
    ['two outcomes', () => chaosInterceptor({ faults: [{ status: 503, reset: true }] }), 'faults[0].reset'],
    ['unknown key', () => chaosInterceptor({ faults: [{ stauts: 503 } as never] }), 'faults[0].stauts'],
    ['no action', () => chaosInterceptor({ faults: [{ path: '/x' }] }), 'faults[0]'],
    ['method', () => chaosInterceptor({ faults: [{ method: 'GE T', status: 503 }] }), 'faults[0].method'],
    ['truncate', () => chaosInterceptor({ faults: [{ truncate: -1 }] }), 'faults[0].truncate'],
    ['bodyDelay', () => chaosInterceptor({ faults: [{ bodyDelay: [5, 1] }] }), 'faults[0].bodyDelay'],
    [
      'retryAfter alone',
      () => chaosInterceptor({ faults: [{ retryAfter: 1, reset: true }] }),
      'faults[0].retryAfter',
    ],
    ['hang + delay', () => chaosInterceptor({ faults: [{ hang: true, delay: 5 }] }), 'faults[0].hang'],
    ['error', () => chaosInterceptor({ faults: [{ error: 'ENOPE' }] }), 'faults[0].error'],
    ['when', () => chaosInterceptor({ faults: [{ when: 1 as never, status: 503 }] }), 'faults[0].when'],
    ['name', () => chaosInterceptor({ name: 'my client' }), 'name'],
    ['faults', () => chaosInterceptor({ faults: {} as never }), 'faults'],
    ['dispatcher', () => chaosFetch({ dispatcher: {} as never }), 'dispatcher'],
  ];
  for (const [what, make, field] of cases) {
    test(what, () => {
      assert.throws(make, (err: unknown) => {
        assert.ok(err instanceof InvalidOptionError, String(err));
        assert.equal(err.field, field);
        assert.ok(err.message.startsWith(`${field}: `), err.message);
        return true;
      });
    });
  }
});
