/**
 * Real servers on 127.0.0.1:0 for the load tests: node:http ones with behaviours switched by path, and a raw one
 * that shows pipelining.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Server as NetServer } from 'node:net';

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

/**
 * A raw HTTP/1.1 server (node:http answers pipelined requests one at a time, so it cannot tell) that holds its
 * answers until `batch` requests are waiting on a connection, or 200 ms passed since the first of them, then
 * writes them all at once. `batches` lists, per connection, how many requests had arrived before each write:
 * its first entry is how many the client put in flight before it got any response.
 */
export async function startHoldingServer(batch: number): Promise<{
  url: string;
  batches: number[][];
  close(): Promise<void>;
}> {
  const batches: number[][] = [];
  const server: NetServer = createNetServer((socket) => {
    const mine: number[] = [];
    batches.push(mine);
    let text = '';
    let waiting = 0;
    let timer: NodeJS.Timeout | undefined;
    const answer = () => {
      clearTimeout(timer);
      timer = undefined;
      mine.push(waiting);
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'.repeat(waiting));
      waiting = 0;
    };
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      // GETs without bodies: a request ends at its blank line
      for (let end = text.indexOf('\r\n\r\n'); end >= 0; end = text.indexOf('\r\n\r\n')) {
        text = text.slice(end + 4);
        waiting++;
      }
      if (waiting >= batch) answer();
      else if (waiting > 0 && timer === undefined) timer = setTimeout(answer, 200);
    });
    socket.on('error', () => {});
    socket.on('close', () => clearTimeout(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    batches,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
