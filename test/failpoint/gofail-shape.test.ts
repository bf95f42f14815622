/**
 * gofail's endpoint shape beside faultline's /failpoints routes, over real HTTP on 127.0.0.1 with the requests
 * a gofail script sends (`curl -X PUT -d'term' host/NAME`, `curl host/`, `curl -X DELETE host/NAME`): text in,
 * text out, gofail's status codes. And a body over 64 KiB gets a readable 413 on either shape, not a reset.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request } from 'node:http';
import { createConnection } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  type FailpointServer,
  failpoint,
  failpoints,
  startFailpointServer,
} from '../../src/failpoint/index.js';

let server: FailpointServer;
before(async () => {
  server = await startFailpointServer({ port: 0 });
});
after(() => server.close());
afterEach(() => failpoints.reset());

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request as curl would send it: no Accept, a text body, nothing else. */
function curl(method: string, path: string, body?: string | Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe("gofail's shape", () => {
  test('PUT /NAME sets the term (204) and the running code follows it; GET /NAME shows it', async () => {
    failpoints.declare('gofail.put', 'a failpoint set the gofail way');
    const put = await curl('PUT', '/gofail.put', '2*return("x")->off');
    assert.equal(put.status, 204);
    assert.equal(put.body, '');
    assert.equal(put.headers['faultline-warning'], undefined);
    assert.equal(await failpoint('gofail.put'), 'x');
    const get = await curl('GET', '/gofail.put');
    assert.equal(get.status, 200);
    assert.match(String(get.headers['content-type']), /^text\/plain/);
    assert.equal(get.body, '2*return("x")->off\n');
    // the JSON route sees the same failpoint
    const json = JSON.parse((await curl('GET', '/failpoints/gofail.put')).body);
    assert.equal(json.failpoint.term, '2*return("x")->off');
  });

  test('GET / lists name=term lines, sorted, name= for a failpoint without a term', async () => {
    failpoints.declare('ls.b.declared', 'no term');
    failpoints.set('ls.c.set', 'sleep(5)', { allowUnknown: true });
    failpoints.set('ls.a.set', '50%throw("no")', { allowUnknown: true });
    const list = await curl('GET', '/');
    assert.equal(list.status, 200);
    assert.ok(list.body.endsWith('\n'));
    const lines = list.body.slice(0, -1).split('\n');
    assert.deepEqual(lines, [...lines].sort());
    // declared failpoints of earlier tests stay listed (reset keeps declarations): look at this test's own
    assert.deepEqual(
      lines.filter((l) => l.startsWith('ls.')),
      ['ls.a.set=50%throw("no")', 'ls.b.declared=', 'ls.c.set=sleep(5)'],
    );
  });

  test('GET /NAME/count is how many times the term fired', async () => {
    failpoints.set('counted', '2*return(1)->off', { allowUnknown: true });
    for (let i = 0; i < 5; i++) await failpoint('counted');
    const count = await curl('GET', '/counted/count');
    assert.equal(count.status, 200);
    assert.equal(count.body, '2');
  });

  test('GET of an unknown or unset failpoint is 404 with gofail’s message', async () => {
    const unknown = await curl('GET', '/never.seen');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body, 'failed to GET: failpoint: failpoint does not exist\n');
    failpoints.declare('declared.only', 'no term');
    const unset = await curl('GET', '/declared.only');
    assert.equal(unset.status, 404);
    assert.equal(unset.body, 'failed to GET: failpoint: failpoint is disabled\n');
  });

  test('PUT of a name no code has reached yet sets it (gofail scripts run first) and says so in a header', async () => {
    const put = await curl('PUT', '/not.loaded.yet', 'return(7)');
    assert.equal(put.status, 204);
    assert.match(String(put.headers['faultline-warning']), /not.loaded.yet has not been reached/);
    assert.equal(await failpoint('not.loaded.yet'), 7);
  });

  test('a bad term is 400 with the parse error as text; nothing is set', async () => {
    failpoints.declare('bad.term', 'x');
    const put = await curl('PUT', '/bad.term', '3*50%throw');
    assert.equal(put.status, 400);
    assert.match(put.body, /^fail to set failpoint: bad failpoint term "3\*50%throw" at column 3: /);
    assert.equal(failpoints.get('bad.term')?.term, null);
    const badName = await curl('PUT', '/bad%20name', 'off');
    assert.equal(badName.status, 400);
    assert.match(badName.body, /is not a failpoint name/);
  });

  test('DELETE /NAME unsets (204) and releases paused callers; unknown or unset is 400', async () => {
    failpoints.set('held', 'pause', { allowUnknown: true });
    const paused = failpoint('held');
    await failpoints.waitForWaiters('held', 1);
    const del = await curl('DELETE', '/held');
    assert.equal(del.status, 204);
    assert.equal(await paused, undefined);
    assert.equal(failpoints.get('held')?.term, null);
    const again = await curl('DELETE', '/held');
    assert.equal(again.status, 400);
    assert.equal(again.body, 'failed to delete failpoint failpoint: failpoint is disabled\n');
    const unknown = await curl('DELETE', '/nobody');
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body, 'failed to delete failpoint failpoint: failpoint does not exist\n');
  });

  test('PUT /failpoints sets a name=term;name=term list, all or nothing', async () => {
    const put = await curl('PUT', '/failpoints', 'l.a=return(1);l.b=1*throw');
    assert.equal(put.status, 204);
    assert.equal(await failpoint('l.a'), 1);
    await assert.rejects(failpoint('l.b'), /failpoint l.b fired/);
    const bad = await curl('PUT', '/failpoints', 'l.c=return(2);l.d=nonsense');
    assert.equal(bad.status, 400);
    assert.match(bad.body, /^fail to parse failpoint: bad failpoint list /);
    assert.equal(failpoints.get('l.c'), undefined);
  });

  test('names with slashes work on both shapes', async () => {
    assert.equal((await curl('PUT', '/pkg/sub/point', 'return("deep")')).status, 204);
    assert.equal(await failpoint('pkg/sub/point'), 'deep');
    assert.equal((await curl('GET', '/pkg/sub/point')).body, 'return("deep")\n');
    assert.equal((await curl('GET', '/pkg/sub/point/count')).body, '1');
  });

  test('other methods are 405 with Allow', async () => {
    const post = await curl('POST', '/some.name', 'x');
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, PUT, DELETE');
    assert.equal((await curl('DELETE', '/')).status, 405);
  });

  test('the same guard applies: a non-loopback Host is refused', async () => {
    const answer = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${server.url}/x`,
        { method: 'PUT', headers: { host: 'attacker.example' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end('return(1)');
    });
    assert.equal(answer, 403);
    assert.equal(failpoints.get('x'), undefined);
  });
});

describe('a body over 64 KiB', () => {
  const big = Buffer.alloc(4 * 1024 * 1024, 'a');

  /**
   * Sends the whole request before reading anything, as curl does: a server that closes the socket with the
   * body still arriving resets the connection, and such a client never sees the answer.
   */
  async function sendAllThenRead(path: string, body: Buffer): Promise<{ text: string; error?: string }> {
    const s = createConnection({ host: '127.0.0.1', port: server.port });
    await once(s, 'connect');
    const chunks: Buffer[] = [];
    let error: string | undefined;
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    s.pause();
    s.write(
      `PUT ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
    );
    for (let i = 0; i < body.length && error === undefined; i += 64 * 1024) {
      await new Promise<void>((resolve) => s.write(body.subarray(i, i + 64 * 1024), () => resolve()));
    }
    s.resume();
    await once(s, 'close');
    return { text: Buffer.concat(chunks).toString(), error };
  }

  test('PUT /failpoints/NAME answers a readable JSON 413, and the endpoint keeps working', async () => {
    failpoints.declare('big.body', 'x');
    const r = await sendAllThenRead('/failpoints/big.body', big);
    assert.equal(r.error, undefined);
    assert.match(r.text, /^HTTP\/1\.1 413 /);
    assert.equal(
      JSON.parse(r.text.slice(r.text.indexOf('\r\n\r\n') + 4)).error.code,
      'FAULTLINE_BODY_TOO_LARGE',
    );
    assert.equal((await curl('GET', '/failpoints/big.body')).status, 200);
    // node's own client, which reads while it sends, gets it too
    assert.equal((await curl('PUT', '/failpoints/big.body', big)).status, 413);
  });

  test('gofail’s PUT /NAME answers a readable 413 too', async () => {
    const r = await sendAllThenRead('/big.body', big);
    assert.equal(r.error, undefined);
    assert.match(r.text, /^HTTP\/1\.1 413 [\s\S]*over 65536 bytes/);
  });

  test('a body of exactly 64 KiB is read', async () => {
    failpoints.declare('edge.body', 'x');
    const term = `return("${'b'.repeat(64 * 1024 - 10)}")`;
    assert.equal(Buffer.byteLength(term), 64 * 1024);
    assert.equal((await curl('PUT', '/edge.body', term)).status, 204);
  });
});
