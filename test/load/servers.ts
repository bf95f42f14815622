/** Real node:http servers on 127.0.0.1:0 for the load tests, with behaviours switched by path. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestServer {
  url: string;
  server: Server;
  /** Monotonic arrival times (performance.now()) of every request. */
  arrivals: number[];
  /** Paths of every request, with the x-user header and body. */
  seen: { path: string; user: string | undefined; body: string }[];
  /** Holds every response until `untilMs` (performance.now() time): a stalled server. */
  stallUntil(untilMs: number): void;
  close(): Promise<void>;
}

/**
 * Paths: `/reset` destroys the socket, `/hang` never answers, `/503` answers 503, anything else 200 'ok'.
 */
export async function startTestServer(): Promise<TestServer> {
  const arrivals: number[] = [];
  const seen: TestServer['seen'] = [];
  let stallUntil = 0;
  const timers = new Set<NodeJS.Timeout>();
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const now = performance.now();
    arrivals.push(now);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const user = req.headers['x-user'];
      seen.push({
        path: req.url ?? '',
        user: typeof user === 'string' ? user : undefined,
        body: Buffer.concat(chunks).toString(),
      });
      const respond = () => {
        if (req.url === '/reset') req.socket.destroy();
        else if (req.url === '/hang') return;
        else if (req.url === '/503') res.writeHead(503).end('unavailable');
        else res.end('ok');
      };
      const wait = stallUntil - performance.now();
      if (wait > 0) {
        const t = setTimeout(() => {
          timers.delete(t);
          respond();
        }, wait);
        timers.add(t);
      } else {
        respond();
      }
    });
  };
  const server = createServer(handle);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    arrivals,
    seen,
    stallUntil(untilMs) {
      stallUntil = untilMs;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port with nothing listening (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
