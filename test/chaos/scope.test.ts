import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { chaosScope, traceOf, wrap } from '../../src/index.js';

class Queue {
  #items: number[] = [];
  async push(n: number) {
    await tick();
    this.#items.push(n);
  }
  async pop() {
    await tick();
    return this.#items.shift();
  }
}

// One driver shared by the whole process, as a module-level client would be.
const queue = wrap(new Queue(), { name: 'queue', seed: 1 });

async function workload(tag: string) {
  const outcomes: string[] = [];
  for (let i = 0; i < 40; i++) {
    outcomes.push(
      await queue.push(i).then(
        () => `${tag}:ok`,
        (e: NodeJS.ErrnoException) => `${tag}:${e.code}`,
      ),
    );
    await new Promise((r) => setTimeout(r, 0));
  }
  return outcomes;
}

describe('chaos scopes (AsyncLocalStorage)', () => {
  test('two tests in parallel in one process each get their own faults and trace', async () => {
    const scopeA = chaosScope({ seed: 11, faults: [{ site: 'queue.push', rate: 0.5, error: 'ECONNRESET' }] });
    const scopeB = chaosScope({
      seed: 22,
      faults: [{ site: 'queue.*', first: 1, every: 4, error: 'EPIPE' }],
    });
    const [a, b] = await Promise.all([scopeA.run(() => workload('a')), scopeB.run(() => workload('b'))]);
    assert.ok(a.some((o) => o === 'a:ECONNRESET'));
    assert.ok(!a.some((o) => o.endsWith('EPIPE')), 'scope A never sees scope B faults');
    assert.deepEqual(
      b.map((o) => o !== 'b:ok'),
      Array.from({ length: 40 }, (_, i) => i % 4 === 0),
    );
    assert.equal(scopeA.trace.summary()['queue.push']!.calls, 40, 'each scope counts its own calls');
    assert.equal(scopeB.trace.summary()['queue.push']!.calls, 40);
    assert.ok(scopeA.trace.entries.every((e) => e.detail.code === 'ECONNRESET'));
    assert.ok(scopeB.trace.entries.every((e) => e.detail.code === 'EPIPE'));
    assert.equal(traceOf(queue).size, 0, 'outside the scopes the driver injects nothing');

    // Running A alone gives the same outcomes: concurrency with B changed nothing.
    const alone = chaosScope({ seed: 11, faults: [{ site: 'queue.push', rate: 0.5, error: 'ECONNRESET' }] });
    assert.deepEqual(await alone.run(() => workload('a')), a);
    assert.deepEqual(alone.trace.toJSON().entries, scopeA.trace.toJSON().entries);
  });

  test('a scope without rules for a driver leaves it passing through', async () => {
    const quiet = chaosScope({ seed: 1 });
    const out = await quiet.run(() => workload('q'));
    assert.ok(out.every((o) => o === 'q:ok'));
  });
});
