/**
 * One SSH connection per host, reused for every command, so a fleet of hosts costs one handshake each instead
 * of one per command. Commands run in long-lived shells on that connection (shell.ts) — a new SSH session per
 * command costs the server a fork and a login shell, ten times the round trip itself — one command at a time
 * per shell, as many shells per host as commands run at once. The pool owns the policy — sharing one connect
 * among concurrent callers, a cap on channels per host (sshd refuses beyond its MaxSessions), timeouts,
 * reconnecting after a drop, errors that name the host — and an SshConnector owns the wire (ssh2).
 */
import type { Duplex } from 'node:stream';
import { type CommandOutput, shellQuote } from './command-output.js';
import { SshError } from './errors.js';
import type { Host } from './host.js';
import {
  RemoteShell,
  type SessionStream,
  ShellClosedError,
  ShellUnavailableError,
  shellCommand,
} from './shell.js';

/** A channel could not be opened: the command never started, so running it on a new connection is safe. */
export class ChannelOpenError extends Error {
  override readonly name = 'ChannelOpenError';
}

/** The connection dropped while the command ran: whether it ran is unknown, so it is not retried. */
export class ConnectionLostError extends Error {
  override readonly name = 'ConnectionLostError';
}

/** One open, authenticated SSH connection. */
export interface SshConnection {
  /**
   * Runs `command` on a new channel. When `abort` fires the channel is closed (and the command signalled) and
   * the promise rejects with abort.reason. Rejects with ChannelOpenError or ConnectionLostError as above.
   */
  exec(command: string, abort: AbortSignal): Promise<CommandOutput>;
  /**
   * Opens a session running `command` and hands over its streams (the pool runs a shell in it). Absent: every
   * command gets a session of its own through `exec`. Rejects with ChannelOpenError as exec does.
   */
  session?(command: string): Promise<SessionStream>;
  /**
   * Opens a TCP connection from the host to `address:port` (a direct-tcpip channel, `ssh -L`'s). Rejects with
   * ForwardRefusedError when the host could not connect or refuses forwarding, ChannelOpenError when the
   * connection is gone.
   */
  forward?(address: string, port: number): Promise<Duplex>;
  /** Resolves when the connection is gone, whoever closed it. */
  readonly closed: Promise<void>;
  close(): void;
}

/** The host refused or failed to open a forwarded connection; `reason` is SSH's (2: the connect failed). */
export class ForwardRefusedError extends Error {
  override readonly name = 'ForwardRefusedError';
  readonly reason: number | undefined;

  constructor(message: string, reason: number | undefined) {
    super(message);
    this.reason = reason;
  }
}

/** SSH_OPEN_CONNECT_FAILED: the host could not connect to the forward's address (nothing listens there). */
export const FORWARD_CONNECT_FAILED = 2;

export interface SshConnector {
  /** Connects and authenticates within timeoutMs; rejects with an SshError naming the host. */
  connect(host: Host, timeoutMs: number): Promise<SshConnection>;
}

export interface PoolOptions {
  /** TCP connect, handshake and authentication together (default 10 s). */
  connectTimeoutMs?: number;
  /** Default per-command timeout (default 60 s). */
  commandTimeoutMs?: number;
  /** Channels open at once per host (default 8; OpenSSH's MaxSessions defaults to 10). */
  maxChannelsPerHost?: number;
}

export interface ExecOptions {
  timeoutMs?: number;
  /** Throw FLEET_SSH_COMMAND_FAILED on a non-zero exit (default true); false returns the result. */
  check?: boolean;
}

export interface ExecResult extends CommandOutput {
  host: string;
  command: string;
  durationMs: number;
}

interface Slot {
  connection?: Promise<SshConnection>;
  /** The connection once `connection` resolved. */
  live?: SshConnection;
  connects: number;
  running: number;
  waiting: Array<() => void>;
  /** Shells on `live` waiting for a command. */
  idle: RemoteShell[];
  /** The host's shell would not start: every command gets a session of its own. */
  noShell: boolean;
}

export class SshPool {
  readonly #connector: SshConnector;
  readonly #connectTimeoutMs: number;
  readonly #commandTimeoutMs: number;
  readonly #maxChannels: number;
  readonly #slots = new Map<string, Slot>();
  #closed = false;

  constructor(connector: SshConnector, options: PoolOptions = {}) {
    this.#connector = connector;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.#commandTimeoutMs = options.commandTimeoutMs ?? 60_000;
    this.#maxChannels = options.maxChannelsPerHost ?? 8;
  }

  /** How many connections the pool has opened to a host so far (reuse keeps it at 1). */
  connects(hostName: string): number {
    return this.#slots.get(hostName)?.connects ?? 0;
  }

  async exec(host: Host, command: string, options: ExecOptions = {}): Promise<ExecResult> {
    if (this.#closed) throw new SshError('FLEET_SSH_CLOSED', host.name, 'the SSH pool is closed');
    const slot = this.#slot(host.name);
    await this.#acquire(slot);
    const started = performance.now();
    const timeoutMs = options.timeoutMs ?? this.#commandTimeoutMs;
    try {
      const output = await this.#run(host, slot, command, timeoutMs);
      const result = { host: host.name, command, ...output, durationMs: performance.now() - started };
      if ((options.check ?? true) && output.status !== 0) throw failed(result);
      return result;
    } finally {
      this.#release(slot);
    }
  }

  /**
   * A TCP connection from the host to `address:port` over its pooled SSH connection (`ssh -L`), so a service
   * listening on the host's loopback only is reached without exposing it. Rejects with an SshError naming the
   * host: FLEET_SSH_FORWARD_REFUSED (its `cause` a ForwardRefusedError) when the host could not connect.
   */
  async forward(host: Host, address: string, port: number): Promise<Duplex> {
    if (this.#closed) throw new SshError('FLEET_SSH_CLOSED', host.name, 'the SSH pool is closed');
    const slot = this.#slot(host.name);
    const where = `${address}:${port}`;
    for (let attempt = 1; ; attempt++) {
      const connection = await this.#connection(host, slot);
      if (!connection.forward)
        throw new SshError(
          'FLEET_SSH_FORWARD_REFUSED',
          host.name,
          'this connector cannot forward connections',
        );
      try {
        return await connection.forward(address, port);
      } catch (err) {
        if (err instanceof ForwardRefusedError)
          throw new SshError(
            'FLEET_SSH_FORWARD_REFUSED',
            host.name,
            `cannot connect to ${where} from the host: ${err.message}`,
            { cause: err },
          );
        this.#drop(slot, connection);
        if (err instanceof ChannelOpenError && attempt === 1) continue;
        throw new SshError(
          'FLEET_SSH_DISCONNECTED',
          host.name,
          `could not forward to ${where}: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
    }
  }

  /** Closes every connection; later exec calls fail with FLEET_SSH_CLOSED. */
  async close(): Promise<void> {
    this.#closed = true;
    const open = [...this.#slots.values()].flatMap((s) => (s.connection ? [s.connection] : []));
    this.#slots.clear();
    await Promise.all(
      open.map(async (p) => {
        const c = await p.catch(() => undefined);
        c?.close();
        await c?.closed;
      }),
    );
  }

  async #run(host: Host, slot: Slot, command: string, timeoutMs: number): Promise<CommandOutput> {
    // Two attempts only when the first could not even open a channel: a connection that died while idle is
    // noticed there, and the command has not run.
    for (let attempt = 1; ; attempt++) {
      const connection = await this.#connection(host, slot);
      const abort = new AbortController();
      const timer = setTimeout(
        () =>
          abort.abort(
            new SshError(
              'FLEET_SSH_COMMAND_TIMEOUT',
              host.name,
              `command timed out after ${timeoutMs} ms: ${command}`,
            ),
          ),
        timeoutMs,
      );
      try {
        return await this.#runOn(host, slot, connection, command, abort.signal);
      } catch (err) {
        if (err instanceof SshError) throw err;
        this.#drop(slot, connection);
        if (err instanceof ChannelOpenError && attempt === 1) continue;
        const lost = err instanceof ConnectionLostError;
        throw new SshError(
          'FLEET_SSH_DISCONNECTED',
          host.name,
          `${lost ? 'connection lost while running' : 'could not run'} ${command}: ${(err as Error).message}`,
          { cause: err },
        );
      } finally {
        clearTimeout(timer);
      }
    }
  }

  /**
   * Runs the command in an idle shell of the connection, or a new one; a shell that fails to start sends this
   * host's commands to sessions of their own from then on.
   */
  async #runOn(
    host: Host,
    slot: Slot,
    connection: SshConnection,
    command: string,
    abort: AbortSignal,
  ): Promise<CommandOutput> {
    const wire = host.become ? `sudo -n -- sh -c ${shellQuote(command)}` : command;
    if (connection.session && !slot.noShell) {
      let shell = slot.idle.pop();
      if (!shell) {
        const stream = await connection.session(shellCommand(host.become));
        try {
          shell = await RemoteShell.start(stream, host.become, abort);
        } catch (err) {
          if (!(err instanceof ShellUnavailableError)) throw err;
          // a session of its own works where the shell did not: the host's commands go that way from now on
          // (when the connection is gone instead, exec rejects and the caller reconnects)
          const output = await connection.exec(wire, abort);
          slot.noShell = true;
          return output;
        }
      }
      try {
        const output = await shell.run(command, abort);
        if (shell.usable && slot.live === connection) slot.idle.push(shell);
        else shell.close();
        return output;
      } catch (err) {
        shell.close();
        throw err instanceof ShellClosedError ? new ConnectionLostError(err.message) : err;
      }
    }
    return connection.exec(wire, abort);
  }

  /** The host's connection, opening it when there is none; concurrent callers share one connect. */
  #connection(host: Host, slot: Slot): Promise<SshConnection> {
    if (slot.connection) return slot.connection;
    slot.connects++;
    const pending = this.#connector.connect(host, this.#connectTimeoutMs).then(
      (c) => {
        // Forget it once it closes, so the next command reconnects.
        if (slot.connection === pending) slot.live = c;
        void c.closed.then(() => this.#drop(slot, c));
        return c;
      },
      (err: unknown) => {
        if (slot.connection === pending) slot.connection = undefined;
        throw err instanceof SshError
          ? err
          : new SshError('FLEET_SSH_UNREACHABLE', host.name, String((err as Error)?.message ?? err), {
              cause: err,
            });
      },
    );
    slot.connection = pending;
    return pending;
  }

  /** Forgets a connection (synchronously, so a retry right after connects anew) and closes it. */
  #drop(slot: Slot, connection: SshConnection): void {
    if (slot.live === connection) {
      slot.live = undefined;
      slot.connection = undefined;
      for (const shell of slot.idle.splice(0)) shell.close();
    }
    connection.close();
  }

  #slot(name: string): Slot {
    let slot = this.#slots.get(name);
    if (!slot) {
      slot = { connects: 0, running: 0, waiting: [], idle: [], noShell: false };
      this.#slots.set(name, slot);
    }
    return slot;
  }

  async #acquire(slot: Slot): Promise<void> {
    if (slot.running < this.#maxChannels) {
      slot.running++;
      return;
    }
    // The releasing caller hands its place over directly, so `running` never dips below the cap in between.
    await new Promise<void>((resolve) => slot.waiting.push(resolve));
  }

  #release(slot: Slot): void {
    const next = slot.waiting.shift();
    if (next) next();
    else slot.running--;
  }
}

function failed(result: ExecResult): SshError {
  const how =
    result.status === null ? `was killed by ${result.signal ?? 'a signal'}` : `exited ${result.status}`;
  const stderr = result.stderr.trim().split('\n').slice(-3).join(' | ');
  return new SshError(
    'FLEET_SSH_COMMAND_FAILED',
    result.host,
    `${result.command} ${how}${stderr ? `: ${stderr}` : ''}`,
    { status: result.status },
  );
}
