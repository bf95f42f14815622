/**
 * Which hosts a name means: a host's own name, or a group (an inventory group, a `groups:` entry of an
 * experiment host, or `all`). Pure; the validator and the run read the same answer, so a seed picks the same
 * hosts in a dry run as in the run.
 */
import type { Host } from './host.js';

/** Group name → its hosts' names, in host order; `all` holds every host. */
export function groupsOf(hosts: readonly Host[]): Map<string, string[]> {
  const groups = new Map<string, string[]>([['all', hosts.map((h) => h.name)]]);
  for (const h of hosts) {
    for (const g of h.groups) {
      if (g === 'all') continue;
      groups.set(g, [...(groups.get(g) ?? []), h.name]);
    }
  }
  return groups;
}

/** The hosts `names` mean, in the order given (a group's in host order), each once; and names that mean none. */
export function selectHosts(
  names: string | readonly string[],
  hosts: readonly Host[],
  groups: ReadonlyMap<string, readonly string[]> = groupsOf(hosts),
): { hosts: string[]; unknown: string[] } {
  const known = new Set(hosts.map((h) => h.name));
  const picked: string[] = [];
  const unknown: string[] = [];
  for (const name of typeof names === 'string' ? [names] : names) {
    const members = known.has(name) ? [name] : groups.get(name);
    if (members === undefined) unknown.push(name);
    else for (const m of members) if (!picked.includes(m)) picked.push(m);
  }
  return { hosts: picked, unknown };
}

/** `hosts: n1, n2; groups: db, web` for messages about a name that means nothing. */
export function describeFleet(hosts: readonly Host[]): string {
  if (hosts.length === 0) return 'no hosts are defined (give hosts: or inventory:)';
  const groups = [...groupsOf(hosts).keys()];
  return `hosts: ${hosts.map((h) => h.name).join(', ')}; groups: ${groups.join(', ')}`;
}
