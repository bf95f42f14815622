import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { randomStream } from '../../src/core/random.js';
import { Trace, traceOf, wrap } from '../../src/index.js';

class Store {
  #data = new Map<string, number>();
  async get(key: string) {
    return this.#data.get(key);
  }
  async set(key: string, value: number) {
    this.#data.set(key, value);
  }
  async del(key: string) {
    return this.#data.delete(key);
  }
}

/**
 * 50 concurrent callers make 10,000 calls in all. Before each call a caller yields a number of microtask turns
 * taken from `shuffle`, so different shuffles give different interleavings (checked) — with no wall clock.
 */
async function run(seed: number, shuffle: number) {
  const store = wrap(new Store(), {
    name: 'db',
    seed,
    faults: [
      { id: 'resets', methods: ['get', 'set'], rate: 0.05, error: ['ECONNRESET', 'ETIMEDOUT'] },
      { id: 'slow', methods: 'del', rate: 0.1, delay: [0, 3] },
      { id: 'wrench', methods: 'set', first: 1, every: 7, error: 'EPIPE' },
    ],
  });
  const order = randomStream(shuffle);
  const arrivals: string[] = [];
  const callers = Array.from({ length: 50 }, async (_, c) => {
    const mine = order.fork(`caller-${c}`);
    for (let i = 0; i < 200; i++) {
      for (let k = mine.nextInt(0, 6); k > 0; k--) await null;
      const op = (['get', 'set', 'del'] as const)[(c + i) % 3]!;
      arrivals.push(op);
      try {
        if (op === 'set') await store.set(`k${i}`, i);
        else await store[op](`k${i}`);
      } catch {
        // faults are expected; the trace is what we compare
      }
    }
  });
  await Promise.all(callers);
  return { trace: traceOf(store).toJSON(), arrivals: arrivals.join(',') };
}

describe('determinism under concurrency', () => {
  test('same seed ⇒ identical trace over 10,000 calls from concurrent callers with shuffled interleavings', async () => {
    const a = await run(1234, 1);
    const b = await run(1234, 2);
    assert.notEqual(a.arrivals, b.arrivals, 'the two runs really interleaved differently');
    const calls = Object.values(a.trace.calls).reduce((x, y) => x + y, 0);
    assert.equal(calls, 10_000);
    assert.ok(a.trace.entries.length > 500, `only ${a.trace.entries.length} faults`);
    assert.deepEqual(b.trace, a.trace);
    assert.deepEqual(Trace.fromJSON(JSON.stringify(a.trace)).toJSON(), a.trace, 'JSON round-trips');
  });

  test('different seeds ⇒ different traces', async () => {
    const a = await run(1, 1);
    const b = await run(2, 1);
    assert.notDeepEqual(a.trace.entries, b.trace.entries);
  });

  test('replay reproduces a recorded trace exactly, whatever the rules say', async () => {
    const original = await run(77, 5);
    const replayed = wrap(new Store(), { name: 'db', seed: 1, replay: original.trace });
    const results: string[] = [];
    const calls = original.trace.calls;
    for (const [site, count] of Object.entries(calls)) {
      const method = site.split('.')[1] as 'get' | 'set' | 'del';
      for (let i = 0; i < count; i++) {
        results.push(
          await replayed[method]('k', 1).then(
            () => 'ok',
            (e: NodeJS.ErrnoException) => String(e.code),
          ),
        );
      }
    }
    const again = traceOf(replayed).toJSON();
    assert.deepEqual(again.entries, original.trace.entries);
    assert.deepEqual(again.calls, original.trace.calls);
    const failures = results.filter((r) => r !== 'ok').length;
    assert.equal(failures, original.trace.entries.filter((e) => e.action === 'error').length);
  });
});
