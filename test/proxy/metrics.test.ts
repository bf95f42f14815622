/** GET /metrics: Prometheus text with bytes per proxy and direction, connections, and toxics applied. */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import {
  connect,
  eventually,
  readBytes,
  startEchoServer,
  startProxyServer,
  type TestServer,
} from './helpers.js';

let echo: TestServer;
let server: Awaited<ReturnType<typeof startProxyServer>>;

before(async () => {
  echo = await startEchoServer();
  server = await startProxyServer({ seed: 3 });
});
after(async () => {
  await server.close();
  await echo.close();
});

function value(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      return Number(line.split(' ').pop());
  }
  return undefined;
}

it('counts bytes per direction, connections and the connections each toxic acted on', async () => {
  const p = await server.createProxy({ name: 'm', listen: '127.0.0.1:0', upstream: echo.address });
  await server.addToxic('m', { name: 'half', type: 'latency', toxicity: 0.5, attributes: { latency: 1 } });
  const port = Number(p.listen.split(':')[1]);
  for (let i = 0; i < 10; i++) {
    const s = await connect(port);
    s.write(Buffer.alloc(1000 + i));
    await readBytes(s, 1000 + i);
    s.destroy();
  }
  await eventually(
    () => server.getProxy('m') !== undefined && [...server.proxies()][0]!.connections.size === 0,
  );
  const res = await fetch(`${server.api}/metrics`);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await res.text();
  const total = 10 * 1000 + 45;
  for (const direction of ['upstream', 'downstream']) {
    for (const name of ['toxiproxy_proxy_received_bytes_total', 'toxiproxy_proxy_sent_bytes_total']) {
      assert.equal(
        value(text, name, { proxy: 'm', direction, listener: p.listen, upstream: echo.address }),
        total,
      );
    }
  }
  assert.equal(value(text, 'faultline_proxy_connections_total', { proxy: 'm' }), 10);
  assert.equal(value(text, 'faultline_proxy_connections_active', { proxy: 'm' }), 0);
  const applied = value(text, 'faultline_proxy_toxics_applied_total', {
    proxy: 'm',
    toxic: 'half',
    type: 'latency',
  });
  assert.ok(applied !== undefined && applied > 0 && applied < 10, `applied to ${applied} of 10`);
  assert.match(text, /# TYPE toxiproxy_proxy_sent_bytes_total counter/);
});
