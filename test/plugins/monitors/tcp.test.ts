import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { monitorImplementations } from '../../../src/plugins/monitors/index.js';
import { ctx } from './helpers.js';

describe('tcp monitor', () => {
  let server: Server;
  let port = 0;
  let closedPort = 0;
  before(async () => {
    server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('is up when a real listener accepts', async () => {
    const r = await monitorImplementations.create({ type: 'tcp', port }).sample(ctx());
    assert.equal(r.ok, true);
    assert.equal(r.detail, `connected to 127.0.0.1:${port}`);
  });

  it('is down on a closed port, with the error', async () => {
    const r = await monitorImplementations.create({ type: 'tcp', port: closedPort }).sample(ctx());
    assert.equal(r.ok, false);
    assert.match(r.error ?? '', /ECONNREFUSED/);
  });

  it('is down when the sample is aborted before connecting', async () => {
    const c = new AbortController();
    c.abort();
    const r = await monitorImplementations
      .create({ type: 'tcp', port })
      .sample({ signal: c.signal, timeoutMs: 1 });
    assert.equal(r.ok, false);
  });

  it('rejects an unresolved port template naming the field', () => {
    assert.throws(() => monitorImplementations.create({ type: 'tcp', port: '{{ports.http}}' }), /port/);
  });
});
