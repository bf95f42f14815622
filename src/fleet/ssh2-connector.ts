/**
 * The SshConnector that speaks SSH, through the `ssh2` package: one authenticated connection per connect, each
 * command a channel on it. Host keys follow host-key.ts (known_hosts by default, `accept-new` only when asked),
 * authentication uses the host's key file or else the SSH agent, and every failure becomes an SshError whose
 * message starts with the host's name.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Client, ClientChannel, ConnectConfig } from 'ssh2';
import { ssh2 } from '../deps/lazy.js';
import type { CommandOutput } from './command-output.js';
import { SshError } from './errors.js';
import type { Host } from './host.js';
import { type HostKeyPolicy, verifyHostKey } from './host-key.js';
import { fileKnownHosts, type KnownHostsStore, knownKeyTypes, parseKnownHosts } from './known-hosts.js';
import {
  ChannelOpenError,
  ConnectionLostError,
  ForwardRefusedError,
  type SshConnection,
  type SshConnector,
} from './pool.js';
import type { SessionStream } from './shell.js';

export interface Ssh2ConnectorOptions {
  /** A known_hosts path or store (default `~/.ssh/known_hosts`). */
  knownHosts?: string | KnownHostsStore;
  /** 'strict' (default) refuses a host not in known_hosts; 'accept-new' trusts it once and records its key. */
  hostKey?: HostKeyPolicy;
  /** Agent socket for hosts without `identity` (default `SSH_AUTH_SOCK`). */
  agent?: string;
  /** Keep-alive probe interval on an idle connection (default 15 s; 0 turns it off). */
  keepaliveIntervalMs?: number;
  /** Unanswered probes before the connection counts as dead (default 3). */
  keepaliveCountMax?: number;
}

/** Signal sent to a command whose timeout fired, before its channel is closed. */
const TIMEOUT_SIGNAL = 'KILL';

export class Ssh2Connector implements SshConnector {
  readonly #store: KnownHostsStore;
  readonly #policy: HostKeyPolicy;
  readonly #agent: string | undefined;
  readonly #keepaliveInterval: number;
  readonly #keepaliveCountMax: number;

  constructor(options: Ssh2ConnectorOptions = {}) {
    const known = options.knownHosts ?? join(homedir(), '.ssh', 'known_hosts');
    this.#store = typeof known === 'string' ? fileKnownHosts(known) : known;
    this.#policy = options.hostKey ?? 'strict';
    this.#agent = options.agent ?? process.env.SSH_AUTH_SOCK;
    this.#keepaliveInterval = options.keepaliveIntervalMs ?? 15_000;
    this.#keepaliveCountMax = options.keepaliveCountMax ?? 3;
  }

  async connect(host: Host, timeoutMs: number): Promise<SshConnection> {
    const config: ConnectConfig = {
      host: host.address,
      port: host.port,
      username: host.user,
      readyTimeout: timeoutMs,
      keepaliveInterval: this.#keepaliveInterval,
      keepaliveCountMax: this.#keepaliveCountMax,
    };
    if (host.identity !== undefined) {
      try {
        config.privateKey = await readFile(host.identity);
      } catch (err) {
        throw new SshError(
          'FLEET_SSH_AUTH',
          host.name,
          `cannot read key ${host.identity}: ${(err as Error).message}`,
          { cause: err },
        );
      }
    } else if (this.#agent) {
      config.agent = this.#agent;
    } else {
      throw new SshError('FLEET_SSH_AUTH', host.name, 'no key file (identity) and no SSH_AUTH_SOCK');
    }
    // Ask first for the key types known_hosts lists, so the server presents a key that can be checked.
    const types = knownKeyTypes(parseKnownHosts(await this.#store.read()), host.address, host.port);
    if (types.length > 0) config.algorithms = { serverHostKey: { prepend: types } as never };

    let keyError: SshError | undefined;
    config.hostVerifier = (key: Buffer, verify: (ok: boolean) => void) => {
      verifyHostKey(this.#store, host, key, this.#policy).then(
        () => verify(true),
        (err: unknown) => {
          keyError =
            err instanceof SshError
              ? err
              : new SshError(
                  'FLEET_SSH_HOST_KEY_UNKNOWN',
                  host.name,
                  `cannot check host key: ${String(err)}`,
                  {
                    cause: err,
                  },
                );
          verify(false);
        },
      );
    };

    const client = new (ssh2().Client)();
    return new Promise<SshConnection>((resolve, reject) => {
      let settled = false;
      const fail = (err: SshError) => {
        if (settled) return;
        settled = true;
        clearTimeout(guard);
        client.destroy();
        reject(err);
      };
      // readyTimeout covers TCP, handshake and authentication; this only guards against a hang past it.
      const guard = setTimeout(
        () => fail(new SshError('FLEET_SSH_UNREACHABLE', host.name, `no SSH session within ${timeoutMs} ms`)),
        timeoutMs + 1_000,
      );
      client.on('error', (err: Error & { level?: string }) => {
        if (!settled) fail(keyError ?? connectError(host, err, timeoutMs));
        // After ready an error ends the connection: `close` follows and the pool reconnects.
      });
      client.on('close', () => {
        if (!settled)
          fail(
            keyError ?? new SshError('FLEET_SSH_UNREACHABLE', host.name, 'connection closed during setup'),
          );
      });
      client.on('ready', () => {
        if (settled) return;
        settled = true;
        clearTimeout(guard);
        resolve(new Ssh2Connection(client));
      });
      try {
        client.connect(config);
      } catch (err) {
        fail(new SshError('FLEET_SSH_UNREACHABLE', host.name, (err as Error).message, { cause: err }));
      }
    });
  }
}

function connectError(
  host: Host,
  err: Error & { level?: string; code?: string },
  timeoutMs: number,
): SshError {
  const where = `${host.address}:${host.port}`;
  switch (err.level) {
    case 'client-authentication':
    case 'agent':
      return new SshError(
        'FLEET_SSH_AUTH',
        host.name,
        `${host.user}@${where} refused our key${host.identity ? ` (${host.identity})` : ' (agent)'}: ${err.message}`,
        { cause: err },
      );
    case 'client-timeout':
      return new SshError(
        'FLEET_SSH_UNREACHABLE',
        host.name,
        `no SSH session with ${where} within ${timeoutMs} ms`,
        {
          cause: err,
        },
      );
    default:
      return new SshError(
        'FLEET_SSH_UNREACHABLE',
        host.name,
        `cannot connect to ${where}: ${err.code ? `${err.code} ` : ''}${err.message}`,
        { cause: err },
      );
  }
}

class Ssh2Connection implements SshConnection {
  readonly closed: Promise<void>;
  readonly #client: Client;
  #gone = false;

  constructor(client: Client) {
    this.#client = client;
    this.closed = new Promise<void>((resolve) =>
      client.once('close', () => {
        this.#gone = true;
        resolve();
      }),
    );
  }

  exec(command: string, abort: AbortSignal): Promise<CommandOutput> {
    return new Promise<CommandOutput>((resolve, reject) => {
      if (abort.aborted) return reject(abort.reason);
      if (this.#gone) return reject(new ChannelOpenError('not connected'));
      let channel: ClientChannel | undefined;
      let done = false;
      const finish = (fn: () => void) => {
        if (done) return;
        done = true;
        abort.removeEventListener('abort', onAbort);
        fn();
      };
      const onAbort = () => {
        finish(() => reject(abort.reason));
        if (channel) {
          try {
            channel.signal(TIMEOUT_SIGNAL);
          } catch {
            // The server may not take signal requests; closing the channel is what counts.
          }
          channel.close();
        }
      };
      abort.addEventListener('abort', onAbort, { once: true });
      const opened = (err: Error | undefined, stream: ClientChannel) => {
        if (err) return finish(() => reject(new ChannelOpenError(err.message)));
        channel = stream;
        if (done) {
          stream.close(); // aborted while the channel was opening
          return;
        }
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        let status: number | null | undefined;
        let signal: string | null = null;
        stream.on('data', (b: Buffer) => stdout.push(b));
        stream.stderr.on('data', (b: Buffer) => stderr.push(b));
        stream.on('exit', (code: number | null, sig?: string) => {
          status = code ?? null;
          signal = sig ?? null; // ssh2 reports it as SIGKILL, SIGTERM, …
        });
        stream.on('close', () => {
          if (status === undefined)
            return finish(() =>
              reject(
                new ConnectionLostError(
                  this.#gone ? 'connection closed' : 'channel closed without an exit status',
                ),
              ),
            );
          finish(() =>
            resolve({
              stdout: Buffer.concat(stdout).toString('utf8'),
              stderr: Buffer.concat(stderr).toString('utf8'),
              status: status ?? null,
              signal,
            }),
          );
        });
      };
      try {
        this.#client.exec(command, opened);
      } catch (err) {
        finish(() => reject(new ChannelOpenError((err as Error).message)));
      }
    });
  }

  session(command: string): Promise<SessionStream> {
    return new Promise<SessionStream>((resolve, reject) => {
      if (this.#gone) return reject(new ChannelOpenError('not connected'));
      try {
        this.#client.exec(command, (err, stream) =>
          err ? reject(new ChannelOpenError(err.message)) : resolve(stream),
        );
      } catch (err) {
        reject(new ChannelOpenError((err as Error).message));
      }
    });
  }

  forward(address: string, port: number): Promise<Duplex> {
    return new Promise<Duplex>((resolve, reject) => {
      if (this.#gone) return reject(new ChannelOpenError('not connected'));
      try {
        this.#client.forwardOut('127.0.0.1', 0, address, port, (err, stream) => {
          if (!err) return resolve(stream);
          // a channel open failure with a reason is the host's answer; without one the connection went away
          const reason = (err as Error & { reason?: unknown }).reason;
          if (typeof reason === 'number') reject(new ForwardRefusedError(err.message, reason));
          else reject(new ChannelOpenError(err.message));
        });
      } catch (err) {
        reject(new ChannelOpenError((err as Error).message));
      }
    });
  }

  close(): void {
    if (this.#gone) return;
    this.#client.end();
    // A peer that never answers our disconnect must not keep the socket open.
    setTimeout(() => this.#gone || this.#client.destroy(), 2_000).unref();
  }
}
