import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { injectedFault, traceOf, wrap } from '../../src/index.js';
import { freePort } from '../helpers/redis.js';

/** What a caller can see of a system error: its message, its fields, and which fields it has. */
function seen(err: unknown): Record<string, unknown> {
  assert.ok(err instanceof Error, `expected an Error, got ${String(err)}`);
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number; dest?: string };
  const { message, code, errno, syscall, path, dest, address, port } = e;
  return { message, code, errno, syscall, path, dest, address, port, keys: Object.keys(e).sort() };
}

async function settle(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  assert.fail('did not fail');
}

/** The error a socket or server emits (an unwrapped one, or the target of a driver). */
async function emitted(emitter: NodeJS.EventEmitter): Promise<unknown> {
  const [err] = await once(emitter, 'error').catch((e: unknown) => [e]);
  return err;
}

describe('injected system errors carry the fields Node gives the same call', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(join(tmpdir(), 'faultline-details-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('fs.promises.readFile of a missing file: path, syscall open, message', async () => {
    const missing = join(dir, 'missing.json');
    const chaosFs = wrap(fsp, { name: 'fs', seed: 1, faults: [{ methods: 'readFile', error: 'ENOENT' }] });
    const real = seen(await settle(() => fsp.readFile(missing)));
    const injected = seen(await settle(() => chaosFs.readFile(missing)));
    assert.equal(real.path, missing);
    assert.deepEqual(injected, real);
  });

  test('sync, callback and two-path fs calls, and file URLs', async () => {
    const missing = join(dir, 'missing');
    const target = join(dir, 'target');
    const chaosFs = wrap(fs, {
      name: 'fs',
      seed: 1,
      faults: [{ methods: ['readFileSync', 'stat', 'readdirSync'], error: 'ENOENT' }],
    });
    const sync = (run: () => unknown) => {
      try {
        run();
      } catch (err) {
        return seen(err);
      }
      assert.fail('did not throw');
    };
    assert.deepEqual(
      sync(() => chaosFs.readFileSync(missing)),
      sync(() => fs.readFileSync(missing)),
    );
    assert.deepEqual(
      sync(() => chaosFs.readdirSync(missing)),
      sync(() => fs.readdirSync(missing)),
      'readdir fails in scandir',
    );
    const viaCallback = (stat: typeof fs.stat) =>
      new Promise((resolve) => stat(missing, (err) => resolve(seen(err))));
    assert.deepEqual(await viaCallback(chaosFs.stat), await viaCallback(fs.stat));

    const chaosFsp = wrap(fsp, {
      name: 'fsp',
      seed: 1,
      faults: [{ methods: ['rename', 'copyFile', 'readFile'], error: 'ENOENT' }],
    });
    const twoPaths = [
      [fsp.rename, chaosFsp.rename],
      [fsp.copyFile, chaosFsp.copyFile],
    ] as const;
    for (const [realCall, chaosCall] of twoPaths) {
      const real = seen(await settle(() => realCall(missing, target)));
      assert.equal(real.dest, target);
      assert.deepEqual(seen(await settle(() => chaosCall(missing, target))), real, realCall.name);
    }
    const url = new URL(`file://${missing}`);
    assert.deepEqual(
      seen(await settle(() => chaosFsp.readFile(url))),
      seen(await settle(() => fsp.readFile(url))),
    );
  });

  test('net.connect to a closed port: address and port', async () => {
    const closed = await freePort();
    const real = seen(await emitted(net.connect(closed, '127.0.0.1')));
    assert.equal(real.address, '127.0.0.1');
    assert.equal(real.port, closed);

    // An emitted fault lets the call through: it connects to a listening server and is told it was refused.
    const server = net.createServer((socket) => socket.destroy());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    const expected = { ...real, port, message: String(real.message).replace(`:${closed}`, `:${port}`) };
    try {
      const chaosNet = wrap(net, {
        name: 'net',
        seed: 1,
        faults: [{ methods: 'connect', error: 'ECONNREFUSED', emit: true }],
      });
      for (const socket of [
        chaosNet.connect(port, '127.0.0.1'),
        chaosNet.connect({ port, host: 'localhost' }),
      ]) {
        const injected = await emitted(socket);
        assert.ok(injectedFault(injected), 'the injected error, not a real one');
        assert.deepEqual(seen(injected), expected);
      }
    } finally {
      server.close();
    }
  });

  test('server.listen on a port in use: listen EADDRINUSE with the address', async () => {
    const busy = net.createServer();
    busy.listen(0, '127.0.0.1');
    await once(busy, 'listening');
    const { port } = busy.address() as net.AddressInfo;
    const plain = net.createServer();
    plain.listen(port, '127.0.0.1');
    const real = seen(await emitted(plain));
    busy.close();
    assert.match(String(real.message), /^listen EADDRINUSE: address already in use 127\.0\.0\.1:\d+$/);

    // An emitted fault lets the call through, so the driver's server listens on a free port and is told it is in use.
    const free = await freePort();
    const server = net.createServer();
    const chaosServer = wrap(server, {
      name: 'server',
      seed: 1,
      faults: [{ methods: 'listen', error: 'EADDRINUSE', emit: 'self' }],
    });
    const events = Promise.all([emitted(server), once(server, 'listening')]);
    chaosServer.listen(free, '127.0.0.1');
    const [injected] = await events;
    server.close();
    assert.ok(injectedFault(injected));
    assert.deepEqual(seen(injected), {
      ...real,
      port: free,
      message: String(real.message).replace(`:${port}`, `:${free}`),
    });
  });

  test('a method that only shares a name with an fs call gets no file details', async () => {
    const store = wrap(
      {
        async readFile(_name: string) {
          return 'contents';
        },
      },
      { name: 'store', seed: 1, faults: [{ methods: 'readFile', error: 'ENOENT' }] },
    );
    const err = seen(await settle(() => store.readFile('a.txt')));
    assert.equal(err.path, undefined);
    assert.equal(err.message, 'ENOENT: no such file or directory, open');
  });

  test('a replay without the rules gives the replayed call its own path', async () => {
    const first = join(dir, 'first');
    const second = join(dir, 'second');
    const recorded = wrap(fsp, { name: 'fs', seed: 1, faults: [{ methods: 'readFile', error: 'ENOENT' }] });
    await settle(() => recorded.readFile(first));
    const replayed = wrap(fsp, { name: 'fs', seed: 1, replay: traceOf(recorded).toJSON() });
    const err = seen(await settle(() => replayed.readFile(second)));
    assert.deepEqual(err, seen(await settle(() => fsp.readFile(second))));
  });
});
