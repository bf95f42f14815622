/**
 * A proxy: a listener, an upstream address, its toxics and its live connections. Every state change that can
 * fail (binding a listen address) is attempted before anything is torn down, so a failed change leaves the
 * proxy as it was.
 */
import cluster from 'node:cluster';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { RandomStream } from '../core/random.js';
import { formatHostPort, type HostPort, parseHostPort, resolveListenHost } from './address.js';
import type { Clock } from './clock.js';
import { Connection, type ConnectionHost, type DirectionCounters, type ToxicRecord } from './connection.js';
import { listenFailed } from './errors.js';
import { adoptAccepted, ReadBuffer } from './read-buffer.js';
import type { StreamDirection } from './toxic.js';

/** A proxy as the API shows it (Toxiproxy's shape). */
export interface ProxyJSON {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicJSON[];
}

/** A toxic as the API shows it (Toxiproxy's shape). */
export interface ToxicJSON {
  attributes: Record<string, unknown>;
  name: string;
  type: string;
  stream: StreamDirection;
  toxicity: number;
}

/** Counters for /metrics. */
export interface ProxyStats {
  connectionsTotal: number;
  connectionsActive: number;
  bytes: Record<StreamDirection, DirectionCounters>;
  /** Connections each toxic acted on, by toxic name. */
  toxicsApplied: Map<string, { type: string; stream: StreamDirection; count: number }>;
}

export interface ProxyOptions {
  name: string;
  listen: string;
  upstream: string;
  clock: Clock;
  random: RandomStream;
}

interface Bound {
  server: Server;
  address: string;
}

function addressInUse(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
}

/** Binds a listener for `listen` without touching any proxy; throws a 500 error naming `listen` on failure. */
async function bind(listen: string, onConnection: (socket: Socket) => void): Promise<Bound> {
  const hp = parseHostPort(listen);
  if (typeof hp === 'string') throw listenFailed(`listen tcp ${hp}`);
  let host: string;
  try {
    host = await resolveListenHost(hp.host);
  } catch (err) {
    throw listenFailed(`listen tcp ${listen}: lookup ${hp.host}: no such host`, err);
  }
  const server = createServer({ pauseOnConnect: true, allowHalfOpen: true, noDelay: true }, onConnection);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // In a node:cluster worker the primary shares one listening socket among the workers that listen on the
      // same address (so N processes serve one proxy); anywhere else the proxy owns its socket.
      server.listen({ host, port: hp.port, exclusive: !cluster.isWorker }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    const why = addressInUse(err)
      ? 'bind: address already in use'
      : ((err as Error).message ?? String(err)).replace(/^listen \w+: /, '');
    throw listenFailed(`listen tcp ${formatHostPort(host, hp.port)}: ${why}`, err);
  }
  // Accept errors (EMFILE…) after listening must not crash the process; the connection is simply not made.
  server.on('error', () => {});
  const addr = server.address();
  const address = addr && typeof addr === 'object' ? formatHostPort(addr.address, addr.port) : listen;
  return { server, address };
}

function closeServer(server: Server): void {
  server.close();
}

/** One proxy. Methods throw a `ProxyApiError` (500, field `listen`) when binding fails; callers validate input. */
export class TcpProxy implements ConnectionHost {
  readonly name: string;
  readonly clock: Clock;
  readonly random: RandomStream;
  readonly counters: Record<StreamDirection, DirectionCounters> = {
    upstream: { received: 0, sent: 0 },
    downstream: { received: 0, sent: 0 },
  };
  readonly connections = new Set<Connection>();
  readonly toxics: ToxicRecord[] = [];
  #listen: string;
  #upstream: string;
  #upstreamHP: HostPort;
  #enabled = false;
  #server: Server | null = null;
  #nextConnection = 0;
  #nextOrder = 0;
  #connectionsTotal = 0;
  readonly #applied = new Map<string, { type: string; stream: StreamDirection; count: number }>();

  constructor(options: ProxyOptions) {
    this.name = options.name;
    this.clock = options.clock;
    this.random = options.random;
    this.#listen = options.listen;
    this.#upstream = options.upstream;
    this.#upstreamHP = parseUpstream(options.upstream);
  }

  get listen(): string {
    return this.#listen;
  }

  get upstream(): string {
    return this.#upstream;
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  /** Starts listening (no-op when enabled). Throws a 500 error naming `listen` if it cannot bind. */
  async start(): Promise<void> {
    if (this.#enabled) return;
    const bound = await bind(this.#listen, this.#onConnection);
    this.#server = bound.server;
    this.#listen = bound.address;
    this.#enabled = true;
  }

  /** Stops listening and closes every live connection (no-op when disabled). */
  stop(): void {
    if (!this.#enabled) return;
    this.#enabled = false;
    if (this.#server) closeServer(this.#server);
    this.#server = null;
    this.dropConnections();
  }

  /** Closes every live connection; the listener stays. */
  dropConnections(): void {
    for (const conn of [...this.connections]) conn.destroy();
  }

  /** Whether `listen` names the address this proxy has (port 0 matches any port on the same host). */
  async sameListen(listen: string): Promise<boolean> {
    if (listen === this.#listen) return true;
    const next = parseHostPort(listen);
    const cur = parseHostPort(this.#listen);
    if (typeof next === 'string' || typeof cur === 'string') return false;
    try {
      const [a, b] = await Promise.all([resolveListenHost(next.host), resolveListenHost(cur.host)]);
      return a === b && (next.port === 0 || next.port === cur.port);
    } catch {
      return false;
    }
  }

  /**
   * Applies new fields. A changed listen address is bound before the old listener closes; a changed listen or
   * upstream drops live connections (as Toxiproxy does). On failure nothing has changed.
   */
  async update(next: { listen: string; upstream: string; enabled: boolean }): Promise<void> {
    const listenChanged = !(await this.sameListen(next.listen));
    const upstreamChanged = next.upstream !== this.#upstream;
    const upstreamHP = upstreamChanged ? parseUpstream(next.upstream) : this.#upstreamHP;
    if (listenChanged && next.enabled) {
      const bound = await bind(next.listen, this.#onConnection);
      this.stop();
      this.#server = bound.server;
      this.#listen = bound.address;
      this.#enabled = true;
    } else if (listenChanged) {
      this.stop();
      this.#listen = next.listen;
    } else if (next.enabled && !this.#enabled) {
      await this.start();
    } else if (!next.enabled && this.#enabled) {
      this.stop();
    }
    if (upstreamChanged) {
      this.#upstream = next.upstream;
      this.#upstreamHP = upstreamHP;
      this.dropConnections();
    }
  }

  readonly #onConnection = (accepted: Socket): void => {
    if (!this.#enabled) {
      accepted.destroy();
      return;
    }
    const index = this.#nextConnection++;
    this.#connectionsTotal++;
    const { host, port } = this.#upstreamHP;
    let clientReader: ReadBuffer | null = new ReadBuffer();
    const adopted = adoptAccepted(accepted, clientReader);
    if (adopted === null) clientReader = null;
    const client = adopted ?? accepted;
    const upstreamReader = new ReadBuffer();
    const upstream = createConnection({
      host,
      port,
      noDelay: true,
      allowHalfOpen: true,
      onread: upstreamReader.onread,
    });
    const conn = new Connection(this, index, client, upstream, {
      client: clientReader,
      upstream: upstreamReader,
    });
    this.connections.add(conn);
    upstream.once('connect', () => conn.start(this.toxics));
  };

  toxicApplied(record: ToxicRecord): void {
    const entry = this.#applied.get(record.name);
    if (entry && entry.type === record.type) entry.count++;
    else this.#applied.set(record.name, { type: record.type, stream: record.stream, count: 1 });
  }

  connectionClosed(conn: Connection): void {
    this.connections.delete(conn);
  }

  /** The next creation-order number for a toxic on this proxy. */
  nextToxicOrder(): number {
    return this.#nextOrder++;
  }

  findToxic(name: string): ToxicRecord | undefined {
    return this.toxics.find((t) => t.name === name);
  }

  addToxic(record: ToxicRecord): void {
    this.toxics.push(record);
    for (const conn of this.connections) if (conn.state === 'open') conn.attach(record);
  }

  toxicChanged(record: ToxicRecord): void {
    for (const conn of this.connections) if (conn.state === 'open') conn.update(record);
  }

  removeToxic(record: ToxicRecord): void {
    const i = this.toxics.indexOf(record);
    if (i >= 0) this.toxics.splice(i, 1);
    for (const conn of this.connections) conn.detach(record);
  }

  removeAllToxics(): void {
    for (const record of [...this.toxics]) this.removeToxic(record);
  }

  stats(): ProxyStats {
    return {
      connectionsTotal: this.#connectionsTotal,
      connectionsActive: this.connections.size,
      bytes: this.counters,
      toxicsApplied: this.#applied,
    };
  }

  toJSON(): ProxyJSON {
    return {
      name: this.name,
      listen: this.#listen,
      upstream: this.#upstream,
      enabled: this.#enabled,
      toxics: this.toxicsJSON(),
    };
  }

  /** Toxics as Toxiproxy lists them: upstream ones first, then downstream, each in creation order. */
  toxicsJSON(): ToxicJSON[] {
    const up = this.toxics.filter((t) => t.stream === 'upstream');
    const down = this.toxics.filter((t) => t.stream === 'downstream');
    return [...up, ...down].map(toxicJSON);
  }
}

export function toxicJSON(t: ToxicRecord): ToxicJSON {
  return {
    attributes: { ...t.attributes },
    name: t.name,
    type: t.type,
    stream: t.stream,
    toxicity: t.toxicity,
  };
}

function parseUpstream(upstream: string): HostPort {
  const hp = parseHostPort(upstream);
  // Callers validate first; a bad value here is a bug, so it fails loudly.
  if (typeof hp === 'string') throw new TypeError(`upstream ${upstream}: ${hp}`);
  return { host: hp.host === '' ? 'localhost' : hp.host, port: hp.port };
}
