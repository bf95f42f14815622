/**
 * Partition shapes, after Jepsen's nemeses: pure functions from host names (and a seeded random stream) to a
 * grudge — for each host, the peers it stops talking to. Grudges here are symmetric (a drops b exactly when b
 * drops a), since each host drops its peers in both directions. Names are sorted before any random choice, so
 * the same hosts and seed give the same split whatever order the inventory lists them in.
 */
import { InvalidOptionError } from '../../core/errors.js';
import { laneOf, type RandomStream } from '../../core/random.js';

export const PARTITION_SHAPES = ['isolate', 'halves', 'majorities-ring', 'bridge'] as const;
export type PartitionShape = (typeof PARTITION_SHAPES)[number];

/** host → the peers it drops traffic with. Every host of the input has an entry (empty: untouched). */
export type Grudge = Map<string, Set<string>>;

export type PartitionSpec =
  | {
      shape: 'isolate' /** Hosts cut off from the rest; default one seeded random host. */;
      chosen?: string[];
    }
  | { shape: 'halves' | 'majorities-ring' | 'bridge' }
  | { groups: string[][] };

const SHUFFLE = laneOf('shuffle');

/** A seeded Fisher-Yates shuffle of the sorted names. */
export function shuffled(names: readonly string[], random: RandomStream): string[] {
  const out = [...names].sort();
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.intAt(i, 0, i, SHUFFLE);
    [out[i], out[j]] = [out[j] as string, out[i] as string];
  }
  return out;
}

/** Each host drops every host in another component; hosts in no component drop nobody. */
export function completeGrudge(hosts: readonly string[], components: readonly (readonly string[])[]): Grudge {
  const side = new Map<string, number>();
  components.forEach((c, i) => {
    for (const h of c) side.set(h, i);
  });
  const grudge: Grudge = new Map(hosts.map((h) => [h, new Set<string>()]));
  for (const a of hosts)
    for (const b of hosts) {
      const [sa, sb] = [side.get(a), side.get(b)];
      if (sa !== undefined && sb !== undefined && sa !== sb) grudge.get(a)?.add(b);
    }
  return grudge;
}

/** The chosen hosts on one side, everyone else on the other. */
export function isolate(hosts: readonly string[], chosen: readonly string[]): Grudge {
  const picked = new Set(chosen);
  return completeGrudge(hosts, [[...picked], hosts.filter((h) => !picked.has(h))]);
}

/** A seeded random split into two halves, the first the smaller when the count is odd. */
export function halves(hosts: readonly string[], random: RandomStream): [string[], string[]] {
  const order = shuffled(hosts, random);
  const cut = Math.floor(order.length / 2);
  return [order.slice(0, cut), order.slice(cut)];
}

/** A strict majority of n. */
export const majority = (n: number) => Math.floor(n / 2) + 1;

/**
 * Hosts on a seeded ring, each keeping its links to the neighbours within distance d = ceil((majority - 1) / 2)
 * and dropping the rest: every host sees 2d + 1 >= a majority (itself included), and with 2d + 1 < n no two
 * hosts see the same set. Needs 4 or more hosts (with 3, a symmetric grudge cannot give distinct views).
 */
export function majoritiesRing(hosts: readonly string[], random: RandomStream): Grudge {
  const ring = shuffled(hosts, random);
  const n = ring.length;
  const d = Math.ceil((majority(n) - 1) / 2);
  const grudge: Grudge = new Map(hosts.map((h) => [h, new Set<string>()]));
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const distance = Math.min((i - j + n) % n, (j - i + n) % n);
      if (distance > d) grudge.get(ring[i] as string)?.add(ring[j] as string);
    }
  return grudge;
}

/**
 * Two seeded halves cut apart except for one host of the second half, the bridge, which keeps its links to
 * both. Needs 3 or more hosts.
 */
export function bridge(hosts: readonly string[], random: RandomStream): { grudge: Grudge; bridge: string } {
  const [a, b] = halves(hosts, random);
  const [middle, ...rest] = b;
  return { grudge: completeGrudge(hosts, [a, rest]), bridge: middle as string };
}

const MIN_HOSTS: Record<PartitionShape, number> = { isolate: 2, halves: 2, 'majorities-ring': 4, bridge: 3 };

/** The grudge of a shape or of explicit groups over `hosts`; bad input is an InvalidOptionError naming `field`. */
export function partitionGrudge(
  hosts: readonly string[],
  spec: PartitionSpec,
  random: RandomStream,
  field = 'with',
): Grudge {
  const known = new Set(hosts);
  const check = (name: string, at: string) => {
    if (!known.has(name))
      throw new InvalidOptionError(
        at,
        `${JSON.stringify(name)} is not one of the fault's hosts (${hosts.join(', ')})`,
      );
  };
  if ('groups' in spec) {
    const seen = new Map<string, string>();
    for (const [i, group] of spec.groups.entries())
      for (const [j, name] of group.entries()) {
        const at = `${field}.groups[${i}][${j}]`;
        check(name, at);
        const first = seen.get(name);
        if (first) throw new InvalidOptionError(at, `${name} is already in ${first}; a host is on one side`);
        seen.set(name, `${field}.groups[${i}]`);
      }
    if (spec.groups.filter((g) => g.length > 0).length < 2)
      throw new InvalidOptionError(`${field}.groups`, 'needs at least two non-empty groups to cut apart');
    return completeGrudge(hosts, spec.groups);
  }
  if (!(PARTITION_SHAPES as readonly string[]).includes(spec.shape))
    throw new InvalidOptionError(
      `${field}.shape`,
      `unknown shape ${JSON.stringify(spec.shape)}; expected one of ${PARTITION_SHAPES.join(', ')}`,
    );
  if (hosts.length < MIN_HOSTS[spec.shape])
    throw new InvalidOptionError(
      `${field}.shape`,
      `${spec.shape} needs at least ${MIN_HOSTS[spec.shape]} hosts; the fault has ${hosts.length}`,
    );
  switch (spec.shape) {
    case 'isolate': {
      const chosen = spec.chosen ?? [shuffled(hosts, random)[0] as string];
      for (const [i, name] of chosen.entries()) check(name, `${field}.chosen[${i}]`);
      if (chosen.length === 0 || new Set(chosen).size === hosts.length)
        throw new InvalidOptionError(`${field}.chosen`, 'must name some of the hosts, not none or all');
      return isolate(hosts, chosen);
    }
    case 'halves':
      return completeGrudge(hosts, halves(hosts, random));
    case 'majorities-ring':
      return majoritiesRing(hosts, random);
    case 'bridge':
      return bridge(hosts, random).grudge;
  }
}
