/**
 * The experiment's hosts, resolved once by the validator: `inventory:` read (relative to the experiment file)
 * and merged with `hosts:`, key paths made absolute, `known_hosts` defaulted, and every host list — of a target,
 * of a monitor sampled on hosts — replaced by the host names it means, in order; a fault whose target names a
 * group (or a host) rather than a target gets a `host` target of that name. The spec that comes out names
 * its hosts completely, so the plan, `--dry-run`, the run and result.json all see the same hosts for a seed.
 */
import { homedir, userInfo } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { InventoryError } from '../fleet/errors.js';
import type { Host } from '../fleet/host.js';
import type { ConnectionSettings } from '../fleet/host-ref.js';
import { parseInventory } from '../fleet/inventory.js';
import { describeFleet, groupsOf, selectHosts } from '../fleet/select.js';
import { monitors } from '../plugins/monitors/index.js';
import type { SpecIssue } from './issues.js';
import { readRegularFile } from './read-file.js';
import type { ExperimentSpec } from './schema.js';

export interface ResolveHostsOptions {
  /** The experiment file: `inventory:`, `identity:` and `known_hosts:` are relative to its folder. */
  file: string;
  /** Reads the inventory (default: a regular file of at most 1 MiB). */
  readInventory?: (path: string) => string;
}

/** The local user: the default login where a host names none (as ssh and Ansible do). */
function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'root';
  }
}

/** `~/x` → the home folder's x; a relative path → under `base`. */
export function expandPath(path: string, base: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return isAbsolute(path) ? path : resolve(base, path);
}

/** The default known_hosts file. */
export const DEFAULT_KNOWN_HOSTS = '~/.ssh/known_hosts';

/**
 * Resolves the spec's hosts in place (see the file comment); returns what is wrong, with paths into the file.
 * An experiment without hosts, inventory or targets on hosts is left as it is.
 */
export function resolveExperimentHosts(spec: ExperimentSpec, o: ResolveHostsOptions): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const base = dirname(resolve(o.file));
  const hosts: Host[] = [];
  if (spec.inventory !== undefined) {
    const path = expandPath(spec.inventory, base);
    try {
      const text = (o.readInventory ?? ((p: string) => readRegularFile(p)))(path);
      for (const h of parseInventory(text, { defaultUser: localUser() })) {
        if (h.identity !== undefined) h.identity = expandPath(h.identity, dirname(path));
        hosts.push(h);
      }
    } catch (err) {
      const why =
        err instanceof InventoryError ? err.message : `cannot read ${path}: ${(err as Error).message}`;
      issues.push({ path: ['inventory'], message: `${spec.inventory}: ${why}` });
      return issues;
    }
  }
  for (const [name, h] of Object.entries(spec.hosts)) {
    if (hosts.some((x) => x.name === name)) {
      issues.push({
        path: ['hosts', name],
        message: `host '${name}' is also in the inventory ${spec.inventory}`,
      });
      continue;
    }
    const host: Host = {
      name,
      address: h.address,
      port: h.port,
      user: h.user ?? localUser(),
      groups: [...new Set(h.groups)].sort(),
      labels: h.labels,
      become: h.become,
    };
    if (h.identity !== undefined) host.identity = expandPath(h.identity, base);
    hosts.push(host);
  }
  const groups = groupsOf(hosts);
  const names = (list: string | string[], path: (string | number)[]): string[] => {
    const { hosts: picked, unknown } = selectHosts(list, hosts, groups);
    for (const u of unknown) {
      const at = typeof list === 'string' ? path : [...path, list.indexOf(u)];
      issues.push({ path: at, message: `no host or group '${u}'; ${describeFleet(hosts)}` });
    }
    return picked;
  };
  /** `ownHost`: a ready probe of a target on hosts, sampled on its instance's host unless it names hosts. */
  const resolveMonitor = (m: unknown, path: (string | number)[], ownHost = false) => {
    const spec = m as { type?: string; hosts?: string | string[] } | undefined;
    if (spec?.type === undefined || monitors.get(spec.type)?.onHosts !== true) return;
    if (spec.hosts !== undefined) spec.hosts = names(spec.hosts, [...path, 'hosts']);
    else if (!ownHost)
      issues.push({ path, message: `${spec.type} needs hosts: the hosts or groups to run it on` });
  };
  for (const [name, t] of Object.entries(spec.targets)) {
    const onHosts = t.type === 'service' || t.type === 'host';
    if (onHosts) t.hosts = names(t.hosts, ['targets', name, 'hosts']);
    if (t.ready) resolveMonitor(t.ready, ['targets', name, 'ready'], onHosts);
  }
  // a fault may name a group (or a host) as its target: the hosts themselves, as a `host` target of that name
  if (hosts.length > 0)
    for (const f of spec.faults) {
      if (spec.targets[f.target] !== undefined) continue;
      const { hosts: picked, unknown } = selectHosts(f.target, hosts, groups);
      if (unknown.length === 0) spec.targets[f.target] = { type: 'host', hosts: picked, excess: 'delay' };
    }
  for (const [name, m] of Object.entries(spec.monitors)) resolveMonitor(m, ['monitors', name]);
  spec.steady_state?.probes.forEach((p, i) => {
    resolveMonitor(p.probe, ['steady_state', 'probes', i, 'probe']);
  });
  // the resolved table replaces what the file wrote: the run and result.json see every host
  spec.hosts = Object.fromEntries(
    hosts.map((h) => [
      h.name,
      {
        address: h.address,
        port: h.port,
        user: h.user,
        ...(h.identity === undefined ? {} : { identity: h.identity }),
        groups: h.groups,
        labels: h.labels,
        become: h.become,
      },
    ]),
  );
  if (hosts.length > 0) spec.known_hosts = expandPath(spec.known_hosts ?? DEFAULT_KNOWN_HOSTS, base);
  return issues;
}

/** The spec's hosts (resolved by the validator) as the fleet code takes them, in definition order. */
export function hostsOf(spec: ExperimentSpec): Host[] {
  return Object.entries(spec.hosts).map(([name, h]) => {
    const host: Host = {
      name,
      address: h.address,
      port: h.port,
      user: h.user ?? localUser(),
      groups: h.groups,
      labels: h.labels,
      become: h.become,
    };
    if (h.identity !== undefined) host.identity = h.identity;
    return host;
  });
}

/** The spec's connection settings. */
export function connectionSettingsOf(spec: ExperimentSpec): ConnectionSettings {
  return {
    knownHosts: expandPath(spec.known_hosts ?? DEFAULT_KNOWN_HOSTS, process.cwd()),
    hostKey: spec.host_key,
  };
}
