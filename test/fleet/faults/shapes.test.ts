/**
 * Partition shapes as pure functions of host names and a seed: properties over random fleets and seeds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InvalidOptionError } from '../../../src/core/errors.js';
import { randomStream } from '../../../src/core/random.js';
import {
  bridge,
  completeGrudge,
  type Grudge,
  halves,
  majoritiesRing,
  majority,
  partitionGrudge,
} from '../../../src/fleet/faults/shapes.js';

const fleet = (min: number, max = 12) =>
  fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,7}$/), { minLength: min, maxLength: max });
const seed = fc.integer({ min: 0, max: 2 ** 40 });

/** What each host still reaches, itself included. */
const view = (hosts: string[], grudge: Grudge, h: string) =>
  hosts.filter((p) => !grudge.get(h)?.has(p)).sort();

const symmetric = (grudge: Grudge) =>
  [...grudge].every(([a, peers]) => [...peers].every((b) => grudge.get(b)?.has(a)));

describe('partition shapes', () => {
  it('halves: every host on exactly one side, sides differ by at most one, dropped exactly across', () => {
    fc.assert(
      fc.property(fleet(2), seed, (hosts, s) => {
        const [a, b] = halves(hosts, randomStream(s));
        assert.deepEqual([...a, ...b].sort(), [...hosts].sort());
        assert.equal(new Set([...a, ...b]).size, hosts.length);
        assert.ok(a.length > 0 && b.length - a.length >= 0 && b.length - a.length <= 1);
        const grudge = completeGrudge(hosts, [a, b]);
        for (const x of hosts)
          for (const y of hosts) assert.equal(grudge.get(x)?.has(y), a.includes(x) !== a.includes(y));
      }),
    );
  });

  it('same seed, same split, whatever order the hosts come in; other seeds split differently', () => {
    fc.assert(
      fc.property(fleet(4), seed, (hosts, s) => {
        const one = halves(hosts, randomStream(s));
        assert.deepEqual(halves([...hosts].reverse(), randomStream(s)), one);
        assert.deepEqual(
          majoritiesRing(hosts, randomStream(s)),
          majoritiesRing([...hosts].reverse(), randomStream(s)),
        );
      }),
    );
    const hosts = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'];
    const splits = new Set(
      Array.from({ length: 50 }, (_, s) => halves(hosts, randomStream(s))[0].sort().join()),
    );
    assert.ok(splits.size > 5, `50 seeds gave ${splits.size} different splits`);
  });

  it('majorities-ring: each host sees a strict majority, no two see the same hosts, and the cut is symmetric', () => {
    fc.assert(
      fc.property(fleet(4, 15), seed, (hosts, s) => {
        const grudge = majoritiesRing(hosts, randomStream(s));
        const views = hosts.map((h) => view(hosts, grudge, h));
        for (const v of views)
          assert.ok(v.length >= majority(hosts.length), `${v} is no majority of ${hosts}`);
        assert.equal(new Set(views.map((v) => v.join())).size, hosts.length, 'views are distinct');
        assert.ok(symmetric(grudge));
        assert.ok(
          views.every((v) => v.length < hosts.length),
          'nobody sees everyone',
        );
      }),
    );
  });

  it('bridge: the bridge host sees both halves, which see nothing of each other', () => {
    fc.assert(
      fc.property(fleet(3), seed, (hosts, s) => {
        const { grudge, bridge: middle } = bridge(hosts, randomStream(s));
        assert.equal(grudge.get(middle)?.size, 0, 'the bridge drops nobody');
        assert.ok(symmetric(grudge));
        const others = hosts.filter((h) => h !== middle);
        const sideOf = new Map(others.map((h) => [h, view(hosts, grudge, h).join()]));
        const sides = new Set(sideOf.values());
        assert.equal(sides.size, 2, 'two halves');
        for (const h of others) assert.ok(view(hosts, grudge, h).includes(middle));
        // a host of one half sees none of the other
        for (const x of others)
          for (const y of others) assert.equal(grudge.get(x)?.has(y), sideOf.get(x) !== sideOf.get(y));
      }),
    );
  });

  it('isolate: the chosen hosts on one side; without a choice, one seeded host', () => {
    const hosts = ['a', 'b', 'c', 'd'];
    const g = partitionGrudge(hosts, { shape: 'isolate', chosen: ['b', 'd'] }, randomStream(1));
    assert.deepEqual([...(g.get('b') ?? [])].sort(), ['a', 'c']);
    assert.deepEqual([...(g.get('a') ?? [])].sort(), ['b', 'd']);
    fc.assert(
      fc.property(fleet(2), seed, (names, s) => {
        const grudge = partitionGrudge(names, { shape: 'isolate' }, randomStream(s));
        const alone = names.filter((h) => grudge.get(h)?.size === names.length - 1);
        assert.equal(alone.length, names.length === 2 ? 2 : 1);
        assert.deepEqual(grudge, partitionGrudge(names, { shape: 'isolate' }, randomStream(s)));
      }),
    );
  });

  it('groups: each host drops the other groups; hosts in no group keep every link', () => {
    const hosts = ['a', 'b', 'c', 'd'];
    const g = partitionGrudge(hosts, { groups: [['a', 'b'], ['c']] }, randomStream(0));
    assert.deepEqual([...(g.get('a') ?? [])], ['c']);
    assert.deepEqual([...(g.get('c') ?? [])].sort(), ['a', 'b']);
    assert.deepEqual([...(g.get('d') ?? [])], []);
  });

  it('refuses unknown shapes, unknown or repeated hosts and too few hosts, naming the field', () => {
    const bad = (spec: unknown, hosts = ['a', 'b', 'c'], field: string) =>
      assert.throws(
        () => partitionGrudge(hosts, spec as never, randomStream(0)),
        (e) => e instanceof InvalidOptionError && e.field === field,
      );
    bad({ shape: 'triangle' }, undefined, 'with.shape');
    bad({ shape: 'majorities-ring' }, undefined, 'with.shape');
    bad({ shape: 'bridge' }, ['a', 'b'], 'with.shape');
    bad({ groups: [['a'], ['x']] }, undefined, 'with.groups[1][0]');
    bad({ groups: [['a', 'b'], ['b']] }, undefined, 'with.groups[1][0]');
    bad({ groups: [['a', 'b']] }, undefined, 'with.groups');
    bad({ shape: 'isolate', chosen: ['a', 'b', 'c'] }, undefined, 'with.chosen');
  });
});
