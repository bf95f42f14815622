import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { InvalidOptionError } from '../../src/core/errors.js';
import { controlOf, HttpStatusError, injectedFault, traceOf, wrap } from '../../src/index.js';

class Account {
  #balance = 100;
  static created = 0;
  readonly owner: string;
  constructor(owner: string) {
    this.owner = owner;
    Account.created += 1;
  }
  get balance(): number {
    return this.#balance;
  }
  set balance(v: number) {
    this.#balance = v;
  }
  deposit(n: number): number {
    this.#balance += n;
    return this.#balance;
  }
  async withdraw(n: number): Promise<number> {
    if (n > this.#balance) throw new RangeError('insufficient funds');
    this.#balance -= n;
    return this.#balance;
  }
  twice(n: number): number {
    return this.deposit(n) && this.deposit(n);
  }
  *[Symbol.iterator]() {
    yield this.#balance;
  }
}

describe('wrap: a transparent pass-through', () => {
  test('methods, getters, setters, #private fields, instanceof and this all behave as on the target', async () => {
    const real = new Account('ada');
    const acct = wrap(real, { seed: 1 });
    assert.ok(acct instanceof Account);
    assert.equal(acct.owner, 'ada');
    assert.equal(acct.balance, 100);
    acct.balance = 50;
    assert.equal(real.balance, 50);
    assert.equal(acct.deposit(5), 55);
    assert.equal(acct.twice(1), 57, 'a method calling other methods through this');
    assert.equal(await acct.withdraw(7), 50);
    await assert.rejects(acct.withdraw(1000), RangeError);
    assert.deepEqual([...acct], [50]);
    assert.equal(acct.deposit, acct.deposit, 'the same wrapper every time');
    assert.equal(acct.deposit.name, 'deposit');
    assert.ok('owner' in acct && 'deposit' in acct);
    acct.deposit = () => -1;
    assert.equal(real.deposit(0), -1, 'assigning a method assigns it on the target');
    assert.equal(acct.deposit(0), -1, 'and the driver calls the new one');
    assert.deepEqual(traceOf(acct).summary(), {
      'account.deposit': { calls: 2, faults: 0 },
      'account.twice': { calls: 1, faults: 0 },
      'account.withdraw': { calls: 2, faults: 0 },
    });
  });

  test('a method replaced on the target after wrapping is picked up', () => {
    const obj = { f: () => 1 };
    const w = wrap(obj, { name: 'obj', seed: 1 });
    assert.equal(w.f(), 1);
    obj.f = () => 2;
    assert.equal(w.f(), 2);
  });

  test('a frozen object can be wrapped', () => {
    const w = wrap(Object.freeze({ x: 1, f: () => 2 }), {
      name: 'z',
      seed: 1,
      faults: [{ methods: 'f', calls: 2, error: 'EIO' }],
    });
    assert.equal(w.x, 1);
    assert.equal(w.f(), 2);
    assert.throws(() => w.f(), { code: 'EIO' }, 'learned from the first call that f is sync');
  });

  test('a function can be wrapped too', async () => {
    const fetchUser = async (id: number) => ({ id });
    const flaky = wrap(fetchUser, {
      name: 'fetchUser',
      seed: 1,
      faults: [{ calls: 2, error: 'ECONNRESET' }],
    });
    assert.deepEqual(await flaky(1), { id: 1 });
    await assert.rejects(flaky(2), { code: 'ECONNRESET' });
    assert.equal(traceOf(flaky).entries[0]!.site, 'fetchUser');
  });
});

describe('wrap: introspection sees the target', () => {
  test('Object.keys, spread, JSON.stringify and own-property checks show the target own enumerable fields', () => {
    const real = new Account('ada');
    const acct = wrap(real, { seed: 1 });
    assert.deepEqual(Object.keys(acct), Object.keys(real));
    assert.deepEqual(Object.keys(acct), ['owner']);
    assert.deepEqual({ ...acct }, { ...real });
    assert.equal(JSON.stringify(acct), JSON.stringify(real));
    assert.deepEqual(Object.entries(acct), [['owner', 'ada']]);
    assert.ok(Object.hasOwn(acct, 'owner'));
    assert.ok(!Object.hasOwn(acct, 'deposit'), 'methods stay on the prototype');

    const literal = { host: 'db', port: 5432, ping: () => 'pong' };
    const client = wrap(literal, { name: 'client', seed: 1, faults: [{ methods: 'ping', error: 'EIO' }] });
    assert.deepEqual(Object.keys(client), ['host', 'port', 'ping']);
    assert.equal(JSON.stringify(client), '{"host":"db","port":5432}');
    const copy = { ...client };
    assert.throws(
      () => copy.ping(),
      { code: 'EIO' },
      'a spread copy holds the chaos method, as driver.ping is',
    );
  });

  test('a frozen object with a Symbol method can be spread and iterated', () => {
    const frozen = Object.freeze({
      a: 1,
      b: 'two',
      *[Symbol.iterator]() {
        yield 'x';
        yield 'y';
      },
    });
    const w = wrap(frozen, { name: 'frozen', seed: 1 });
    assert.deepEqual([...w], ['x', 'y']);
    const copy = { ...w };
    assert.deepEqual(Object.keys(copy), ['a', 'b']);
    assert.deepEqual([...copy], ['x', 'y']);
    assert.equal(JSON.stringify(w), '{"a":1,"b":"two"}');
  });
});

describe('wrap: rule caps', () => {
  test('times caps a rule over every method it covers; timesPerSite caps it at each method', () => {
    const target = () => ({ a: () => 1, b: () => 2, c: () => 3 });
    const faultsOver = (rule: { times?: number; timesPerSite?: number }) => {
      const w = wrap(target(), { name: 't', seed: 1, faults: [{ methods: '*', error: 'EIO', ...rule }] });
      let faults = 0;
      for (const m of ['a', 'b', 'c'] as const) {
        for (let i = 0; i < 3; i++) {
          try {
            w[m]();
          } catch {
            faults += 1;
          }
        }
      }
      assert.equal(traceOf(w).size, faults);
      return faults;
    };
    assert.equal(faultsOver({ times: 2 }), 2);
    assert.equal(faultsOver({ timesPerSite: 2 }), 6);
    assert.equal(faultsOver({ times: 2, timesPerSite: 1 }), 2);
  });
});

describe('wrap: faults keep the method shape', () => {
  test('a sync method throws, an async method rejects and never throws synchronously', async () => {
    const acct = wrap(new Account('x'), {
      seed: 1,
      faults: [
        { methods: 'deposit', error: 'EIO' },
        { methods: 'withdraw', error: 'ETIMEDOUT' },
      ],
    });
    assert.throws(() => acct.deposit(1), { code: 'EIO', syscall: 'read' });
    let promise: Promise<number> | undefined;
    assert.doesNotThrow(() => {
      promise = acct.withdraw(1);
    });
    await assert.rejects(promise!, { code: 'ETIMEDOUT' });
    assert.equal(acct.balance, 100, 'a failed call never reached the target');
  });

  test('a Node-style callback method calls back with the error on a later tick', async () => {
    const store = {
      read(key: string, cb: (err: Error | null, value?: string) => void) {
        setImmediate(() => cb(null, `v:${key}`));
      },
    };
    const w = wrap(store, { name: 'store', seed: 1, faults: [{ calls: 1, error: 'ENOENT' }] });
    let synchronous = true;
    const first = await new Promise<[Error | null, string | undefined]>((resolve) => {
      w.read('a', (err, value) => {
        assert.equal(synchronous, false, 'callback must not run synchronously');
        resolve([err, value]);
      });
      synchronous = false;
    });
    assert.equal((first[0] as NodeJS.ErrnoException).code, 'ENOENT');
    const second = await new Promise<string | undefined>((resolve) => w.read('b', (_e, v) => resolve(v)));
    assert.equal(second, 'v:b');
  });

  test('returns: a substitute value, in the method shape', async () => {
    const w = wrap(new Account('x'), {
      seed: 1,
      shapes: { '*': 'sync' },
      faults: [
        { methods: 'deposit', returns: -1 },
        { methods: 'withdraw', returns: (args: readonly unknown[]) => `stale ${args[0]}` },
      ],
    });
    assert.equal(w.deposit(5), -1);
    assert.equal(await w.withdraw(3), 'stale 3');
    assert.equal(w.balance, 100);
    assert.deepEqual(
      traceOf(w).entries.map((e) => [e.action, e.detail.value]),
      [
        ['return', -1],
        ['return', 'stale 3'],
      ],
    );
  });

  test('delay: the call goes through after the delay (fake timers drive the clock)', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const w = wrap(new Account('x'), { seed: 1, faults: [{ methods: 'withdraw', delay: 250 }] });
    let done = false;
    const p = w.withdraw(10).then((v) => {
      done = true;
      return v;
    });
    await Promise.resolve();
    t.mock.timers.tick(249);
    await Promise.resolve();
    assert.equal(done, false);
    t.mock.timers.tick(1);
    assert.equal(await p, 90);
    assert.deepEqual(traceOf(w).entries[0]!.detail, { ms: 250 });
  });

  test('hang: until the caller aborts, or until timeoutMs, then the rule error', async () => {
    const w = wrap(
      {
        async get(_k: string, _o?: { signal?: AbortSignal }) {
          return 1;
        },
      },
      {
        name: 'kv',
        seed: 1,
        faults: [
          { calls: 1, hang: true },
          { calls: 2, hang: { timeoutMs: 5 }, error: 'ETIMEDOUT' },
        ],
      },
    );
    const ac = new AbortController();
    const hung = w.get('a', { signal: ac.signal });
    ac.abort(new Error('caller gave up'));
    await assert.rejects(hung, /caller gave up/);
    await assert.rejects(w.get('b'), { code: 'ETIMEDOUT' });
    assert.equal(await w.get('c'), 1);
  });

  test('emit: an EventEmitter gets an error event; a returned stream is destroyed with the error', async () => {
    class Conn extends EventEmitter {
      send(_msg: string) {
        return true;
      }
      stream() {
        const s = new PassThrough();
        s.write('a');
        return s;
      }
    }
    const conn = wrap(new Conn(), {
      seed: 1,
      faults: [
        { methods: 'send', emit: true, error: 'EPIPE' },
        { methods: 'stream', emit: true, error: 'ECONNRESET' },
      ],
    });
    const emitted = new Promise<Error>((resolve) => conn.once('error', resolve));
    assert.equal(conn.send('hi'), true, 'the call itself went through');
    assert.equal(((await emitted) as NodeJS.ErrnoException).code, 'EPIPE');
    const chunks: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const c of conn.stream()) chunks.push(String(c));
      })(),
      { code: 'ECONNRESET' },
    );
    assert.deepEqual(chunks, ['a'], 'data already written arrived before the error');
  });

  test('deep: objects returned (and resolved) are chaos drivers too, with their own sites', async () => {
    class Collection {
      constructor(readonly name: string) {}
      async find(q: object) {
        return [{ q, from: this.name }];
      }
    }
    class Db {
      collection(name: string) {
        return new Collection(name);
      }
    }
    class Client {
      db(_name: string) {
        return new Db();
      }
      async connect() {
        return new Db();
      }
    }
    const client = wrap(new Client(), {
      name: 'mongo',
      seed: 4,
      deep: true,
      faults: [{ site: 'mongo.db.collection.find', calls: 2, error: 'ECONNRESET' }],
    });
    const users = client.db('app').collection('users');
    assert.ok(users instanceof Collection);
    assert.deepEqual(await users.find({ a: 1 }), [{ q: { a: 1 }, from: 'users' }]);
    await assert.rejects(users.find({}), { code: 'ECONNRESET' });
    const viaConnect = (await client.connect()).collection('x');
    assert.deepEqual(await viaConnect.find({}), [{ q: {}, from: 'x' }]);
    assert.deepEqual(Object.keys(traceOf(client).summary()), [
      'mongo.connect',
      'mongo.connect.collection',
      'mongo.connect.collection.find',
      'mongo.db',
      'mongo.db.collection',
      'mongo.db.collection.find',
    ]);
  });
});

describe('wrap: errors the interface declares', () => {
  test('a rule with no action raises one of the declared errors, chosen by the seed', async () => {
    class ReplyError extends Error {
      override name = 'ReplyError';
    }
    const make = (seed: number) =>
      wrap(new Account('x'), {
        seed,
        shapes: { deposit: 'sync' },
        errors: { withdraw: ['ECONNRESET', 'ETIMEDOUT', ReplyError], '*': [503] },
        faults: [{ rate: 1 }],
      });
    const w = make(21);
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const err = await w.withdraw(0).then(
        () => assert.fail('should reject'),
        (e: Error & { code?: string }) => e,
      );
      seen.add(err.code ?? err.name);
      assert.deepEqual(injectedFault(err), {
        site: 'account.withdraw',
        index: i + 1,
        rule: 'rule-0',
        seed: 21,
      });
    }
    assert.deepEqual([...seen].sort(), ['ECONNRESET', 'ETIMEDOUT', 'ReplyError']);
    assert.throws(
      () => w.deposit(1),
      (e: unknown) => e instanceof HttpStatusError && e.status === 503,
    );
    const again = make(21);
    const codes = async (x: typeof w) => {
      const out: string[] = [];
      for (let i = 0; i < 20; i++)
        out.push(await x.withdraw(0).then(String, (e: Error & { code?: string }) => e.code ?? e.name));
      return out;
    };
    assert.deepEqual(await codes(again), await codes(make(21)));
  });

  test('error factories get the call context', async () => {
    const w = wrap(new Account('x'), {
      seed: 77,
      faults: [
        {
          methods: 'withdraw',
          error: (ctx) => new Error(`${ctx.site} #${ctx.index} seed ${ctx.seed} args ${ctx.args}`),
        },
      ],
    });
    await assert.rejects(w.withdraw(5), /^Error: account\.withdraw #1 seed 77 args 5$/);
  });
});

describe('wrap: run-time control and observability', () => {
  test('enable/disable, setRate, setRuleEnabled, onFault and counters', async () => {
    const seen: string[] = [];
    const w = wrap(new Account('x'), {
      seed: 1,
      faults: [{ id: 'boom', methods: 'deposit', error: 'EIO' }],
      onFault: (e) => seen.push(`${e.site}#${e.index}`),
      enabled: false,
    });
    const c = controlOf(w);
    assert.equal(w.deposit(1), 101);
    c.enable();
    assert.throws(() => w.deposit(1), { code: 'EIO' });
    c.setRate('boom', 0);
    assert.equal(w.deposit(1), 102);
    c.setRate('boom', 1);
    c.setRuleEnabled('boom', false);
    assert.equal(w.deposit(1), 103);
    c.disable();
    c.setRuleEnabled('boom', true);
    assert.equal(w.deposit(1), 104);
    assert.deepEqual(seen, ['account.deposit#2']);
    assert.deepEqual(c.counters(), { 'account.deposit': { calls: 5, fires: 1 } });
    assert.throws(() => c.setRate('boom', 1.5), /boom\.rate/);
  });
});

describe('wrap: bad options name the option', () => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      'rate 1.5',
      () => wrap(new Account('x'), { faults: [{ rate: 1.5, error: 'EIO' }] }),
      /faults\[0\]\.rate/,
    ],
    [
      'unknown method',
      () => wrap(new Account('x'), { faults: [{ methods: 'withdrw', error: 'EIO' }] }),
      /faults\[0\]\.methods: the target has no method "withdrw" \(it has: deposit, twice, withdraw\)/,
    ],
    [
      'non-function error factory',
      () => wrap(new Account('x'), { faults: [{ error: { code: 'EIO' } as never }] }),
      /faults\[0\]\.error: must be an error factory function/,
    ],
    [
      'unknown error code',
      () => wrap(new Account('x'), { faults: [{ error: 'EBOGUS' }] }),
      /faults\[0\]\.error: unknown error "EBOGUS"/,
    ],
    [
      'no action, nothing declared',
      () => wrap(new Account('x'), { faults: [{ rate: 0.5 }] }),
      /faults\[0\]: has no action/,
    ],
    [
      'declared errors on a missing method',
      () => wrap(new Account('x'), { errors: { nope: ['EIO'] } }),
      /errors\.nope/,
    ],
    [
      'bad shape',
      () => wrap(new Account('x'), { shapes: { deposit: 'sometimes' as never } }),
      /shapes\.deposit/,
    ],
    ['not an object', () => wrap(42 as never), /target: must be an object/],
  ];
  for (const [name, fn, message] of cases) {
    test(name, () => {
      assert.throws(fn, (err: unknown) => err instanceof InvalidOptionError && message.test(err.message));
    });
  }
});
