import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import ts from 'typescript';
import { traceOf, wrap } from '../../src/index.js';

/** A parser with a plain sync method, as most non-I/O helpers are. */
class Parser {
  parse(text: string): unknown {
    return JSON.parse(text);
  }
}

/** A client whose method is a plain function returning a promise (no `async` keyword): its shape is ambiguous. */
class Pool {
  query(sql: string): Promise<string> {
    return Promise.resolve(`rows for ${sql}`);
  }
}

/** A class compiled by TypeScript for ES2015: its async method becomes a plain function around `__awaiter`. */
async function legacyClass(): Promise<new () => { get(key: string): Promise<string> }> {
  const source = "export class Legacy { async get(key: string) { return 'v:' + key; } }";
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2015, module: ts.ModuleKind.ESNext },
  });
  assert.match(outputText, /return __awaiter\(/, 'compiled down, not a native async function');
  const mod = await import(`data:text/javascript,${encodeURIComponent(outputText)}`);
  return mod.Legacy;
}

describe('method shapes are known before a fault, never by calling into one', () => {
  test('a plain sync method faulted on its first call throws, without a `shapes` declaration', () => {
    const parser = wrap(new Parser(), { seed: 1, faults: [{ methods: 'parse', calls: 1, error: 'EIO' }] });
    let returned: unknown;
    assert.throws(
      () => {
        returned = parser.parse('1');
      },
      { code: 'EIO' },
    );
    assert.equal(returned, undefined, 'no rejected promise handed back instead');
    assert.deepEqual(parser.parse('[2]'), [2]);
  });

  test('an async function, native or compiled for an older target, rejects on its first call', async () => {
    const Legacy = await legacyClass();
    const legacy = wrap(new Legacy(), {
      seed: 1,
      faults: [{ methods: 'get', calls: 1, error: 'ETIMEDOUT' }],
    });
    let pending: Promise<string> | undefined;
    assert.doesNotThrow(() => {
      pending = legacy.get('a');
    });
    await assert.rejects(pending!, { code: 'ETIMEDOUT' });
    assert.equal(await legacy.get('b'), 'v:b');
  });

  test('a plain function returning a promise: caught by await first, a rejection once seen, or as declared', async () => {
    const pool = wrap(new Pool(), {
      seed: 1,
      faults: [{ methods: 'query', calls: [1, 3], error: 'ECONNRESET' }],
    });
    // Unknown shape: the fault throws, which the caller's `await` inside `try` catches all the same.
    const first = await (async () => {
      try {
        return await pool.query('a');
      } catch (err) {
        return (err as NodeJS.ErrnoException).code;
      }
    })();
    assert.equal(first, 'ECONNRESET');
    assert.equal(await pool.query('b'), 'rows for b');
    // The pass-through call returned a promise: from then on faults reject.
    const third = pool.query('c');
    assert.ok(third instanceof Promise);
    await assert.rejects(third, { code: 'ECONNRESET' });

    const declared = wrap(new Pool(), {
      seed: 1,
      shapes: { query: 'async' },
      faults: [{ methods: 'query', calls: 1, error: 'ECONNRESET' }],
    });
    const rejected = declared.query('a');
    assert.ok(rejected instanceof Promise);
    await assert.rejects(rejected, { code: 'ECONNRESET' });
  });

  test('a delay before a shape is known never blocks a promise-returning method', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const pool = wrap(new Pool(), { seed: 1, faults: [{ methods: 'query', calls: 1, delay: 250 }] });
    let done = false;
    const pending = pool.query('a').then((rows) => {
      done = true;
      return rows;
    });
    for (let i = 0; i < 5; i++) await Promise.resolve();
    assert.equal(done, false, 'still delayed: the delay is a timer, not a block before the call');
    t.mock.timers.tick(250);
    assert.equal(await pending, 'rows for a');
    assert.deepEqual(traceOf(pool).entries[0]!.detail, { ms: 250 });
  });

  test('ioredis commands are plain functions returning promises: recognized as async', async () => {
    const client = new Redis({ lazyConnect: true, enableOfflineQueue: false, port: 6390 });
    try {
      const redis = wrap(client, {
        name: 'redis',
        seed: 1,
        faults: [{ methods: ['get', 'hgetall'], calls: 1, error: 'ECONNREFUSED' }],
      });
      let pending: Promise<unknown> | undefined;
      assert.doesNotThrow(() => {
        pending = redis.get('k');
      });
      await assert.rejects(pending!, { code: 'ECONNREFUSED', address: '127.0.0.1', port: 6390 });
      await assert.rejects(redis.hgetall('h'), { code: 'ECONNREFUSED' });
    } finally {
      client.disconnect();
    }
  });
});
