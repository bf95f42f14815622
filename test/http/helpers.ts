/**
 * A real node:http server on 127.0.0.1 (port 0) for chaos HTTP tests. It counts hits per path, so a test can
 * tell an injected answer (the server never saw the request) from a real one, and offers endpoints that fail for
 * real (close, reset, cut mid-body) so injected errors can be compared with the genuine article.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestServer {
  readonly base: string;
  readonly port: number;
  /** Requests seen per path. */
  readonly hits: Map<string, number>;
  hitsOf(path: string): number;
  close(): Promise<void>;
}

/** The body /stream sends: 5 chunks of 10 bytes, written 5 ms apart. */
export const STREAM_BODY = 'abcdefghij'.repeat(5);

export async function startServer(): Promise<TestServer> {
  const hits = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path === '/real-close') {
      req.socket.destroy();
      return;
    }
    if (path === '/real-rst') {
      req.socket.resetAndDestroy();
      return;
    }
    if (path === '/real-cut') {
      res.writeHead(200, { 'content-length': '100' });
      res.write('x'.repeat(15), () => req.socket.destroy());
      return;
    }
    if (path === '/stream') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      let n = 0;
      const next = () => {
        res.write('abcdefghij');
        if (++n === 5) res.end();
        else setTimeout(next, 5);
      };
      next();
      return;
    }
    if (path === '/echo') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-method': req.method ?? '' });
        res.end(Buffer.concat(chunks));
      });
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`ok ${req.method} ${path}`);
  });
  // Keep-alive sockets must not hold close() open.
  server.keepAliveTimeout = 50;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    hits,
    hitsOf: (path) => hits.get(path) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Catches the rejection of `p` (failing the test if it resolves). */
export async function rejectionOf(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await p;
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection, got a value');
}
