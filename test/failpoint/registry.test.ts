import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, describe, test } from 'node:test';
import { FaultlineError } from '../../src/core/errors.js';
import { randomStream } from '../../src/core/random.js';
import {
  FailpointError,
  type FailpointFiredMessage,
  FailpointParseError,
  failpoint,
  failpointSync,
  failpoints,
} from '../../src/failpoint/index.js';

afterEach(() => {
  failpoints.enableAll();
  failpoints.reset();
});

function outcome(name: string, ctx?: unknown): string {
  try {
    const v = failpointSync(name, ctx);
    return v === undefined ? '-' : `return:${JSON.stringify(v)}`;
  } catch (err) {
    if (err instanceof FailpointError) return 'throw';
    throw err;
  }
}

/** process.emitWarning delivers on the next tick. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('failpoint(): off by default', () => {
  test('with nothing switched on, both calls return undefined and nothing is recorded', async () => {
    assert.equal(failpointSync('never.set'), undefined);
    assert.equal(await failpoint('never.set', { any: 'ctx' }), undefined);
    assert.deepEqual(failpoints.list(), []);
  });

  test('the public API is exported from the package root', async () => {
    const root = await import('../../src/index.js');
    assert.equal(root.failpoint, failpoint);
    assert.equal(root.failpointSync, failpointSync);
    assert.equal(root.failpoints, failpoints);
    assert.equal(typeof root.startFailpointServer, 'function');
  });
});

describe('failpoint(): terms fire as written', () => {
  test('2*throw->return(1): two throws, then 1 for ever', () => {
    failpoints.set('t.chain', '2*throw->return(1)', { allowUnknown: true });
    assert.deepEqual(
      Array.from({ length: 5 }, () => outcome('t.chain')),
      ['throw', 'throw', 'return:1', 'return:1', 'return:1'],
    );
    assert.deepEqual(failpoints.get('t.chain'), {
      name: 't.chain',
      declared: false,
      reached: true,
      term: '2*throw->return(1)',
      hits: 5,
      fires: 5,
      waiters: 0,
    });
  });

  test('throw("msg") raises a FailpointError carrying the failpoint, the term and the ctx', async () => {
    failpoints.set('t.throw', 'throw("upgrade refused")', { allowUnknown: true });
    await assert.rejects(failpoint('t.throw', { server: 2 }), (err: unknown) => {
      assert.ok(err instanceof FailpointError);
      assert.equal(err.message, 'upgrade refused');
      assert.equal(err.failpoint, 't.throw');
      assert.equal(err.term, 'throw("upgrade refused")');
      assert.deepEqual(err.context, { server: 2 });
      assert.equal(err.code, 'FAULTLINE_FAILPOINT');
      return true;
    });
    failpoints.set('t.throw', 'panic');
    assert.throws(() => failpointSync('t.throw'), /failpoint t.throw fired \(panic\)/);
  });

  test('return hands the value to the caller: bare return is true, objects are fresh copies', async () => {
    failpoints.set('t.ret', 'return', { allowUnknown: true });
    assert.equal(await failpoint('t.ret'), true);
    failpoints.set('t.ret', 'return({"rows": [1, 2]})');
    const a = failpointSync<{ rows: number[] }>('t.ret')!;
    a.rows.push(3);
    assert.deepEqual(failpointSync('t.ret'), { rows: [1, 2] });
    failpoints.set('t.ret', 'return(null)');
    assert.equal(await failpoint('t.ret'), null);
  });

  test('3*sleep(30)->off: three slow hits, then nothing', async () => {
    failpoints.set('t.sleep', '3*sleep(30)->off', { allowUnknown: true });
    const took: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      assert.equal(await failpoint('t.sleep'), undefined);
      took.push(performance.now() - t0);
    }
    for (const ms of took.slice(0, 3)) assert.ok(ms >= 25, `slept only ${ms} ms`);
    assert.equal(failpoints.get('t.sleep')!.fires, 3);
    assert.equal(failpoints.get('t.sleep')!.hits, 5);
  });

  test('failpointSync sleeps by blocking the thread', () => {
    failpoints.set('t.sync-sleep', 'sleep("30ms")', { allowUnknown: true });
    const t0 = performance.now();
    failpointSync('t.sync-sleep');
    assert.ok(performance.now() - t0 >= 25);
  });

  test('failpointSync cannot pause: a misuse error, not a hang', () => {
    failpoints.set('t.sync-pause', 'pause', { allowUnknown: true });
    assert.throws(
      () => failpointSync('t.sync-pause'),
      (err: unknown) => err instanceof FaultlineError && err.code === 'FAULTLINE_FAILPOINT_SYNC_PAUSE',
    );
  });

  test('print logs the hit with its ctx and does nothing else', () => {
    failpoints.set('t.print', '2*print("here")', { allowUnknown: true });
    const written: string[] = [];
    const original = process.stderr.write;
    process.stderr.write = ((chunk: string) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      assert.equal(failpointSync('t.print', { id: 7 }), undefined);
    } finally {
      process.stderr.write = original;
    }
    assert.deepEqual(written, ['faultline: failpoint t.print hit #1 (2*print("here")): here {"id":7}\n']);
  });

  test('each fire is published on the faultline:failpoint diagnostics channel', () => {
    const seen: FailpointFiredMessage[] = [];
    const listener = (m: unknown) => seen.push(m as FailpointFiredMessage);
    subscribe('faultline:failpoint', listener);
    try {
      failpoints.set('t.dc', '1*return(5)->off', { allowUnknown: true });
      failpointSync('t.dc', 'a');
      failpointSync('t.dc', 'b');
    } finally {
      unsubscribe('faultline:failpoint', listener);
    }
    assert.deepEqual(seen, [
      {
        name: 't.dc',
        term: '1*return(5)->off',
        action: 'return',
        hit: 1,
        fired: { count: 1, action: 'return', arg: 5 },
        ctx: 'a',
      },
    ]);
  });
});

describe('failpoint(): seeded percentages', () => {
  const pattern = (name: string, term: string, hits: number, between?: () => void) => {
    failpoints.set(name, term, { allowUnknown: true });
    const fired: number[] = [];
    for (let i = 0; i < hits; i++) {
      between?.();
      if (outcome(name) !== '-') fired.push(i);
    }
    return fired;
  };

  test('the k-th hit fires when randomStream(seed).fork("failpoint/<name>").at(k) < P/100', () => {
    failpoints.seed(42);
    const fired = pattern('p.half', '50%return(1)', 1000);
    const stream = randomStream(42).fork('failpoint/p.half');
    const expected = Array.from({ length: 1000 }, (_, i) => i).filter((i) => stream.at(i) < 0.5);
    assert.deepEqual(fired, expected);
    assert.ok(fired.length > 430 && fired.length < 570, `${fired.length} of 1000 fired at 50%`);
  });

  test('the same seed reproduces which hits fired; another seed does not; other failpoints do not shift it', () => {
    failpoints.seed(7);
    const first = pattern('p.rep', '20%throw', 500);
    failpoints.seed(7);
    failpoints.set('p.other', '50%throw', { allowUnknown: true });
    // hits at another percentage failpoint in between change nothing here
    const again = pattern('p.rep', '20%throw', 500, () => outcome('p.other'));
    failpoints.seed(8);
    const other = pattern('p.rep', '20%throw', 500);
    assert.deepEqual(again, first);
    assert.notDeepEqual(other, first);
  });

  test('0% never fires, 100% always does, and P% with N* fires N times then falls through', () => {
    failpoints.seed(1);
    assert.deepEqual(pattern('p.zero', '0%throw', 200), []);
    assert.equal(pattern('p.all', '100%return(1)', 50).length, 50);
    failpoints.set('p.both', '30%3*return(1)->return(2)', { allowUnknown: true });
    const seen = Array.from({ length: 200 }, () => failpointSync('p.both'));
    assert.equal(seen.filter((v) => v === 1).length, 3);
    const lastOne = seen.lastIndexOf(1);
    assert.ok(seen.slice(lastOne + 1).every((v) => v === 2));
  });
});

describe('pause and release', () => {
  test('callers wait at a pause until released, in the order chosen', async () => {
    failpoints.declare('p.gate', 'held by tests');
    failpoints.set('p.gate', 'pause');
    const order: string[] = [];
    const a = failpoint('p.gate', 'A').then(() => order.push('A'));
    const b = failpoint('p.gate', 'B').then(() => order.push('B'));
    const c = failpoint('p.gate', 'C').then(() => order.push('C'));
    const waiters = await failpoints.waitForWaiters('p.gate', 3);
    assert.deepEqual(
      waiters.map((w) => w.ctx),
      ['A', 'B', 'C'],
    );
    assert.equal(failpoints.get('p.gate')!.waiters, 3);
    assert.equal(failpoints.releaseWaiter('p.gate', waiters[1]!.id), true);
    await b;
    assert.equal(failpoints.release('p.gate', 1), 1);
    await a;
    assert.deepEqual(order, ['B', 'A']);
    assert.equal(failpoints.unset('p.gate'), true);
    await c;
    assert.deepEqual(order, ['B', 'A', 'C']);
    assert.deepEqual(failpoints.waiters('p.gate'), []);
  });

  test('1*pause holds the first caller only; release() with no count releases all', async () => {
    failpoints.set('p.once', '1*pause', { allowUnknown: true });
    let released = false;
    const first = failpoint('p.once').then(() => {
      released = true;
    });
    assert.equal(await failpoint('p.once'), undefined);
    await failpoints.waitForWaiters('p.once', 1);
    assert.equal(released, false);
    assert.equal(failpoints.release('p.once'), 1);
    await first;
    assert.equal(released, true);
  });

  test('waitForWaiters rejects after its timeout, and on abort', async () => {
    failpoints.set('p.none', 'pause', { allowUnknown: true });
    await assert.rejects(
      failpoints.waitForWaiters('p.none', 1, { timeoutMs: 20 }),
      /waited 20 ms for 1 caller/,
    );
    const ac = new AbortController();
    const waiting = failpoints.waitForWaiters('p.none', 1, { signal: ac.signal });
    ac.abort(new Error('gave up'));
    await assert.rejects(waiting, /gave up/);
  });
});

describe('the registry', () => {
  test('setting a name never reached or declared warns, unless declared or allowed', async () => {
    const got: string[] = [];
    const onWarning = (w: Error & { code?: string }) => {
      if (w.code === 'FAULTLINE_FAILPOINT_UNKNOWN') got.push(w.message);
    };
    process.on('warning', onWarning);
    try {
      failpoints.set('r.typo', 'off');
      failpoints.declare('r.declared', 'declared before use');
      failpoints.set('r.declared', 'off');
      failpoints.set('r.allowed', 'off', { allowUnknown: true });
      failpointSync('r.reached');
      failpoints.set('r.reached', 'off');
      failpoints.set('r.typo', 'throw');
      await tick();
    } finally {
      process.off('warning', onWarning);
    }
    assert.equal(got.length, 1);
    assert.match(got[0]!, /failpoint r.typo has not been reached or declared/);
  });

  test('list() shows what was reached, declared or set, with term, hits and fires', () => {
    failpoints.declare('l.declared', 'the upgrade is refused');
    failpoints.set('l.set', '1*throw', { allowUnknown: true });
    outcome('l.set');
    outcome('l.set');
    outcome('l.reached');
    assert.deepEqual(
      failpoints.list().filter((f) => f.name.startsWith('l.')),
      [
        {
          name: 'l.declared',
          description: 'the upgrade is refused',
          declared: true,
          reached: false,
          term: null,
          hits: 0,
          fires: 0,
          waiters: 0,
        },
        { name: 'l.reached', declared: false, reached: true, term: null, hits: 1, fires: 0, waiters: 0 },
        { name: 'l.set', declared: false, reached: true, term: '1*throw', hits: 2, fires: 1, waiters: 0 },
      ],
    );
  });

  test('declaring a name twice with another description is an error', () => {
    failpoints.declare('d.one', 'first');
    failpoints.declare('d.one', 'first');
    assert.throws(() => failpoints.declare('d.one', 'second'), /already declared as "first"/);
  });

  test('bad names and bad terms are refused with errors that say why', () => {
    assert.throws(() => failpoints.set('has space', 'off'), /not a failpoint name/);
    assert.throws(() => failpoints.set('ok.name', '50%x', { allowUnknown: true }), FailpointParseError);
    assert.equal(failpoints.get('ok.name'), undefined);
  });

  test('disableAll() unsets everything, releases paused callers and refuses to set until enableAll()', async () => {
    failpoints.set('g.a', 'throw', { allowUnknown: true });
    failpoints.set('g.p', 'pause', { allowUnknown: true });
    const paused = failpoint('g.p');
    await failpoints.waitForWaiters('g.p', 1);
    failpoints.disableAll();
    await paused;
    assert.equal(failpoints.disabled(), 'failpoints.disableAll()');
    assert.equal(failpointSync('g.a'), undefined);
    assert.throws(
      () => failpoints.set('g.a', 'throw'),
      (err: unknown) => err instanceof FaultlineError && err.code === 'FAULTLINE_FAILPOINTS_DISABLED',
    );
    failpoints.enableAll();
    failpoints.set('g.a', 'throw');
    assert.equal(outcome('g.a'), 'throw');
  });

  test('NODE_ENV=production refuses to activate anything unless FAULTLINE_ALLOW_PRODUCTION=1, and says so', () => {
    const saved = { NODE_ENV: process.env.NODE_ENV, ALLOW: process.env.FAULTLINE_ALLOW_PRODUCTION };
    try {
      process.env.NODE_ENV = 'production';
      delete process.env.FAULTLINE_ALLOW_PRODUCTION;
      assert.throws(
        () => failpoints.set('prod.x', 'throw', { allowUnknown: true }),
        (err: unknown) =>
          err instanceof FaultlineError &&
          err.code === 'FAULTLINE_FAILPOINTS_PRODUCTION' &&
          /NODE_ENV=production; set FAULTLINE_ALLOW_PRODUCTION=1/.test(err.message),
      );
      assert.equal(failpointSync('prod.x'), undefined);
      process.env.FAULTLINE_ALLOW_PRODUCTION = '1';
      failpoints.set('prod.x', 'throw', { allowUnknown: true });
      assert.equal(outcome('prod.x'), 'throw');
    } finally {
      if (saved.NODE_ENV === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = saved.NODE_ENV;
      if (saved.ALLOW === undefined) delete process.env.FAULTLINE_ALLOW_PRODUCTION;
      else process.env.FAULTLINE_ALLOW_PRODUCTION = saved.ALLOW;
    }
  });
});
