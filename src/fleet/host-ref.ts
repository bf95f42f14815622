/**
 * A host as a revert record holds it: where to reach it and how to trust it, in JSON. A record carries its own
 * HostRef so `faultline recover` — another process, maybe days later — can reconnect from the journal alone.
 */
import type { Host } from './host.js';
import type { HostKeyPolicy } from './host-key.js';

/** How to reach one host, as journaled. JSON only. */
export interface HostRef {
  [field: string]: string | number | boolean;
  name: string;
  address: string;
  port: number;
  user: string;
  /** The key file; absent: the SSH agent. */
  identity: string;
  become: boolean;
  /** The known_hosts file the run checked host keys against. */
  knownHosts: string;
  hostKey: HostKeyPolicy;
}

/** The connection settings every host of a run shares. */
export interface ConnectionSettings {
  knownHosts: string;
  hostKey: HostKeyPolicy;
}

export function hostRef(host: Host, settings: ConnectionSettings): HostRef {
  return {
    name: host.name,
    address: host.address,
    port: host.port,
    user: host.user,
    identity: host.identity ?? '',
    become: host.become,
    knownHosts: settings.knownHosts,
    hostKey: settings.hostKey,
  };
}

/** The Host a ref names (groups and labels are not journaled: reverting needs neither). */
export function hostOfRef(ref: HostRef): Host {
  const host: Host = {
    name: ref.name,
    address: ref.address,
    port: ref.port,
    user: ref.user,
    groups: [],
    labels: {},
    become: ref.become === true,
  };
  if (ref.identity) host.identity = ref.identity;
  return host;
}

/** Whether a journaled value is a HostRef (recover reads records it did not write). */
export function isHostRef(v: unknown): v is HostRef {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r.name === 'string' &&
    typeof r.address === 'string' &&
    typeof r.port === 'number' &&
    typeof r.user === 'string' &&
    typeof r.knownHosts === 'string' &&
    (r.hostKey === 'strict' || r.hostKey === 'accept-new')
  );
}
