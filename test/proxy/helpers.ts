/** Real servers and sockets for the proxy tests: an echo upstream, a sink, socket read helpers. */
import { once } from 'node:events';
import { type AddressInfo, createConnection, createServer, type Server, type Socket } from 'node:net';
import { after, before } from 'node:test';
import { createProxyServer, type ProxyServer, type ProxyServerOptions } from '../../src/proxy/index.js';

export interface TestServer {
  server: Server;
  port: number;
  address: string;
  sockets: Set<Socket>;
  close(): Promise<void>;
}

async function listen(server: Server, sockets: Set<Socket>): Promise<TestServer> {
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    address: `127.0.0.1:${port}`,
    sockets,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An upstream that echoes every byte back and half-closes when the client does. */
export function startEchoServer(): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: false, noDelay: true }, (s) => s.pipe(s));
  return listen(server, sockets);
}

/** An upstream that hands each connection to `onSocket`. */
export function startServer(onSocket: (s: Socket) => void): Promise<TestServer> {
  const sockets = new Set<Socket>();
  return listen(createServer({ allowHalfOpen: true, noDelay: true }, onSocket), sockets);
}

/** A proxy server with its API on a free port and a fixed seed. */
export async function startProxyServer(
  options: ProxyServerOptions = {},
): Promise<ProxyServer & { api: string }> {
  const server = createProxyServer({ port: 0, seed: 42, ...options });
  const { url } = await server.listen();
  return Object.assign(server, { api: url });
}

/** The port of a proxy's `listen` address (`host:port`, IPv6 hosts included). */
export const portOf = (listen: string) => Number(listen.slice(listen.lastIndexOf(':') + 1));

/** What {@link useEchoAndProxy} starts; the fields are set once the file's `before` hook has run. */
export interface EchoAndProxy {
  echo: TestServer;
  server: Awaited<ReturnType<typeof startProxyServer>>;
  /** Creates a proxy `name` to `upstream` (the echo by default) on a free port; returns that port. */
  proxyTo(name: string, upstream?: string): Promise<number>;
}

/** An echo upstream and a proxy server for the whole test file: started before its tests, closed after. */
export function useEchoAndProxy(): EchoAndProxy {
  const ctx = {
    async proxyTo(name: string, upstream?: string) {
      const p = await ctx.server.createProxy({
        name,
        listen: '127.0.0.1:0',
        upstream: upstream ?? ctx.echo.address,
      });
      return portOf(p.listen);
    },
  } as EchoAndProxy;
  before(async () => {
    ctx.echo = await startEchoServer();
    ctx.server = await startProxyServer();
  });
  after(async () => {
    await ctx.server.close();
    await ctx.echo.close();
  });
  return ctx;
}

export async function connect(port: number, host = '127.0.0.1'): Promise<Socket> {
  const s = createConnection({ port, host, noDelay: true });
  await once(s, 'connect');
  return s;
}

/** Resolves with exactly `n` bytes (rejects if the socket ends first). */
export function readBytes(socket: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const onData = (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (got >= n) {
        cleanup();
        const all = Buffer.concat(chunks);
        if (all.length > n) socket.unshift(all.subarray(n));
        resolve(all.subarray(0, n));
      }
    };
    const onEnd = () => {
      cleanup();
      reject(new Error(`socket ended after ${got} of ${n} bytes`));
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
      socket.pause();
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', onError);
    socket.resume();
  });
}

/** Everything the socket sends until it ends; `error` is the socket error if it did not end cleanly. */
export function readAll(socket: Socket): Promise<{ data: Buffer; error?: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('end', () => resolve({ data: Buffer.concat(chunks) }));
    socket.once('error', (error: NodeJS.ErrnoException) => resolve({ data: Buffer.concat(chunks), error }));
    socket.resume();
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns true (or throws after `timeoutMs`). */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what = 'condition',
) {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A deterministic pseudo-random payload (the test's own seed; not the proxy's). */
export function payload(size: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}
