/**
 * SSH connections to hosts named by HostRefs: one SshPool per (known_hosts, host-key policy), made on first use.
 * A run holds one (its pool for its settings); `faultline recover` makes one for the records it reverts; a revert
 * called with neither makes a short-lived one. Closing it closes every pool it made.
 */
import type { Duplex } from 'node:stream';
import type { HostKeyPolicy } from './host-key.js';
import { type HostRef, hostOfRef } from './host-ref.js';
import { type ExecOptions, type ExecResult, type PoolOptions, SshPool } from './pool.js';
import { Ssh2Connector } from './ssh2-connector.js';

export class FleetConnections {
  readonly #pools = new Map<string, SshPool>();
  readonly #options: PoolOptions;

  constructor(options: PoolOptions = {}) {
    this.#options = options;
  }

  /** The pool for hosts checked against `knownHosts` under `hostKey`. */
  pool(knownHosts: string, hostKey: HostKeyPolicy): SshPool {
    const key = `${hostKey}\0${knownHosts}`;
    let pool = this.#pools.get(key);
    if (!pool) {
      pool = new SshPool(new Ssh2Connector({ knownHosts, hostKey }), this.#options);
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /** Runs `command` on the host `ref` names; rejects with an SshError naming it (see SshPool.exec). */
  exec(ref: HostRef, command: string, options?: ExecOptions): Promise<ExecResult> {
    return this.pool(ref.knownHosts, ref.hostKey).exec(hostOfRef(ref), command, options);
  }

  /** A TCP connection from the host `ref` names to `address:port` (see SshPool.forward). */
  forward(ref: HostRef, address: string, port: number): Promise<Duplex> {
    return this.pool(ref.knownHosts, ref.hostKey).forward(hostOfRef(ref), address, port);
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.close()));
  }
}

/** Runs `work` with `given`, or with connections of its own closed afterwards. */
export async function withConnections<T>(
  given: FleetConnections | undefined,
  work: (c: FleetConnections) => Promise<T>,
): Promise<T> {
  if (given) return work(given);
  const own = new FleetConnections();
  try {
    return await work(own);
  } finally {
    await own.close();
  }
}
