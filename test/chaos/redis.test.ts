import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { injectedFault, traceOf, wrap } from '../../src/index.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';

/** The caller under test: retries transient errors up to 6 attempts, as a production client would. */
async function withRetry<T>(op: () => Promise<T>, failures: Error[]): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      failures.push(err as Error);
      const code = (err as NodeJS.ErrnoException).code;
      if (attempt >= 6 || (code !== 'ECONNRESET' && code !== 'ETIMEDOUT')) throw err;
    }
  }
}

describe('chaos driver over a real ioredis client and redis-server', () => {
  let server: RedisServer;
  let client: Redis;
  before(async () => {
    server = await startRedis();
    client = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    await client.connect();
  });
  after(async () => {
    client?.disconnect();
    await server?.stop();
  });

  test('a retrying caller survives a 20% error rate, and the trace explains every failure it saw', async () => {
    const redis = wrap(client, {
      name: 'redis',
      seed: 2024,
      errors: { get: ['ECONNRESET', 'ETIMEDOUT'], set: ['ECONNRESET', 'ETIMEDOUT'] },
      faults: [{ id: 'flaky', methods: ['get', 'set'], rate: 0.2 }],
    });
    assert.ok(redis instanceof Redis);
    assert.equal(redis.status, 'ready');
    const failures: Error[] = [];
    for (let i = 0; i < 300; i++) {
      await withRetry(() => redis.set(`k${i}`, `v${i}`), failures);
      assert.equal(await withRetry(() => redis.get(`k${i}`), failures), `v${i}`);
    }
    // Nothing was lost: the real server holds every key.
    assert.equal(await client.dbsize(), 300);
    const trace = traceOf(redis);
    assert.ok(failures.length > 80 && failures.length < 200, `${failures.length} failures at 20%`);
    assert.equal(failures.length, trace.size, 'one trace entry per failure seen');
    for (const err of failures) {
      const mark = injectedFault(err);
      assert.ok(mark, `not injected: ${err.message}`);
      const entry = trace.entries.find((e) => e.site === mark.site && e.index === mark.index);
      assert.equal(entry?.detail.code, (err as NodeJS.ErrnoException).code);
    }
    const summary = trace.summary();
    assert.equal(summary['redis.get']!.calls + summary['redis.set']!.calls, 600 + failures.length);
  });

  test('the same seed replays the same failures against the real server', async () => {
    const run = async () => {
      const redis = wrap(client, {
        name: 'redis',
        seed: 7,
        faults: [{ methods: 'incr', rate: 0.3, error: 'ETIMEDOUT' }],
      });
      const outcomes: string[] = [];
      for (let i = 0; i < 50; i++) {
        outcomes.push(
          await redis.incr('counter').then(
            () => 'ok',
            (e: NodeJS.ErrnoException) => String(e.code),
          ),
        );
      }
      return { outcomes, trace: traceOf(redis).toJSON() };
    };
    await client.del('counter');
    const a = await run();
    const b = await run();
    assert.deepEqual(a.outcomes, b.outcomes);
    assert.deepEqual(a.trace, b.trace);
    const oks = a.outcomes.filter((o) => o === 'ok').length;
    assert.equal(Number(await client.get('counter')), oks * 2, 'failed calls never reached redis');
  });
});
