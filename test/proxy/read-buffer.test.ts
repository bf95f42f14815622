/**
 * The reused read buffer: a chunk the destination could not write at once must not be overwritten by the next
 * read (byte-exact transfers with the reader far slower than the writer, both directions), and the buffer grows
 * for bulk reads and is replaced only when retained.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { ReadBuffer } from '../../src/proxy/read-buffer.js';
import { connect, portOf, startProxyServer, startServer } from './helpers.js';

/** `bytes` bytes of a counting pattern (uint32 big-endian, from `start`): any reordered or reused byte shows. */
function pattern(bytes: number, start = 0): Buffer {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i + 4 <= bytes; i += 4) b.writeUInt32BE((start + i / 4) >>> 0, i);
  return b;
}

function readableOrEnd(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      s.off('readable', done);
      s.off('end', done);
      resolve();
    };
    s.on('readable', done);
    s.on('end', done);
  });
}

/**
 * Writes `payload` in 1000-byte pieces, one per turn of the event loop, so the proxy reads small chunks (each
 * smaller than a socket's high-water mark, so a queued one does not stop its reads), then ends.
 */
async function writeInPieces(s: Socket, payload: Buffer): Promise<void> {
  for (let i = 0; i < payload.length; i += 1000) {
    if (!s.write(payload.subarray(i, i + 1000))) await once(s, 'drain');
    else await new Promise((r) => setImmediate(r));
  }
  s.end();
}

/**
 * Reads `bytes` from `s`: nothing at first, until the kernel buffers between fill and the proxy's writes to `s`
 * queue; then in small bites with pauses.
 */
async function readSlowly(s: Socket, bytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  s.pause();
  await new Promise((r) => setTimeout(r, 300));
  while (got < bytes) {
    const c = s.read() as Buffer | null;
    if (c === null) {
      if (s.readableEnded) break;
      await readableOrEnd(s);
      continue;
    }
    chunks.push(c);
    got += c.length;
    // A pause now and then keeps the proxy's writes to us queued for a while.
    if (chunks.length % 64 === 0) await new Promise((r) => setTimeout(r, 5));
  }
  return Buffer.concat(chunks);
}

const BYTES = 16 * 1024 * 1024;

describe('reused read buffer through the proxy', () => {
  it('downstream: a slow client receives every byte of a fast upstream, in order', async () => {
    const payload = pattern(BYTES);
    const upstream = await startServer((s) => {
      void writeInPieces(s, payload);
    });
    const server = await startProxyServer();
    try {
      const proxy = await server.createProxy({ name: 'down', upstream: upstream.address });
      const client = await connect(portOf(proxy.listen));
      const got = await readSlowly(client, BYTES);
      client.destroy();
      assert.equal(got.length, BYTES);
      assert.ok(got.equals(payload), 'bytes differ from what the upstream sent');
    } finally {
      await server.close();
      await upstream.close();
    }
  });

  it('upstream: a slow upstream receives every byte of a fast client, in order', async () => {
    const payload = pattern(BYTES, 7);
    let received: Promise<Buffer> | undefined;
    const upstream = await startServer((s) => {
      received = readSlowly(s, BYTES);
    });
    const server = await startProxyServer();
    try {
      const proxy = await server.createProxy({ name: 'up', upstream: upstream.address });
      const client = await connect(portOf(proxy.listen));
      void writeInPieces(client, payload);
      while (received === undefined) await new Promise((r) => setTimeout(r, 5));
      const got = await received;
      client.destroy();
      assert.equal(got.length, BYTES);
      assert.ok(got.equals(payload), 'bytes differ from what the client sent');
    } finally {
      await server.close();
      await upstream.close();
    }
  });
});

describe('ReadBuffer', () => {
  it('keeps its buffer until a chunk is retained, then reads into a new one', () => {
    const r = new ReadBuffer();
    const seen: Buffer[] = [];
    r.sink = (c) => seen.push(c);
    const first = r.onread.buffer();
    r.onread.callback(10);
    assert.equal(r.onread.buffer(), first, 'an unretained buffer is reused');
    r.onread.callback(10);
    r.retain();
    const second = r.onread.buffer();
    assert.notEqual(second, first, 'a retained buffer is never read into again');
    assert.equal(second.length, first.length);
    assert.deepEqual(
      seen.map((c) => c.length),
      [10, 10],
    );
  });

  it('grows once when a read fills it, up to 64 KiB', () => {
    const r = new ReadBuffer();
    const small = r.onread.buffer();
    assert.ok(small.length < 64 * 1024);
    r.onread.callback(small.length);
    const big = r.onread.buffer();
    assert.equal(big.length, 64 * 1024);
    r.onread.callback(big.length);
    assert.equal(r.onread.buffer(), big, 'no growth past 64 KiB');
  });
});
