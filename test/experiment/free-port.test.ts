import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { after, describe, it } from 'node:test';
import { ephemeralPortRange, freePort } from '../../src/experiment/free-port.js';

describe('freePort', () => {
  const held: Server[] = [];
  after(() => {
    for (const s of held) s.close();
  });

  it('gives ports below the ephemeral range, where no outgoing connection is given one, each bindable', async () => {
    const range = ephemeralPortRange();
    assert.ok(range, 'Linux exposes /proc/sys/net/ipv4/ip_local_port_range');
    const ports = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const port = await freePort();
      assert.ok(port >= 10_000 && port < range[0], `${port} below ${range[0]}`);
      const s = createServer().listen(port, '127.0.0.1');
      await once(s, 'listening');
      held.push(s); // held, so the next picks must avoid it
      ports.add(port);
    }
    assert.equal(ports.size, 20, 'a port in use is never given');
  });
});
