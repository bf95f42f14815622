import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer } from 'node:net';
import { describe, test } from 'node:test';
import { buildError, HttpStatusError, isSystemErrorCode, systemError } from '../../src/index.js';
import { freePort } from '../helpers/redis.js';

function keysOf(err: object): string[] {
  return Object.keys(err).sort();
}

async function realConnectError(): Promise<NodeJS.ErrnoException> {
  // A port that was just free: nothing listens there.
  const port = await freePort();
  const socket = connect(port, '127.0.0.1');
  const [err] = (await once(socket, 'error').catch((e: unknown) => [e])) as [NodeJS.ErrnoException];
  return err;
}

describe('error catalog', () => {
  test('an injected ECONNREFUSED has the same fields and message shape as a real one', async () => {
    const real = await realConnectError();
    const fake = systemError('ECONNREFUSED', { address: '127.0.0.1', port: 6379 });
    assert.equal(real.code, 'ECONNREFUSED');
    assert.deepEqual(keysOf(fake), keysOf(real));
    assert.equal(fake.errno, real.errno);
    assert.equal(fake.syscall, real.syscall);
    assert.match(real.message, /^connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
    assert.equal(fake.message, 'connect ECONNREFUSED 127.0.0.1:6379');
  });

  test('an injected ECONNRESET matches a real peer reset', async () => {
    const server = createServer((s) => s.once('data', () => s.resetAndDestroy()));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    socket.on('connect', () => socket.write('hello'));
    const [real] = (await once(socket, 'error').catch((e: unknown) => [e])) as [NodeJS.ErrnoException];
    server.close();
    const fake = systemError('ECONNRESET');
    assert.equal(real.code, 'ECONNRESET');
    assert.equal(fake.errno, real.errno);
    assert.equal(fake.syscall, real.syscall);
    assert.equal(fake.message, real.message);
    assert.deepEqual(keysOf(fake), keysOf(real));
  });

  test('the shipped codes carry real errno values and Node-shaped messages', () => {
    const cases: [string, string, number][] = [
      ['ETIMEDOUT', 'connect ETIMEDOUT', -110],
      ['EPIPE', 'write EPIPE', -32],
      ['EAI_AGAIN', 'getaddrinfo EAI_AGAIN', -3001],
      ['EIO', 'EIO: i/o error, read', -5],
      ['ENOSPC', 'ENOSPC: no space left on device, write', -28],
      ['EACCES', 'EACCES: permission denied, open', -13],
    ];
    for (const [code, message, errno] of cases) {
      const err = systemError(code);
      assert.equal(err.message, message);
      assert.equal(err.errno, errno);
      assert.equal(err.code, code);
    }
    assert.equal(
      systemError('ENOENT', { path: '/x', syscall: 'open' }).message,
      "ENOENT: no such file or directory, open '/x'",
    );
    assert.equal(
      systemError('EAI_AGAIN', { hostname: 'db.internal' }).message,
      'getaddrinfo EAI_AGAIN db.internal',
    );
    assert.ok(isSystemErrorCode('EMFILE'));
    assert.ok(!isSystemErrorCode('EBOGUS'));
  });

  test('HTTP status errors from numbers and names', () => {
    const ctx = { site: 's', method: 'm', index: 1, args: [], seed: 0 };
    const a = buildError(503, ctx) as HttpStatusError;
    const b = buildError('HTTP_429', ctx) as HttpStatusError;
    assert.ok(a instanceof HttpStatusError);
    assert.equal(a.status, 503);
    assert.equal(a.statusCode, 503);
    assert.equal(a.message, '503 Service Unavailable');
    assert.equal(b.status, 429);
    assert.equal(b.code, 'HTTP_429');
  });
});
