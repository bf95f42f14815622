/**
 * The host-key decision an SSH connector makes when a server presents its key: verify against known_hosts by
 * default; trust a host never seen before only under an explicit `hostKey: 'accept-new'` (OpenSSH's
 * StrictHostKeyChecking=accept-new), recording the key so the next connection verifies it. A changed or
 * revoked key is refused under either policy: that is the case the check exists for.
 */
import { SshError } from './errors.js';
import type { Host } from './host.js';
import {
  checkHostKey,
  type KnownHostsStore,
  keyTypeOf,
  knownHostsLine,
  parseKnownHosts,
} from './known-hosts.js';

export type HostKeyPolicy = 'strict' | 'accept-new';

/** Resolves when the key may be trusted (appending it under accept-new); rejects with an SshError otherwise. */
export async function verifyHostKey(
  store: KnownHostsStore,
  host: Host,
  key: Buffer,
  policy: HostKeyPolicy,
): Promise<void> {
  const verdict = checkHostKey(parseKnownHosts(await store.read()), host.address, host.port, key);
  const type = safeKeyType(key);
  switch (verdict.kind) {
    case 'known':
      return;
    case 'unknown':
      if (policy === 'accept-new') {
        await store.append(knownHostsLine(host.address, host.port, key));
        return;
      }
      throw new SshError(
        'FLEET_SSH_HOST_KEY_UNKNOWN',
        host.name,
        `${type} host key of ${host.address}:${host.port} is not in known_hosts (hostKey: 'accept-new' trusts a new host once)`,
      );
    case 'mismatch':
      throw new SshError(
        'FLEET_SSH_HOST_KEY_MISMATCH',
        host.name,
        `${type} host key of ${host.address}:${host.port} differs from known_hosts line ${verdict.lines.join(', ')}: possible man in the middle`,
      );
    case 'revoked':
      throw new SshError(
        'FLEET_SSH_HOST_KEY_MISMATCH',
        host.name,
        `${type} host key of ${host.address}:${host.port} is revoked (known_hosts line ${verdict.line})`,
      );
  }
}

function safeKeyType(key: Buffer): string {
  try {
    return keyTypeOf(key);
  } catch {
    return 'malformed';
  }
}
