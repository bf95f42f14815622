/**
 * The pool's policy (reuse, sharing a connect, the channel cap, retry only when nothing ran, timeouts, errors
 * naming the host) against an in-memory SshConnector: the wire itself is tested against the real test bed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CommandOutput, shellQuote } from '../../src/fleet/command-output.js';
import { SshError } from '../../src/fleet/errors.js';
import type { Host } from '../../src/fleet/host.js';
import {
  ChannelOpenError,
  ConnectionLostError,
  type SshConnection,
  type SshConnector,
  SshPool,
} from '../../src/fleet/pool.js';

const host = (name: string, extra: Partial<Host> = {}): Host => ({
  name,
  address: '192.0.2.1',
  port: 22,
  user: 'root',
  groups: [],
  labels: {},
  become: false,
  ...extra,
});

type Behaviour = (command: string, abort: AbortSignal) => Promise<CommandOutput>;

/** Connections that run commands by `behaviour`; `kill()` drops the latest like a server ending the session. */
class FakeConnector implements SshConnector {
  connections: Array<SshConnection & { kill(): void; dead: boolean }> = [];
  running = 0;
  maxRunning = 0;
  failConnect: Error | undefined;
  behaviour: Behaviour = async (command) => ({ stdout: `${command}\n`, stderr: '', status: 0, signal: null });

  async connect(h: Host): Promise<SshConnection> {
    await new Promise((r) => setTimeout(r, 5));
    if (this.failConnect) throw this.failConnect;
    let close!: () => void;
    const closed = new Promise<void>((r) => {
      close = r;
    });
    const fake = this;
    const conn = {
      dead: false,
      closed,
      close() {
        conn.dead = true;
        close();
      },
      kill() {
        conn.dead = true; // the pool has not noticed yet: `closed` stays pending
      },
      async exec(command: string, abort: AbortSignal) {
        if (conn.dead) throw new ChannelOpenError(`${h.name}: not connected`);
        fake.running++;
        fake.maxRunning = Math.max(fake.maxRunning, fake.running);
        try {
          return await fake.behaviour(command, abort);
        } finally {
          fake.running--;
        }
      },
    };
    this.connections.push(conn);
    return conn;
  }
}

const isSsh = (code: string, hostName: string) => (e: unknown) =>
  e instanceof SshError && e.code === code && e.host === hostName && e.message.startsWith(`${hostName}: `);

describe('SshPool', () => {
  it('reuses one connection per host for every command, sequential or concurrent', async () => {
    const fake = new FakeConnector();
    const pool = new SshPool(fake);
    const [a, b] = [host('a'), host('b')];
    for (let i = 0; i < 20; i++) assert.equal((await pool.exec(a, `echo ${i}`)).stdout, `echo ${i}\n`);
    await Promise.all(Array.from({ length: 20 }, (_, i) => pool.exec(b, `echo ${i}`)));
    assert.equal(pool.connects('a'), 1);
    assert.equal(pool.connects('b'), 1, 'concurrent first commands share one connect');
    assert.equal(fake.connections.length, 2);
    await pool.close();
  });

  it('caps the channels open at once per host', async () => {
    const fake = new FakeConnector();
    fake.behaviour = async (c) => {
      await new Promise((r) => setTimeout(r, 10));
      return { stdout: c, stderr: '', status: 0, signal: null };
    };
    const pool = new SshPool(fake, { maxChannelsPerHost: 3 });
    await Promise.all(Array.from({ length: 12 }, () => pool.exec(host('a'), 'sleep')));
    assert.equal(fake.maxRunning, 3);
    await pool.close();
  });

  it('reconnects after a drop, retrying a command that never started', async () => {
    const fake = new FakeConnector();
    const pool = new SshPool(fake);
    await pool.exec(host('a'), 'true');
    fake.connections[0]?.kill();
    assert.equal((await pool.exec(host('a'), 'hostname')).stdout, 'hostname\n');
    assert.equal(pool.connects('a'), 2);
    fake.connections[1]?.close(); // noticed: the next command connects without a failed attempt
    await new Promise((r) => setImmediate(r));
    await pool.exec(host('a'), 'true');
    assert.equal(pool.connects('a'), 3);
    await pool.close();
  });

  it('does not retry a command the drop interrupted', async () => {
    const fake = new FakeConnector();
    fake.behaviour = async () => {
      throw new ConnectionLostError('connection reset');
    };
    const pool = new SshPool(fake);
    await assert.rejects(pool.exec(host('a'), 'rm -f x'), isSsh('FLEET_SSH_DISCONNECTED', 'a'));
    assert.equal(pool.connects('a'), 1);
    await pool.close();
  });

  it('times a command out, naming the host', async () => {
    const fake = new FakeConnector();
    fake.behaviour = (_c, abort) =>
      new Promise((_r, reject) => abort.addEventListener('abort', () => reject(abort.reason)));
    const pool = new SshPool(fake, { commandTimeoutMs: 20 });
    await assert.rejects(pool.exec(host('a'), 'sleep 9'), isSsh('FLEET_SSH_COMMAND_TIMEOUT', 'a'));
    await pool.close();
  });

  it('fails a non-zero exit naming the host, or returns it when asked', async () => {
    const fake = new FakeConnector();
    fake.behaviour = async () => ({ stdout: '', stderr: 'no such file\n', status: 2, signal: null });
    const pool = new SshPool(fake);
    await assert.rejects(pool.exec(host('web3'), 'cat x'), (e) => {
      assert.ok(isSsh('FLEET_SSH_COMMAND_FAILED', 'web3')(e));
      assert.equal((e as SshError).status, 2);
      assert.equal((e as SshError).message, 'web3: cat x exited 2: no such file');
      return true;
    });
    assert.equal((await pool.exec(host('web3'), 'cat x', { check: false })).status, 2);
    await pool.close();
  });

  it('passes connect errors on, wraps foreign ones, and tries again next time', async () => {
    const fake = new FakeConnector();
    fake.failConnect = new Error('connect ECONNREFUSED');
    const pool = new SshPool(fake);
    await assert.rejects(pool.exec(host('a'), 'true'), isSsh('FLEET_SSH_UNREACHABLE', 'a'));
    fake.failConnect = undefined;
    await pool.exec(host('a'), 'true');
    assert.equal(pool.connects('a'), 2);
    await pool.close();
    await assert.rejects(pool.exec(host('a'), 'true'), isSsh('FLEET_SSH_CLOSED', 'a'));
  });

  it('runs become hosts through sudo, the command quoted as one word', async () => {
    const fake = new FakeConnector();
    const pool = new SshPool(fake);
    const r = await pool.exec(host('a', { become: true }), "echo 'hi'");
    assert.equal(r.stdout, `sudo -n -- sh -c 'echo '\\''hi'\\'''\n`);
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
    await pool.close();
  });
});
