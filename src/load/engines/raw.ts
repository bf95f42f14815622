/**
 * The raw engine: a lean HTTP/1.1 client on `node:net` for plain `http:` targets, the default there. A general
 * client (undici) pays for features a load generator never uses — per-request objects, body streams, header
 * objects, event plumbing, a validation tick before each reuse — and on this path that is most of the CPU a
 * request costs. Here a request is one `socket.write` of bytes prepared once per static template, and a response
 * is a scan over bytes read into one buffer shared by every connection (`onread`, so reads allocate nothing) by
 * {@link ResponseParser}, which keeps no headers and builds no strings.
 *
 * Semantics follow the undici engine so results compare: at most `connections` keep-alive connections, opened
 * on demand and reused most-recent first; requests beyond them wait in order; `pipelining` requests per
 * connection (only GET and HEAD behind another one); a response with `Connection: close` retires its connection;
 * an idle connection is closed before the server's `Keep-Alive: timeout` (2 s margin, 4 s without a hint); when
 * a connection fails, its oldest request fails with the error and the rest are sent again on another one, except
 * when it never connected (all fail: refused). Timeouts — connect, response headers once the request leads its
 * connection, body inactivity — are checked by one sweep timer rather than a timer per request, so they fire up
 * to an eighth of the timeout (at most 250 ms) late.
 */
import { connect, type Socket } from 'node:net';
import type { BuiltRequest } from '../template.js';
import type { HttpEngine, HttpEngineDefinition, HttpEngineOptions } from './engine.js';
import { ResponseParseError, ResponseParser } from './http1-parser.js';
import { encodeRequest } from './http1-request.js';

/** A transport failure of the raw engine; `code` is understood by `classifyError`. */
export class RawEngineError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'RawEngineError';
    this.code = code;
  }
}

/** Idle keep-alive lifetime without a server hint, and the margin kept below a hint (undici's defaults). */
const IDLE_DEFAULT_MS = 4_000;
const IDLE_MARGIN_MS = 2_000;
const IDLE_MAX_MS = 600_000;
const READ_BUFFER_BYTES = 64 * 1024;

type Bytes = Buffer | string;

/** Requests waiting for a connection, oldest first; a failed connection's unanswered ones go back in front. */
class WaitQueue<T> {
  #tags: (T | undefined)[] = new Array(16);
  #reqs: (BuiltRequest | undefined)[] = new Array(16);
  #bytes: (Bytes | undefined)[] = new Array(16);
  #head = 0;
  length = 0;

  #grow(): void {
    const n = this.#tags.length;
    const order = (a: unknown[]) => {
      const out = new Array(n * 2);
      for (let k = 0; k < this.length; k++) out[k] = a[(this.#head + k) % n];
      return out;
    };
    this.#tags = order(this.#tags);
    this.#reqs = order(this.#reqs);
    this.#bytes = order(this.#bytes);
    this.#head = 0;
  }

  push(tag: T, req: BuiltRequest, bytes: Bytes): void {
    if (this.length === this.#tags.length) this.#grow();
    const k = (this.#head + this.length) % this.#tags.length;
    this.#tags[k] = tag;
    this.#reqs[k] = req;
    this.#bytes[k] = bytes;
    this.length++;
  }

  unshift(tag: T, req: BuiltRequest, bytes: Bytes): void {
    if (this.length === this.#tags.length) this.#grow();
    this.#head = (this.#head - 1 + this.#tags.length) % this.#tags.length;
    this.#tags[this.#head] = tag;
    this.#reqs[this.#head] = req;
    this.#bytes[this.#head] = bytes;
    this.length++;
  }

  peekReq(): BuiltRequest {
    return this.#reqs[this.#head] as BuiltRequest;
  }

  /** Moves the oldest request onto `conn`. */
  shiftTo(conn: Connection<T>): void {
    const k = this.#head;
    const tag = this.#tags[k] as T;
    const req = this.#reqs[k] as BuiltRequest;
    const bytes = this.#bytes[k] as Bytes;
    this.#tags[k] = undefined;
    this.#reqs[k] = undefined;
    this.#bytes[k] = undefined;
    this.#head = (k + 1) % this.#tags.length;
    this.length--;
    conn.write(req, bytes, tag);
  }
}

const idempotent = (req: BuiltRequest) => req.method === 'GET' || req.method === 'HEAD';

/** One keep-alive connection and the requests written on it, oldest (the one being answered) first. */
class Connection<T> {
  readonly socket: Socket;
  readonly parser = new ResponseParser();
  /** In the engine's free list (it can take another request). */
  inFree = false;
  connected = false;
  retired = false;
  /** Sweep tick the running timeout counts from (connect, headers, or last body read, or idle since). */
  since: number;
  /** How long it may stay idle: below the server's last keep-alive hint. */
  idleMs = IDLE_DEFAULT_MS;
  #error: Error | null = null;
  readonly #engine: RawEngine<T>;
  readonly #tags: (T | undefined)[];
  readonly #reqs: (BuiltRequest | undefined)[];
  readonly #bytes: (Bytes | undefined)[];
  #first = 0;
  count = 0;

  constructor(engine: RawEngine<T>, host: string, port: number, depth: number, readBuffer: Buffer) {
    this.#engine = engine;
    this.#tags = new Array(depth);
    this.#reqs = new Array(depth);
    this.#bytes = new Array(depth);
    this.since = engine.tick;
    const pipelined = depth > 1;
    this.socket = connect({
      host,
      port,
      noDelay: true,
      onread: {
        buffer: readBuffer,
        callback: (n: number) => {
          // pipelined, one read often holds several responses and each completion writes the next request
          // here: corked, they leave in one system call instead of one each
          if (pipelined) this.socket.cork();
          this.#onRead(readBuffer, n);
          if (pipelined) this.socket.uncork();
          return true;
        },
      },
    });
    this.socket.on('connect', () => {
      this.connected = true;
      this.since = this.#engine.tick;
    });
    this.socket.on('error', (err: Error) => {
      this.#error ??= err;
    });
    this.socket.on('end', () => this.#onEnd());
    this.socket.on('close', () => this.retire(null));
  }

  /** Writes a request; the engine has checked this connection can take it. */
  write(req: BuiltRequest, bytes: Bytes, tag: T): void {
    const depth = this.#tags.length;
    const k = (this.#first + this.count) % depth;
    this.#tags[k] = tag;
    this.#reqs[k] = req;
    this.#bytes[k] = bytes;
    if (this.count++ === 0) {
      this.parser.start(req.method === 'HEAD');
      if (this.connected) this.since = this.#engine.tick;
    }
    this.socket.write(bytes);
  }

  /** Can take `req` now. */
  accepts(req: BuiltRequest): boolean {
    return this.count === 0 || (this.count < this.#tags.length && idempotent(req));
  }

  #onRead(buf: Buffer, n: number): void {
    const parser = this.parser;
    let pos = 0;
    while (pos < n) {
      if (this.count === 0) {
        this.retire(new ResponseParseError('data when no response was expected'));
        return;
      }
      pos = parser.execute(buf, pos, n);
      if (pos < 0) {
        this.retire(parser.error);
        return;
      }
      if (parser.complete) {
        this.#responseDone();
        if (this.retired) return;
      }
    }
    if (parser.readingBody) this.since = this.#engine.tick;
  }

  #onEnd(): void {
    if (this.count > 0 && this.parser.untilClose && this.parser.finish()) this.#responseDone();
    if (!this.retired) this.retire(null);
  }

  /** Takes the oldest request off the connection. */
  #shift(): T {
    const k = this.#first;
    const tag = this.#tags[k] as T;
    this.#tags[k] = undefined;
    this.#reqs[k] = undefined;
    this.#bytes[k] = undefined;
    this.#first = (k + 1) % this.#tags.length;
    this.count--;
    return tag;
  }

  #responseDone(): void {
    const parser = this.parser;
    const status = parser.status;
    const tag = this.#shift();
    const engine = this.#engine;
    if (!parser.keepAlive || (parser.keepAliveHintMs >= 0 && parser.keepAliveHintMs <= IDLE_MARGIN_MS)) {
      // The server closes after this response: what else was written here goes again elsewhere.
      this.#requeueAll();
      this.retire(null);
    } else {
      if (parser.keepAliveHintMs > 0) {
        this.idleMs = Math.min(parser.keepAliveHintMs - IDLE_MARGIN_MS, IDLE_MAX_MS);
      }
      if (this.count > 0) {
        this.parser.start(this.#reqs[this.#first]?.method === 'HEAD');
      }
      this.since = engine.tick;
      engine.released(this);
    }
    engine.onComplete(tag, status, null);
  }

  #requeueAll(): void {
    while (this.count > 0) {
      const k = (this.#first + this.count - 1) % this.#tags.length;
      this.#engine.queue.unshift(this.#tags[k] as T, this.#reqs[k] as BuiltRequest, this.#bytes[k] as Bytes);
      this.#tags[k] = undefined;
      this.#reqs[k] = undefined;
      this.#bytes[k] = undefined;
      this.count--;
    }
  }

  /**
   * Takes the connection out of service and closes it. Unanswered requests: if it never connected, all fail
   * with the error; otherwise the oldest fails and the rest are sent again.
   */
  retire(err: Error | null): void {
    if (this.retired) return;
    this.retired = true;
    if (err !== null) this.#error ??= err;
    this.#engine.forget(this);
    this.socket.destroy();
    if (this.count > 0) {
      const error =
        this.#error ??
        new RawEngineError(
          'ERR_LOAD_SOCKET_CLOSED',
          this.connected ? 'the server closed the connection' : 'the connection closed before connecting',
        );
      const failed: T[] = [];
      if (this.connected) {
        failed.push(this.#shift());
        this.#requeueAll();
      } else {
        while (this.count > 0) failed.push(this.#shift());
      }
      for (const tag of failed) this.#engine.onComplete(tag, 0, error);
    }
    this.#engine.pump();
  }
}

class RawEngine<T> implements HttpEngine<T> {
  readonly onComplete: (tag: T, status: number, error: unknown) => void;
  readonly queue = new WaitQueue<T>();
  /** Sweep ticks so far: the unit of every timeout. */
  tick = 0;
  readonly #host: string;
  readonly #hostHeader: string;
  readonly #port: number;
  readonly #max: number;
  readonly #depth: number;
  readonly #timeoutTicks: number;
  readonly #tickMs: number;
  readonly #conns = new Set<Connection<T>>();
  /** Connections that can take a request; the most recently released on top. */
  readonly #free: Connection<T>[] = [];
  readonly #readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  /** Encoded bytes of static templates, by template index. */
  readonly #static: (Buffer | undefined)[] = [];
  readonly #sweep: NodeJS.Timeout;
  #closed = false;

  constructor(options: HttpEngineOptions<T>) {
    this.onComplete = options.onComplete;
    const url = options.url;
    this.#host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.#hostHeader = url.host;
    this.#port = url.port === '' ? 80 : Number(url.port);
    this.#max = options.connections;
    this.#depth = options.pipelining;
    const timeoutMs = options.timeoutMs;
    this.#tickMs = timeoutMs > 0 ? Math.min(250, Math.max(1, Math.floor(timeoutMs / 8))) : 250;
    // A timeout fires on the first sweep at least timeoutMs after its start: between timeoutMs and one tick
    // later, since the start is only known to the tick.
    this.#timeoutTicks = timeoutMs > 0 ? Math.ceil(timeoutMs / this.#tickMs) + 1 : 0;
    this.#sweep = setInterval(() => this.#onSweep(), this.#tickMs);
    this.#sweep.unref();
  }

  send(req: BuiltRequest, tag: T): void {
    let bytes: Bytes;
    try {
      bytes = this.#bytesOf(req);
    } catch (err) {
      queueMicrotask(() => this.onComplete(tag, 0, err));
      return;
    }
    const free = this.#free;
    const top = free.length > 0 ? (free[free.length - 1] as Connection<T>) : undefined;
    if (top?.accepts(req)) {
      top.write(req, bytes, tag);
      if (top.count >= this.#depth) {
        free.pop();
        top.inFree = false;
      }
    } else if (this.#conns.size < this.#max && !this.#closed) {
      this.#open().write(req, bytes, tag);
    } else {
      this.queue.push(tag, req, bytes);
    }
  }

  #bytesOf(req: BuiltRequest): Bytes {
    if (!req.reusable) return encodeRequest(req, this.#hostHeader);
    let b = this.#static[req.template];
    if (b === undefined) {
      b = Buffer.from(encodeRequest(req, this.#hostHeader));
      this.#static[req.template] = b;
    }
    return b;
  }

  #open(): Connection<T> {
    const c = new Connection<T>(this, this.#host, this.#port, this.#depth, this.#readBuffer);
    this.#conns.add(c);
    if (this.#depth > 1) {
      c.inFree = true;
      this.#free.push(c);
    }
    return c;
  }

  /** A connection answered a request and stays open: it takes the oldest waiting requests, or waits itself. */
  released(c: Connection<T>): void {
    const q = this.queue;
    while (q.length > 0 && c.accepts(q.peekReq())) q.shiftTo(c);
    if (!c.inFree && c.count < this.#depth) {
      c.inFree = true;
      this.#free.push(c);
    }
  }

  /** A connection retired: forget it. */
  forget(c: Connection<T>): void {
    this.#conns.delete(c);
    if (c.inFree) {
      c.inFree = false;
      const k = this.#free.lastIndexOf(c);
      if (k >= 0) this.#free.splice(k, 1);
    }
  }

  /** Opens connections for waiting requests, as far as the limit allows. */
  pump(): void {
    const q = this.queue;
    while (q.length > 0 && !this.#closed) {
      const top = this.#free.length > 0 ? (this.#free[this.#free.length - 1] as Connection<T>) : undefined;
      if (top?.accepts(q.peekReq())) {
        q.shiftTo(top);
        if (top.count >= this.#depth) {
          this.#free.pop();
          top.inFree = false;
        }
      } else if (this.#conns.size < this.#max) {
        q.shiftTo(this.#open());
      } else {
        return;
      }
    }
  }

  #onSweep(): void {
    const now = ++this.tick;
    const limit = this.#timeoutTicks;
    for (const c of this.#conns) {
      const waited = now - c.since;
      if (c.count === 0) {
        if (c.connected && waited * this.#tickMs >= c.idleMs) c.retire(null);
      } else if (limit > 0 && waited >= limit) {
        c.retire(
          !c.connected
            ? new RawEngineError('ERR_LOAD_CONNECT_TIMEOUT', 'not connected within the timeout')
            : c.parser.readingBody
              ? new RawEngineError('ERR_LOAD_BODY_TIMEOUT', 'no body data within the timeout')
              : new RawEngineError('ERR_LOAD_HEADERS_TIMEOUT', 'no response headers within the timeout'),
        );
      }
    }
  }

  close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweep);
    const closing = [...this.#conns].map(
      (c) => new Promise<void>((resolve) => c.socket.once('close', () => resolve())),
    );
    for (const c of [...this.#conns]) c.retire(null);
    return Promise.all(closing).then(() => undefined);
  }
}

/** The raw engine definition. */
export const rawEngine: HttpEngineDefinition = {
  name: 'raw',
  protocols: ['http:'],
  description: 'a lean HTTP/1.1 client on node:net: http: only, the default there',
  create: (options) => new RawEngine(options),
};
