/**
 * The control endpoint over real HTTP: a child process (test/fixtures/failpoint/serve.ts) started with
 * FAULTLINE_FAILPOINTS_ADDR, driven with plain node:http requests while it hits its failpoints.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FaultlineError } from '../../src/core/errors.js';
import { startFailpointServer } from '../../src/failpoint/index.js';
import { type Fixture, http, jsonLine, startFixture } from './helpers.js';

interface HitAnswer {
  tag: string;
  name: string;
  value?: unknown;
  error?: string;
}

let tags = 0;
/** Hits `name` in the child; resolves with what the hit did (once it has settled). */
function hit(child: Fixture, name: string): { tag: string; done: Promise<HitAnswer> } {
  const tag = `t${++tags}`;
  child.send(`hit ${name} ${tag}`);
  const done = child.line((l) => l.includes(`"tag":"${tag}"`)).then((l) => JSON.parse(l) as HitAnswer);
  return { tag, done };
}

describe('control endpoint (no token, loopback)', () => {
  let child: Fixture;
  let url: string;
  before(async () => {
    child = startFixture('serve', { FAULTLINE_FAILPOINTS_ADDR: '127.0.0.1:0', FAULTLINE_SEED: '5' });
    url = await child.endpoint();
    await jsonLine(child, 'ready');
  });
  after(() => child.kill());

  test('GET /failpoints lists declared failpoints, and reached ones once hit', async () => {
    let res = await http('GET', `${url}/failpoints`);
    assert.equal(res.status, 200);
    assert.equal(res.json.seed, 5);
    assert.equal(res.json.disabled, false);
    assert.deepEqual(
      res.json.failpoints.map((f: { name: string }) => f.name),
      ['demo.declared'],
    );
    assert.deepEqual((await hit(child, 'demo.reached').done).value, null);
    res = await http('GET', `${url}/failpoints`);
    assert.deepEqual(res.json.failpoints[1], {
      name: 'demo.reached',
      declared: false,
      reached: true,
      term: null,
      hits: 1,
      fires: 0,
      waiters: 0,
    });
  });

  test('PUT sets a term the running process then follows; GET shows hits and fires; DELETE unsets', async () => {
    const put = await http('PUT', `${url}/failpoints/demo.reached`, { body: '2*return("x")->off' });
    assert.equal(put.status, 200);
    assert.equal(put.json.failpoint.term, '2*return("x")->off');
    assert.equal(put.json.warning, undefined);
    const values = [];
    for (let i = 0; i < 3; i++) values.push((await hit(child, 'demo.reached').done).value);
    assert.deepEqual(values, ['x', 'x', null]);
    const one = await http('GET', `${url}/failpoints/demo.reached`);
    assert.deepEqual([one.json.failpoint.hits, one.json.failpoint.fires], [3, 2]);

    const json = await http('PUT', `${url}/failpoints/demo.reached`, {
      body: JSON.stringify({ term: 'throw("via json")' }),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(json.status, 200);
    assert.equal((await hit(child, 'demo.reached').done).error, 'via json');

    const del = await http('DELETE', `${url}/failpoints/demo.reached`);
    assert.equal(del.status, 200);
    assert.equal(del.json.unset, true);
    assert.equal(del.json.failpoint.term, null);
    assert.equal((await hit(child, 'demo.reached').done).value, null);
  });

  test('a bad term is a 400 naming the column and what was expected', async () => {
    const res = await http('PUT', `${url}/failpoints/demo.declared`, { body: '50%x' });
    assert.equal(res.status, 400);
    assert.equal(res.json.error.code, 'FAULTLINE_FAILPOINT_PARSE');
    assert.equal(res.json.error.column, 4);
    assert.match(res.json.error.expected, /an action/);
    assert.match(res.json.error.message, /at column 4: expected an action/);
  });

  test('an unknown name is a 404, unless allowUnknown, which sets it with a warning', async () => {
    const res = await http('PUT', `${url}/failpoints/demo.typo`, { body: 'throw' });
    assert.equal(res.status, 404);
    assert.equal(res.json.error.code, 'FAULTLINE_FAILPOINT_UNKNOWN');
    assert.equal((await http('DELETE', `${url}/failpoints/demo.typo`)).status, 404);
    assert.equal((await http('POST', `${url}/failpoints/demo.typo/release`)).status, 404);
    assert.equal((await http('GET', `${url}/failpoints/demo.typo/waiters`)).status, 404);
    const allowed = await http('PUT', `${url}/failpoints/demo.later?allowUnknown=1`, { body: '1*return(7)' });
    assert.equal(allowed.status, 200);
    assert.match(allowed.json.warning, /has not been reached or declared yet/);
    assert.equal((await hit(child, 'demo.later').done).value, 7);
  });

  test('pause, waiters and release: callers held in the child are released in the order asked', async () => {
    assert.equal((await http('PUT', `${url}/failpoints/demo.declared`, { body: 'pause' })).status, 200);
    const first = hit(child, 'demo.declared');
    const second = hit(child, 'demo.declared');
    const third = hit(child, 'demo.declared');
    const waiting = await http('GET', `${url}/failpoints/demo.declared/waiters?min=3&timeout=10000`);
    assert.equal(waiting.status, 200);
    const ws = waiting.json.waiters as { id: number; ctx: { tag: string } }[];
    assert.deepEqual(
      ws.map((w) => w.ctx.tag),
      [first.tag, second.tag, third.tag],
    );

    const order: string[] = [];
    for (const h of [first, second, third]) void h.done.then((a) => order.push(a.tag));
    const byId = await http('POST', `${url}/failpoints/demo.declared/release`, {
      body: JSON.stringify({ id: ws[1]!.id }),
    });
    assert.deepEqual(byId.json, { released: 1, waiters: 2 });
    await second.done;
    const one = await http('POST', `${url}/failpoints/demo.declared/release?count=1`);
    assert.deepEqual(one.json, { released: 1, waiters: 1 });
    await first.done;
    assert.deepEqual(order, [second.tag, first.tag]);
    const rest = await http('POST', `${url}/failpoints/demo.declared/release`);
    assert.deepEqual(rest.json, { released: 1, waiters: 0 });
    await third.done;

    const timedOut = await http('GET', `${url}/failpoints/demo.declared/waiters?min=1&timeout=50`);
    assert.equal(timedOut.status, 408);
    assert.equal((await http('DELETE', `${url}/failpoints/demo.declared`)).status, 200);
  });

  test('wrong methods, unknown routes and bad parameters are JSON errors with status codes', async () => {
    const m = await http('POST', `${url}/failpoints`);
    assert.equal(m.status, 405);
    // PUT /failpoints is gofail's list form (test/failpoint/gofail-shape.test.ts); other paths are gofail's /NAME
    assert.equal(m.headers.allow, 'GET, PUT');
    const unknown = await http('GET', `${url}/failpoints/demo.declared/waiters/more`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error.code, 'FAULTLINE_NOT_FOUND');
    const bad = await http('POST', `${url}/failpoints/demo.declared/release?count=-1`);
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'FAULTLINE_BAD_REQUEST');
  });

  test('without a token: a non-loopback Host (DNS rebinding) and browser Origins are refused', async () => {
    const host = await http('GET', `${url}/failpoints`, { headers: { host: 'attacker.example:80' } });
    assert.equal(host.status, 403);
    assert.equal(host.json.error.code, 'FAULTLINE_FORBIDDEN_HOST');
    const origin = await http('PUT', `${url}/failpoints/demo.declared`, {
      body: 'throw',
      headers: { origin: 'http://attacker.example' },
    });
    assert.equal(origin.status, 403);
    assert.equal(origin.json.error.code, 'FAULTLINE_FORBIDDEN_ORIGIN');
    assert.equal((await http('GET', `${url}/failpoints/demo.declared`)).json.failpoint.term, null);
  });
});

describe('control endpoint with a token', () => {
  const token = 'correct-horse-battery-staple';
  let child: Fixture;
  let url: string;
  before(async () => {
    child = startFixture('serve', {
      FAULTLINE_FAILPOINTS_ADDR: '127.0.0.1:0',
      FAULTLINE_FAILPOINTS_TOKEN: token,
    });
    url = await child.endpoint();
  });
  after(() => child.kill());

  test('a missing or wrong token is a 401; the right one is let in', async () => {
    const missing = await http('GET', `${url}/failpoints`);
    assert.equal(missing.status, 401);
    assert.equal(missing.json.error.code, 'FAULTLINE_UNAUTHORIZED');
    assert.match(String(missing.headers['www-authenticate']), /^Bearer/);
    const wrong = await http('PUT', `${url}/failpoints/demo.declared`, {
      body: 'throw',
      headers: { authorization: 'Bearer correct-horse-battery-stapl' },
    });
    assert.equal(wrong.status, 401);
    const right = await http('PUT', `${url}/failpoints/demo.declared`, {
      body: 'throw',
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(right.status, 200);
    assert.equal(right.json.failpoint.term, 'throw');
  });
});

describe('the endpoint refuses to start where it would be unsafe', () => {
  test('a non-loopback address without a token: the child says so and listens on nothing', async () => {
    const child = startFixture('serve', { FAULTLINE_FAILPOINTS_ADDR: '0.0.0.0:0' });
    try {
      const m = await child.stderrMatch(/failpoint endpoint not started: (.*)/);
      assert.match(
        m[1]!,
        /refusing to start the failpoint endpoint on 0\.0\.0\.0: a non-loopback address needs a token/,
      );
      assert.doesNotMatch(child.stderr(), /listening on/);
    } finally {
      child.kill();
    }
  });

  test('NODE_ENV=production without FAULTLINE_ALLOW_PRODUCTION=1', async () => {
    const child = startFixture('serve', { FAULTLINE_FAILPOINTS_ADDR: '127.0.0.1:0', NODE_ENV: 'production' });
    try {
      const m = await child.stderrMatch(/failpoint endpoint not started: (.*)/);
      assert.match(m[1]!, /NODE_ENV=production; set FAULTLINE_ALLOW_PRODUCTION=1/);
    } finally {
      child.kill();
    }
  });

  test('in process: startFailpointServer refuses non-loopback without a token and short tokens', async () => {
    await assert.rejects(
      startFailpointServer({ host: '0.0.0.0', token: '' }),
      (err: unknown) => err instanceof FaultlineError && err.code === 'FAULTLINE_FAILPOINTS_INSECURE',
    );
    await assert.rejects(startFailpointServer({ token: 'short' }), /token: must be at least 16 characters/);
    await assert.rejects(startFailpointServer({ address: 'nonsense' }), /expected host:port/);
  });

  test('in process: with a token it binds a non-loopback address and requires the token', async () => {
    const token = 'a-token-of-sixteen-plus';
    const server = await startFailpointServer({ host: '0.0.0.0', token });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      assert.equal((await http('GET', `${base}/failpoints`)).status, 401);
      const ok = await http('GET', `${base}/failpoints`, {
        headers: { authorization: `Bearer ${token}`, host: 'some.host.example' },
      });
      assert.equal(ok.status, 200);
    } finally {
      await server.close();
    }
  });
});

describe('the endpoint and the life of the process', () => {
  test('it does not keep a finished process alive (callers held at a pause do: see ordering.test.ts)', async () => {
    const child = startFixture('hits', {
      FAULTLINE_FAILPOINTS_ADDR: '127.0.0.1:0',
      FIXTURE_POINTS: 'a',
      FIXTURE_HITS: '1',
    });
    await child.endpoint();
    const { code } = await child.exited;
    assert.equal(code, 0);
  });
});
