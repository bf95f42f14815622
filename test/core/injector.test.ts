import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { InvalidOptionError } from '../../src/core/errors.js';
import { FaultInjector } from '../../src/core/injector.js';
import type { FaultRule } from '../../src/core/rules.js';
import { describeEntry, Trace } from '../../src/core/trace.js';

/** Drives `calls` calls at `site` through an injector and records what fired, as a layer would. */
function drive(injector: FaultInjector, site: string, calls: number, args: unknown[] = []): number[] {
  const fired: number[] = [];
  const state = injector.site(site, site.split('.').pop()!);
  for (let i = 0; i < calls; i++) {
    const d = injector.begin(state, args);
    if (d) {
      fired.push(d.index);
      injector.record({ site, index: d.index, rule: d.ruleId, action: 'error', detail: { ms: d.delayMs } });
    }
  }
  return fired;
}

describe('fault injector', () => {
  test('rate 0.1 over 100,000 calls lands inside the 99.9% binomial interval', () => {
    const inj = new FaultInjector({ seed: 99, rules: [{ rate: 0.1, error: 'x' }] });
    const fired = drive(inj, 'db.get', 100_000).length;
    // mean 10,000, sd = sqrt(n p (1-p)) = 94.87; 99.9% two-sided: ±3.29 sd = ±312.
    assert.ok(Math.abs(fired - 10_000) <= 312, `fired ${fired}`);
  });

  test('first 2 of every 3 is exact', () => {
    const inj = new FaultInjector({ seed: 1, rules: [{ first: 2, every: 3, error: 'x' }] });
    const fired = drive(inj, 'db.put', 30);
    assert.deepEqual(fired, [1, 2, 4, 5, 7, 8, 10, 11, 13, 14, 16, 17, 19, 20, 22, 23, 25, 26, 28, 29]);
  });

  test('calls, after, first, times and enabled select exactly the calls they name', () => {
    const cases: [FaultRule, number[]][] = [
      [{ calls: 3, error: 'x' }, [3]],
      [{ calls: [1, 4, 9], error: 'x' }, [1, 4, 9]],
      [{ after: 7, error: 'x' }, [8, 9, 10]],
      [{ first: 2, error: 'x' }, [1, 2]],
      [{ after: 2, times: 3, error: 'x' }, [3, 4, 5]],
      [{ first: 1, every: 4, after: 4, error: 'x' }, [5, 9]],
      [{ enabled: false, error: 'x' }, []],
    ];
    for (const [rule, expected] of cases) {
      const inj = new FaultInjector({ seed: 5, rules: [rule] });
      assert.deepEqual(drive(inj, 'a.b', 10), expected, JSON.stringify(rule));
    }
  });

  test('times caps a rule over every site it covers; timesPerSite caps it at each site', () => {
    const firedPerSite = (rule: FaultRule) => {
      const inj = new FaultInjector({ seed: 3, rules: [rule] });
      return ['db.a', 'db.b', 'db.c'].map((site) => drive(inj, site, 3).length);
    };
    assert.deepEqual(firedPerSite({ times: 2, error: 'x' }), [2, 0, 0], 'two in all, as the rule reads');
    assert.deepEqual(firedPerSite({ timesPerSite: 2, error: 'x' }), [2, 2, 2]);
    assert.deepEqual(firedPerSite({ times: 3, timesPerSite: 2, error: 'x' }), [2, 1, 0]);
    assert.deepEqual(firedPerSite({ error: 'x' }), [3, 3, 3]);
  });

  test('the decision for call n at a site does not depend on other sites or on interleaving', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e9 }),
        fc.array(fc.constantFrom('a.x', 'a.y', 'b.x'), { maxLength: 300 }),
        (seed, order) => {
          const rules: FaultRule[] = [{ rate: 0.3, error: 'e', delay: [1, 100] }];
          const together = new FaultInjector({ seed, rules });
          for (const site of order) {
            const d = together.begin(together.site(site, 'm'), []);
            if (d)
              together.record({
                site,
                index: d.index,
                rule: d.ruleId,
                action: 'error',
                detail: { ms: d.delayMs },
              });
          }
          const apart = new FaultInjector({ seed, rules });
          for (const site of ['b.x', 'a.y', 'a.x'])
            drive(apart, site, order.filter((s) => s === site).length);
          assert.deepEqual(together.trace.toJSON().entries, apart.trace.toJSON().entries);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('first match wins; later rules still fire on calls the first one skips', () => {
    const inj = new FaultInjector({
      seed: 3,
      rules: [
        { id: 'odd', calls: [1, 3, 5], error: 'a' },
        { id: 'all', first: 4, error: 'b' },
      ],
    });
    const state = inj.site('s.m', 'm');
    const rules = Array.from({ length: 6 }, () => inj.begin(state, [])?.ruleId);
    assert.deepEqual(rules, ['odd', 'all', 'odd', 'all', 'odd', undefined]);
  });

  test('method matchers: name, list, RegExp, glob, "*", predicate; site globs; argument predicates', () => {
    const inj = new FaultInjector({
      seed: 1,
      rules: [
        { id: 'name', methods: 'get', error: 'x' },
        { id: 'list', methods: ['set', 'del'], error: 'x' },
        { id: 're', methods: /^h/, error: 'x' },
        { id: 'glob', methods: 'z*', error: 'x' },
        { id: 'pred', methods: (m) => m.length === 1, error: 'x' },
        { id: 'site', site: 'cache.*', error: 'x' },
        { id: 'args', when: (args) => args[0] === 'boom', error: 'x' },
      ],
    });
    const which = (site: string, method: string, args: unknown[] = []) =>
      inj.begin(inj.site(site, method), args)?.ruleId;
    assert.equal(which('db.get', 'get'), 'name');
    assert.equal(which('db.del', 'del'), 'list');
    assert.equal(which('db.hget', 'hget'), 're');
    assert.equal(which('db.zadd', 'zadd'), 'glob');
    assert.equal(which('db.q', 'q'), 'pred');
    assert.equal(which('cache.keys', 'keys'), 'site');
    assert.equal(which('db.keys', 'keys', ['boom']), 'args');
    assert.equal(which('db.keys', 'keys', ['calm']), undefined);
  });

  test('delays drawn from a range are reproducible and inside it', () => {
    const a = new FaultInjector({ seed: 11, rules: [{ delay: [10, 50] }] });
    const b = new FaultInjector({ seed: 11, rules: [{ delay: [10, 50] }] });
    const da = Array.from({ length: 200 }, () => a.begin(a.site('x.y', 'y'), [])!.delayMs!);
    const db = Array.from({ length: 200 }, () => b.begin(b.site('x.y', 'y'), [])!.delayMs!);
    assert.deepEqual(da, db);
    assert.ok(da.every((ms) => ms >= 10 && ms <= 50));
    assert.ok(new Set(da).size > 20);
  });

  test('different seeds give different traces', () => {
    const fired = (seed: number) =>
      drive(new FaultInjector({ seed, rules: [{ rate: 0.5, error: 'x' }] }), 'a.b', 64);
    assert.notDeepEqual(fired(1), fired(2));
    assert.deepEqual(fired(1), fired(1));
  });

  test('replay injects exactly the recorded faults and nothing else, even with different rules', () => {
    const original = new FaultInjector({ seed: 8, rules: [{ rate: 0.2, error: 'x', delay: [0, 9] }] });
    drive(original, 'db.get', 500);
    drive(original, 'db.set', 500);
    const json = JSON.parse(JSON.stringify(original.trace));
    const replay = new FaultInjector({ seed: 1234, rules: [{ rate: 1, error: 'other' }], replay: json });
    drive(replay, 'db.get', 500);
    drive(replay, 'db.set', 500);
    assert.deepEqual(replay.trace.toJSON().entries, original.trace.toJSON().entries);
    assert.ok(original.trace.size > 150);
  });

  test('run-time control: disable, re-enable, change a rate, swap rules; indexes keep counting', () => {
    const inj = new FaultInjector({ seed: 2, rules: [{ id: 'r', error: 'x' }] });
    const state = inj.site('a.b', 'b');
    assert.ok(inj.begin(state, []));
    inj.setEnabled(false);
    assert.equal(inj.begin(state, []), undefined);
    inj.setEnabled(true);
    assert.equal(inj.begin(state, [])?.index, 3);
    inj.setRate('r', 0);
    assert.equal(inj.begin(state, []), undefined);
    inj.setRules([{ id: 'q', calls: 5, error: 'y' }]);
    assert.equal(inj.begin(state, [])?.ruleId, 'q');
    assert.throws(() => inj.setRate('nope', 0.5), /no rule with id "nope"/);
    assert.throws(() => inj.setRate('q', 2), /q\.rate/);
    assert.throws(() => inj.setRules([{ rate: -1, error: 'x' }]), /faults\[0\]\.rate/);
    assert.equal(inj.rules[0]!.id, 'q', 'a rejected rule set changes nothing');
  });

  test('bad rules name the field', () => {
    const bad: [unknown, RegExp][] = [
      [[{ rate: 1.5, error: 'x' }], /faults\[0\]\.rate: must be a number between 0 and 1; got 1\.5/],
      [[{ error: 'x' }, { first: -1, error: 'x' }], /faults\[1\]\.first/],
      [[{ every: 3, error: 'x' }], /faults\[0\]\.every: needs `first`/],
      [[{ first: 4, every: 3, error: 'x' }], /faults\[0\]\.first: cannot exceed/],
      [[{ calls: [0], error: 'x' }], /faults\[0\]\.calls\[0\]/],
      [[{ delay: [5, 1] }], /faults\[0\]\.delay: range/],
      [[{ delay: 'slow' }], /faults\[0\]\.delay/],
      [[{ methods: 42, error: 'x' }], /faults\[0\]\.methods/],
      [[{ rate: 0.5 }], /faults\[0\]: needs an action/],
      [[{ error: 'x', returns: 1 }], /faults\[0\]\.returns: cannot be combined/],
      [[{ hang: true, delay: 5 }], /faults\[0\]\.hang/],
      [
        [
          { id: 'a', error: 'x' },
          { id: 'a', error: 'x' },
        ],
        /faults\[1\]\.id: duplicate/,
      ],
      [[{ rat: 0.5, error: 'x' }], /faults\[0\]\.rat: unknown rule option/],
      [[{ timesPerSite: 1.5, error: 'x' }], /faults\[0\]\.timesPerSite: must be an integer >= 0; got 1\.5/],
      [{ rate: 1 }, /faults: must be an array/],
    ];
    for (const [rules, message] of bad) {
      assert.throws(
        () => new FaultInjector({ seed: 1, rules: rules as FaultRule[] }),
        (err: unknown) => err instanceof InvalidOptionError && message.test(err.message),
        String(message),
      );
    }
  });

  test('trace: JSON round-trip, canonical order, summary and one-line descriptions', () => {
    const t = new Trace(5);
    t.record({ site: 'db.set', index: 2, rule: 'r', action: 'delay', detail: { ms: 30 } });
    t.record({ site: 'db.get', index: 9, rule: 'r', action: 'error', detail: { code: 'ECONNRESET' } });
    t.record({ site: 'db.get', index: 3, rule: 'r', action: 'return', detail: { value: null } });
    t.noteCall('db.get', 10);
    t.noteCall('db.set', 4);
    t.noteCall('db.del', 1);
    const back = Trace.fromJSON(JSON.stringify(t));
    assert.deepEqual(back.toJSON(), t.toJSON());
    assert.deepEqual(
      t.entries.map((e) => `${e.site}#${e.index}`),
      ['db.get#3', 'db.get#9', 'db.set#2'],
    );
    assert.deepEqual(t.summary(), {
      'db.del': { calls: 1, faults: 0 },
      'db.get': { calls: 10, faults: 2 },
      'db.set': { calls: 4, faults: 1 },
    });
    assert.equal(describeEntry(t.entries[1]!), 'db.get #9 rejected with ECONNRESET (rule r)');
    assert.equal(describeEntry(t.entries[2]!), 'db.set #2 delayed 30 ms (rule r)');
    assert.throws(() => Trace.fromJSON('{"entries":[{"site":"a","index":0}]}'), /trace\.entries\[0\]/);
  });

  test('the core stays pure: no node: imports, Date.now, Math.random or timers in src/core', () => {
    const dir = new URL('../../src/core/', import.meta.url);
    for (const file of readdirSync(dir)) {
      const text = readFileSync(new URL(file, dir), 'utf8');
      assert.doesNotMatch(
        text,
        /from 'node:|Date\.now\(|Math\.random\(|setTimeout\(|performance\.now\(/,
        file,
      );
    }
  });
});
