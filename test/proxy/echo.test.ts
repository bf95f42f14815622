/**
 * Real sockets through the proxy to an echo upstream: bytes arrive intact and in order through slicer and
 * latency, bandwidth and limit_data hold their numbers, toxics change on live connections without dropping
 * them, and connection-level behaviour (half-close, disable, upstream down, reset, timeout) is Toxiproxy's.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomStream } from '../../src/core/random.js';
import { drawsToxic } from '../../src/proxy/index.js';
import {
  connect,
  eventually,
  payload,
  portOf,
  readAll,
  readBytes,
  startEchoServer,
  startProxyServer,
  startServer,
  useEchoAndProxy,
} from './helpers.js';

const ctx = useEchoAndProxy();
const { proxyTo } = ctx;

/** Writes `data` in pieces while reading the echo; resolves with what came back. */
async function roundTrip(port: number, data: Buffer): Promise<Buffer> {
  const s = await connect(port);
  const got = readBytes(s, data.length);
  for (let i = 0; i < data.length; i += 7919) s.write(data.subarray(i, i + 7919));
  const out = await got;
  s.destroy();
  return out;
}

describe('byte-exact echo', () => {
  it('random payloads through slicer (both streams) arrive intact and in order', async () => {
    const port = await proxyTo('slicer');
    for (const stream of ['upstream', 'downstream']) {
      await ctx.server.addToxic('slicer', {
        name: `s_${stream}`,
        type: 'slicer',
        stream,
        attributes: { average_size: 37, size_variation: 30, delay: 20 },
      });
    }
    for (const seed of [1, 2, 3]) {
      const data = payload(200_000 + seed * 1013, seed);
      assert.ok((await roundTrip(port, data)).equals(data), `payload ${seed}`);
    }
  });

  it('random payloads through latency with jitter arrive intact and in order', async () => {
    const port = await proxyTo('lat');
    await ctx.server.addToxic('lat', { type: 'latency', attributes: { latency: 5, jitter: 5 } });
    await ctx.server.addToxic('lat', {
      type: 'latency',
      stream: 'upstream',
      attributes: { latency: 3, jitter: 3 },
    });
    const data = payload(1_000_000, 9);
    assert.ok((await roundTrip(port, data)).equals(data));
  });

  it('latency adds the configured delay to a round trip, once', async () => {
    const port = await proxyTo('lat100');
    await ctx.server.addToxic('lat100', { type: 'latency', attributes: { latency: 100 } });
    const s = await connect(port);
    const t0 = performance.now();
    s.write('x');
    await readBytes(s, 1);
    const rtt = performance.now() - t0;
    s.destroy();
    // at least the delay at any speed; under twice it, so it was added once and not on both directions
    assert.ok(rtt >= 99.5 && rtt < 199.5, `rtt ${rtt.toFixed(2)} ms`);
  });
});

describe('bandwidth and limit_data', () => {
  it('bandwidth: never faster than the configured rate, and not starved below half of it', async () => {
    const port = await proxyTo('bw');
    await ctx.server.addToxic('bw', { type: 'bandwidth', attributes: { rate: 2000 } }); // 2 MB/s
    const s = await connect(port);
    const data = payload(2_000_000, 4); // 1 s at 2 MB/s
    const t0 = performance.now();
    const got = readBytes(s, data.length);
    s.write(data);
    const out = await got;
    const seconds = (performance.now() - t0) / 1000;
    s.destroy();
    assert.ok(out.equals(data));
    const rate = data.length / seconds / 1000;
    // the limit is an upper bound at any speed; a busy machine may only make the transfer slower
    assert.ok(rate <= 2000 * 1.05, `measured ${rate.toFixed(0)} KB/s for 2000 KB/s`);
    assert.ok(rate >= 2000 * 0.5, `measured ${rate.toFixed(0)} KB/s for 2000 KB/s`);
  });

  it('limit_data: the client receives exactly N bytes, then the end', async () => {
    const port = await proxyTo('limit');
    await ctx.server.addToxic('limit', { type: 'limit_data', attributes: { bytes: 12_345 } });
    const s = await connect(port);
    const all = readAll(s);
    s.write(payload(100_000, 5));
    const { data, error } = await all;
    assert.equal(error, undefined);
    assert.equal(data.length, 12_345);
    assert.ok(data.equals(payload(100_000, 5).subarray(0, 12_345)));
    s.destroy();
  });

  it('limit_data upstream: the server receives exactly N bytes', async () => {
    let received = 0;
    let resolveDone: () => void;
    const done = new Promise<void>((r) => {
      resolveDone = r;
    });
    const sink = await startServer((sock) => {
      sock.on('data', (c: Buffer) => {
        received += c.length;
      });
      sock.on('end', () => {
        sock.end();
        resolveDone();
      });
      sock.on('close', () => resolveDone());
    });
    const port = await proxyTo('limit_up', sink.address);
    await ctx.server.addToxic('limit_up', {
      type: 'limit_data',
      stream: 'upstream',
      attributes: { bytes: 1000 },
    });
    const s = await connect(port);
    s.on('error', () => {});
    s.write(payload(50_000));
    await done;
    assert.equal(received, 1000);
    s.destroy();
    await sink.close();
  });
});

describe('live toxics', () => {
  it('adding and removing toxics on a live connection keeps it and every byte', async () => {
    const port = await proxyTo('live');
    const s = await connect(port);
    const sent: Buffer[] = [];
    const received: Buffer[] = [];
    s.on('data', (c: Buffer) => received.push(c));
    const total = () => received.reduce((n, c) => n + c.length, 0);
    let seed = 100;
    let sentBytes = 0;
    // Each step sends, then waits until half of everything sent so far is back, so every toxic change lands
    // while bytes are in flight through the chain.
    const send = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const p = payload(1000 + (seed % 5000), seed++);
        sent.push(p);
        sentBytes += p.length;
        s.write(p);
      }
      await eventually(() => total() >= sentBytes / 2, 10_000, 'echo progress');
    };
    await send(20);
    await ctx.server.addToxic('live', { type: 'latency', attributes: { latency: 30, jitter: 10 } });
    await send(20);
    await ctx.server.addToxic('live', {
      type: 'slicer',
      stream: 'upstream',
      attributes: { average_size: 100, delay: 50 },
    });
    await send(20);
    await ctx.server.updateToxic('live', 'latency_downstream', { attributes: { latency: 5 } });
    await send(20);
    await ctx.server.addToxic('live', { type: 'bandwidth', attributes: { rate: 5000 } });
    await send(20);
    await ctx.server.removeToxic('live', 'latency_downstream'); // releases what it holds at once
    await send(20);
    await ctx.server.removeToxic('live', 'slicer_upstream');
    await ctx.server.updateToxic('live', 'bandwidth_downstream', { toxicity: 0 }); // no longer acts: removed live
    await send(20);
    const expected = Buffer.concat(sent);
    await eventually(() => total() >= expected.length, 10_000, 'all bytes echoed');
    assert.ok(Buffer.concat(received).equals(expected));
    assert.equal(s.destroyed, false);
    s.destroy();
  });
});

describe('connection behaviour', () => {
  it('half-close: the client may end its side and still read the whole reply', async () => {
    const slowEcho = await startServer((sock) => {
      const chunks: Buffer[] = [];
      sock.on('data', (c: Buffer) => chunks.push(c));
      sock.on('end', () => setImmediate(() => sock.end(Buffer.concat(chunks))));
      sock.on('error', () => {});
    });
    const port = await proxyTo('half', slowEcho.address);
    const s = await connect(port);
    const all = readAll(s);
    s.end(payload(300_000, 3));
    const { data } = await all;
    assert.ok(data.equals(payload(300_000, 3)));
    await slowEcho.close();
  });

  it('disable closes live connections and refuses new ones; enable listens again on the same address', async () => {
    const port = await proxyTo('toggle');
    const s = await connect(port);
    const closed = readAll(s);
    await ctx.server.updateProxy('toggle', { enabled: false });
    await closed;
    await assert.rejects(connect(port), /ECONNREFUSED/);
    await ctx.server.updateProxy('toggle', { enabled: true });
    assert.ok((await roundTrip(port, Buffer.from('back'))).equals(Buffer.from('back')));
  });

  it('upstream down: the client connection is closed and the proxy keeps running', async () => {
    const gone = await startEchoServer();
    const addr = gone.address;
    await gone.close();
    const port = await proxyTo('down', addr);
    const s = await connect(port);
    const r = await readAll(s);
    assert.equal(r.data.length, 0);
    assert.equal(ctx.server.getProxy('down').enabled, true);
    await ctx.server.updateProxy('down', { upstream: ctx.echo.address });
    assert.ok((await roundTrip(port, Buffer.from('up'))).equals(Buffer.from('up')));
  });

  it('reset_peer: the client reads ECONNRESET', async () => {
    const port = await proxyTo('rst');
    await ctx.server.addToxic('rst', { type: 'reset_peer', attributes: { timeout: 0 } });
    const s = await connect(port);
    const r = readAll(s);
    s.write('hello');
    const { error } = await r;
    assert.equal(error?.code, 'ECONNRESET');
  });

  it('timeout: no data passes and the connection closes after timeout', async () => {
    const port = await proxyTo('to');
    await ctx.server.addToxic('to', { type: 'timeout', attributes: { timeout: 150 } });
    const s = await connect(port);
    const t0 = performance.now();
    const r = readAll(s);
    s.write('hello');
    const { data } = await r;
    const ms = performance.now() - t0;
    assert.equal(data.length, 0);
    // closed by the toxic: not before its timeout, and not left open (ten times it is no tolerance but a hang)
    assert.ok(ms >= 145 && ms < 1500, `closed after ${ms.toFixed(0)} ms`);
  });

  it('slow_close: the server close reaches the client after delay', async () => {
    const closer = await startServer((sock) => {
      sock.on('error', () => {});
      sock.end('bye');
    });
    const port = await proxyTo('sc', closer.address);
    await ctx.server.addToxic('sc', { type: 'slow_close', attributes: { delay: 200 } });
    const t0 = performance.now();
    const s = await connect(port);
    const { data } = await readAll(s);
    const ms = performance.now() - t0;
    assert.equal(String(data), 'bye');
    assert.ok(ms >= 195 && ms < 2000, `end after ${ms.toFixed(0)} ms`);
    s.destroy();
    await closer.close();
  });
});

describe('seeded toxicity', () => {
  /** Which of 24 sequential connections a toxicity-0.5 limit_data toxic closes, on a fresh server. */
  async function pattern(seed: number): Promise<boolean[]> {
    const srv = await startProxyServer({ seed });
    try {
      const p = await srv.createProxy({ name: 'seeded', listen: '127.0.0.1:0', upstream: ctx.echo.address });
      await srv.addToxic('seeded', {
        name: 'cut',
        type: 'limit_data',
        toxicity: 0.5,
        attributes: { bytes: 0 },
      });
      const hit: boolean[] = [];
      for (let i = 0; i < 24; i++) {
        const s = await connect(portOf(p.listen));
        const echoed = readBytes(s, 4).then(
          () => true,
          () => false, // ended before the echo: the toxic cut this connection
        );
        s.write('ping');
        hit.push(!(await echoed));
        s.destroy();
      }
      return hit;
    } finally {
      await srv.close();
    }
  }

  it('the connections a toxic hits are a function of the seed and the connection index', async () => {
    const a = await pattern(1234);
    const expected = Array.from({ length: 24 }, (_, i) =>
      drawsToxic(randomStream(1234).fork(`proxy/seeded/cut/conn-${i}`), 0.5),
    );
    assert.deepEqual(a, expected);
    assert.ok(a.includes(true) && a.includes(false));
    assert.deepEqual(await pattern(1234), a);
  });
});
