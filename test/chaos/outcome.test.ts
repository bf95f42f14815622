import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidOptionError } from '../../src/core/errors.js';
import { type ErrorFactory, traceOf, wrap } from '../../src/index.js';

/** A factory that breaks its contract, as a typo (`return 'ECONNRESET'`) would. */
const notAnError = (() => 'ECONNRESET') as unknown as ErrorFactory;

class Store {
  async get(key: string): Promise<string> {
    return `v:${key}`;
  }
  read(key: string, cb: (err: Error | null, value?: string) => void): void {
    setImmediate(() => cb(null, `v:${key}`));
  }
  size(): number {
    return 1;
  }
}

function isMisuse(field: string) {
  return (err: unknown) => {
    assert.ok(err instanceof InvalidOptionError, `expected an InvalidOptionError, got ${String(err)}`);
    assert.equal(err.field, field);
    assert.match(
      err.message,
      /the error factory for store\.\w+ returned "ECONNRESET"; it must return an Error/,
    );
    return true;
  };
}

describe('a misbehaving error factory reaches the caller in the method shape', () => {
  test('an async method rejects with a misuse error naming the field, and never throws', async () => {
    const store = wrap(new Store(), { seed: 1, faults: [{ methods: 'get', error: notAnError }] });
    let pending: Promise<string> | undefined;
    assert.doesNotThrow(() => {
      pending = store.get('a');
    });
    await assert.rejects(pending!, isMisuse('faults[0].error'));
    assert.equal(traceOf(store).size, 0, 'no fault was injected, so none is recorded');
  });

  test('a callback method calls back with it on a later tick; a sync method throws it', async () => {
    const store = wrap(new Store(), { seed: 1, faults: [{ methods: ['read', 'size'], error: notAnError }] });
    let synchronous = true;
    const err = await new Promise<Error | null>((resolve) => {
      store.read('a', (e) => {
        assert.equal(synchronous, false, 'the callback must not run synchronously');
        resolve(e);
      });
      synchronous = false;
    });
    assert.ok(isMisuse('faults[0].error')(err));
    assert.throws(() => store.size(), isMisuse('faults[0].error'));
  });

  test('the field names the list entry: a rule error list or the declared errors', async () => {
    const listed = wrap(new Store(), { seed: 1, faults: [{ methods: 'get', error: ['EIO', notAnError] }] });
    const fields = new Set<string>();
    for (let i = 0; i < 20; i++) {
      await listed.get('a').catch((e: unknown) => {
        if (e instanceof InvalidOptionError) fields.add(e.field);
        else assert.equal((e as NodeJS.ErrnoException).code, 'EIO');
      });
    }
    assert.deepEqual([...fields], ['faults[0].error[1]']);

    const declared = wrap(new Store(), {
      seed: 1,
      errors: { get: [notAnError] },
      faults: [{ methods: 'get', calls: 1 }],
    });
    await assert.rejects(declared.get('a'), isMisuse('errors.get[0]'));
    assert.equal(await declared.get('b'), 'v:b');
  });

  test('a `when` predicate that throws rejects an async call too', async () => {
    const store = wrap(new Store(), {
      seed: 1,
      faults: [
        {
          methods: 'get',
          when: () => {
            throw new TypeError('bad predicate');
          },
          error: 'EIO',
        },
      ],
    });
    let pending: Promise<string> | undefined;
    assert.doesNotThrow(() => {
      pending = store.get('a');
    });
    await assert.rejects(pending!, { name: 'TypeError', message: 'bad predicate' });
  });
});
