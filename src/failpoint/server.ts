/**
 * The control endpoint: switches failpoints in a running process over HTTP, without a restart.
 *
 *   GET    /failpoints                 every failpoint: term, hits, fires, waiters (and the seed)
 *   GET    /failpoints/:name           one failpoint
 *   PUT    /failpoints/:name           body: the term (text, or JSON {"term": "...", "allowUnknown": true})
 *   DELETE /failpoints/:name           unset (releases paused callers)
 *   POST   /failpoints/:name/release   body or query: count=N (default all) or id=W (one waiter)
 *   GET    /failpoints/:name/waiters   paused callers; ?min=N&timeout=MS waits until N are paused
 *
 * and gofail's shape beside it, text in and out, so scripts written for gofail keep working:
 *
 *   GET    /                           `name=term` lines, sorted (`name=` when no term is set)
 *   GET    /:name                      the term and a newline; 404 when unknown or not set
 *   GET    /:name/count                how many times its term has fired
 *   PUT    /:name                      body: the term; 204
 *   PUT    /failpoints                 body: `a=term;b=term`, all or nothing; 204
 *   DELETE /:name                      unset; 204, or 400 when unknown or not set
 *
 * Errors of the /failpoints routes are JSON `{"error": {"code", "message", ...}}` with a status code. Safety: it binds loopback only
 * unless a token is configured, and then every request needs `Authorization: Bearer <token>` (compared in
 * constant time); without a token it also refuses requests whose Host is not a loopback name (DNS rebinding)
 * and any request carrying a browser `Origin`. It refuses to start when NODE_ENV=production unless
 * FAULTLINE_ALLOW_PRODUCTION=1. It never keeps the process alive by itself, except while callers are paused.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { type ControlGuard, createControlGuard, isLoopbackHost } from '../control/guard.js';
import { FaultlineError, InvalidOptionError } from '../core/errors.js';
import { FailpointParseError } from './errors.js';
import { isValidFailpointName, parseFailpointsEnv, parseFailpointTerm } from './grammar.js';
import {
  activationRefusal,
  type FailpointInfo,
  failpoints,
  onWaitersChange,
  pausedCallers,
  trackReached,
} from './registry.js';
import { ALLOW_HINT, productionRefusal } from './switches.js';

export interface FailpointServerOptions {
  /** `host:port` (as in FAULTLINE_FAILPOINTS_ADDR); when given, `host` and `port` are ignored. */
  address?: string;
  /** Default 127.0.0.1. A non-loopback host needs a token. */
  host?: string;
  /** Default 0: any free port (read it from the result). */
  port?: number;
  /** Required on every request when set. Default: FAULTLINE_FAILPOINTS_TOKEN. At least 16 characters. */
  token?: string;
  /** Keep the process alive while the endpoint listens (default false: only while callers are paused). */
  keepAlive?: boolean;
}

/** A running control endpoint. */
export interface FailpointServer {
  readonly host: string;
  readonly port: number;
  /** e.g. `http://127.0.0.1:7070` */
  readonly url: string;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;
/**
 * A body over MAX_BODY is still read (and dropped) up to this much more, so the client finishes sending and
 * reads the 413: closing a socket with unread data in it resets the connection, and the answer is lost.
 */
const DRAIN_LIMIT = 16 * 1024 * 1024;
const MAX_WAIT_MS = 5 * 60_000;

/** Splits `host:port`, `[::1]:port` or `:port` into its parts; the port must be 0..65535. */
export function parseHostPort(address: string, defaultHost = '127.0.0.1'): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(address.trim());
  const port = m === null ? Number.NaN : Number(m[3]);
  if (m === null || !(port >= 0 && port <= 65535)) {
    throw new InvalidOptionError(
      'address',
      `expected host:port (e.g. 127.0.0.1:7070); got ${JSON.stringify(address)}`,
    );
  }
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? defaultHost : host, port };
}

export { isLoopbackHost };

/**
 * Starts the control endpoint in this process. Rejects (and listens on nothing) for a non-loopback host
 * without a token, a token shorter than 16 characters, or NODE_ENV=production without
 * FAULTLINE_ALLOW_PRODUCTION=1. FAULTLINE_FAILPOINTS_ADDR starts one at load time.
 */
export async function startFailpointServer(options: FailpointServerOptions = {}): Promise<FailpointServer> {
  const { host, port } =
    options.address !== undefined
      ? parseHostPort(options.address)
      : { host: options.host ?? '127.0.0.1', port: options.port ?? 0 };
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidOptionError('port', `must be an integer from 0 to 65535; got ${port}`);
  }
  const guard = createControlGuard({
    token: options.token ?? process.env.FAULTLINE_FAILPOINTS_TOKEN,
    what: 'the failpoint endpoint',
    tokenVariable: 'FAULTLINE_FAILPOINTS_TOKEN',
    insecureCode: 'FAULTLINE_FAILPOINTS_INSECURE',
    realm: 'faultline failpoints',
  });
  guard.checkListenHost(host);
  const production = productionRefusal();
  if (production !== undefined) {
    throw new FaultlineError(
      'FAULTLINE_FAILPOINTS_PRODUCTION',
      `refusing to start the failpoint endpoint: ${production}; ${ALLOW_HINT}`,
    );
  }

  const server = createServer((req, res) => {
    handle(req, res, guard).catch((err: unknown) => {
      sendError(res, 500, 'FAULTLINE_INTERNAL', err instanceof Error ? err.message : String(err));
    });
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        new FaultlineError(
          'FAULTLINE_FAILPOINTS_LISTEN',
          `cannot listen on ${host}:${port} for the failpoint endpoint: ${err.code ?? err.message}`,
          { exitCode: 1, cause: err },
        ),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });

  const keepAlive = options.keepAlive === true;
  // an idle keep-alive connection from a client must not hold a finished process open either
  if (!keepAlive) server.on('connection', (socket) => socket.unref());
  const holdOpen = (): void => {
    if (keepAlive || pausedCallers() > 0) server.ref();
    else server.unref();
  };
  holdOpen();
  const stopWatching = onWaitersChange(holdOpen);
  const stopTracking = trackReached();
  const address = server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  const urlHost = isIP(host) === 6 ? `[${host}]` : host;
  let closed: Promise<void> | undefined;
  return {
    host,
    port: boundPort,
    url: `http://${urlHost}:${boundPort}`,
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve) => {
        stopWatching();
        stopTracking();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): void {
  send(res, status, { error: { code, message, ...extra } }, headers);
}

/** The status for an error the registry throws. */
function statusOf(err: FaultlineError): number {
  switch (err.code) {
    case 'FAULTLINE_FAILPOINTS_PRODUCTION':
      return 403;
    case 'FAULTLINE_FAILPOINTS_DISABLED':
      return 409;
    case 'FAULTLINE_FAILPOINT_TIMEOUT':
      return 408;
    default:
      return 400;
  }
}

function sendFaultlineError(res: ServerResponse, err: unknown): void {
  if (err instanceof FailpointParseError) {
    sendError(res, 400, err.code, err.message, {
      column: err.column,
      expected: err.expected,
      found: err.found,
    });
  } else if (err instanceof FaultlineError) {
    sendError(res, statusOf(err), err.code, err.message);
  } else {
    throw err;
  }
}

async function handle(req: IncomingMessage, res: ServerResponse, guard: ControlGuard): Promise<void> {
  const refusal = guard.check(req);
  if (refusal !== undefined) {
    sendError(res, refusal.status, refusal.code, refusal.message, {}, refusal.headers);
    return;
  }

  const url = new URL(req.url ?? '/', 'http://failpoints.invalid');
  let parts: string[];
  try {
    parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
  } catch {
    sendError(res, 400, 'FAULTLINE_BAD_REQUEST', 'the path is not valid percent-encoding');
    return;
  }
  const method = req.method ?? 'GET';
  if (parts[0] !== 'failpoints') return gofail(req, res, method, parts.join('/'));
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length > 3) {
    sendError(res, 404, 'FAULTLINE_NOT_FOUND', `no route ${method} ${url.pathname}`);
    return;
  }
  if (parts.length === 1) {
    if (method === 'PUT') return gofailPutList(req, res);
    if (method !== 'GET') return methodNotAllowed(res, method, url.pathname, 'GET, PUT');
    send(res, 200, {
      seed: failpoints.seed(),
      disabled: failpoints.disabled(),
      failpoints: failpoints.list(),
    });
    return;
  }
  const name = parts[1]!;
  const sub = parts[2];
  if (sub === undefined) {
    if (method === 'GET') return found(res, name, (fp) => send(res, 200, { failpoint: fp }));
    if (method === 'PUT') return putTerm(req, res, name, url);
    if (method === 'DELETE') {
      return found(res, name, () => {
        const wasSet = failpoints.unset(name);
        send(res, 200, { failpoint: failpoints.get(name), unset: wasSet });
      });
    }
    return methodNotAllowed(res, method, url.pathname, 'GET, PUT, DELETE');
  }
  if (sub === 'release') {
    if (method !== 'POST') return methodNotAllowed(res, method, url.pathname, 'POST');
    const body = await readJsonBody(req, res);
    if (body === undefined) return;
    const count = numberParam(res, 'count', body.count ?? url.searchParams.get('count'));
    const id = numberParam(res, 'id', body.id ?? url.searchParams.get('id'));
    if (count === null || id === null) return;
    return found(res, name, () => {
      if (id !== undefined) {
        if (!failpoints.releaseWaiter(name, id)) {
          sendError(res, 404, 'FAULTLINE_FAILPOINT_WAITER_UNKNOWN', `no caller ${id} is paused at ${name}`);
          return;
        }
        send(res, 200, { released: 1, waiters: failpoints.waiters(name).length });
        return;
      }
      const released = failpoints.release(name, count ?? Number.POSITIVE_INFINITY);
      send(res, 200, { released, waiters: failpoints.waiters(name).length });
    });
  }
  if (sub === 'waiters') {
    if (method !== 'GET') return methodNotAllowed(res, method, url.pathname, 'GET');
    const min = numberParam(res, 'min', url.searchParams.get('min'));
    const timeout = numberParam(res, 'timeout', url.searchParams.get('timeout'));
    if (min === null || timeout === null) return;
    if (failpoints.get(name) === undefined) return unknown(res, name);
    if (min !== undefined && min > 0) {
      const gone = new AbortController();
      res.once('close', () => gone.abort());
      try {
        await failpoints.waitForWaiters(name, min, {
          timeoutMs: Math.min(timeout ?? 30_000, MAX_WAIT_MS),
          signal: gone.signal,
        });
      } catch (err) {
        if (gone.signal.aborted) return;
        return sendFaultlineError(res, err);
      }
    }
    send(res, 200, { name, waiters: failpoints.waiters(name).map((w) => ({ ...w, ctx: jsonSafe(w.ctx) })) });
    return;
  }
  sendError(res, 404, 'FAULTLINE_NOT_FOUND', `no route ${method} ${url.pathname}`);
}

async function putTerm(req: IncomingMessage, res: ServerResponse, name: string, url: URL): Promise<void> {
  const raw = await readBody(req, () => bodyTooLarge(res));
  if (raw === undefined) return;
  let term: unknown = raw;
  let allowUnknown = /^(1|true|yes)$/i.test(url.searchParams.get('allowUnknown') ?? '');
  if (/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      sendError(res, 400, 'FAULTLINE_BAD_REQUEST', 'the body is not valid JSON');
      return;
    }
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      const o = parsed as { term?: unknown; allowUnknown?: unknown };
      term = o.term;
      if (o.allowUnknown === true) allowUnknown = true;
    } else {
      term = parsed;
    }
  }
  if (typeof term !== 'string') {
    sendError(res, 400, 'FAULTLINE_BAD_REQUEST', 'the body must be the term, e.g. 1*throw("refused")');
    return;
  }
  try {
    const refused = activationRefusal(name);
    if (refused !== undefined) throw refused;
    const spec = parseFailpointTerm(term);
    const known = failpoints.get(name) !== undefined;
    if (!known && !allowUnknown) {
      sendError(
        res,
        404,
        'FAULTLINE_FAILPOINT_UNKNOWN',
        `failpoint ${name} has not been reached or declared in this process; check the name, or pass allowUnknown=1 if its code has not run yet`,
      );
      return;
    }
    const fp = failpoints.set(name, spec, { allowUnknown: true });
    send(
      res,
      200,
      known
        ? { failpoint: fp }
        : { failpoint: fp, warning: `failpoint ${name} has not been reached or declared yet` },
    );
  } catch (err) {
    sendFaultlineError(res, err);
  }
}

function found(res: ServerResponse, name: string, then: (fp: FailpointInfo) => void): void {
  const fp = failpoints.get(name);
  if (fp === undefined) unknown(res, name);
  else then(fp);
}

function unknown(res: ServerResponse, name: string): void {
  sendError(
    res,
    404,
    'FAULTLINE_FAILPOINT_UNKNOWN',
    `failpoint ${name} has not been reached, declared or set in this process`,
  );
}

function methodNotAllowed(res: ServerResponse, method: string, path: string, allow: string): void {
  sendError(
    res,
    405,
    'FAULTLINE_METHOD_NOT_ALLOWED',
    `${method} is not allowed on ${path}; use ${allow}`,
    {},
    { allow },
  );
}

/** A non-negative integer parameter; undefined when absent, null after sending a 400. */
function numberParam(res: ServerResponse, name: string, value: unknown): number | undefined | null {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 0) {
    sendError(
      res,
      400,
      'FAULTLINE_BAD_REQUEST',
      `${name} must be a whole number >= 0; got ${JSON.stringify(value)}`,
    );
    return null;
  }
  return n;
}

function bodyTooLarge(res: ServerResponse): void {
  sendError(res, 413, 'FAULTLINE_BODY_TOO_LARGE', `the body is over ${MAX_BODY} bytes`);
}

/**
 * The body as text, or undefined after `tooLarge` has answered (a body over MAX_BODY, read to its end first so
 * the answer arrives; past DRAIN_LIMIT more the connection is simply closed).
 */
async function readBody(req: IncomingMessage, tooLarge: () => void): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY + DRAIN_LIMIT) {
      req.destroy();
      return undefined;
    }
    if (size > MAX_BODY) {
      chunks.length = 0;
      continue;
    }
    chunks.push(chunk);
  }
  if (size > MAX_BODY) {
    tooLarge();
    return undefined;
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readJsonBody(
  req: IncomingMessage,
  res: ServerResponse,
): Promise<Record<string, unknown> | undefined> {
  const raw = await readBody(req, () => bodyTooLarge(res));
  if (raw === undefined) return undefined;
  if (raw.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>;
    }
  } catch {
    // fall through
  }
  sendError(res, 400, 'FAULTLINE_BAD_REQUEST', 'the body must be a JSON object such as {"count": 1}');
  return undefined;
}

/** A value that survives JSON.stringify: the ctx as JSON would have it, or its String() form. */
function jsonSafe(value: unknown): unknown {
  if (value === undefined) return null;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : JSON.parse(text);
  } catch {
    return String(value);
  }
}

// gofail's endpoint shape: text bodies, gofail's status codes and messages.

function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function noContent(res: ServerResponse, headers: Record<string, string> = {}): void {
  res.writeHead(204, { 'cache-control': 'no-store', ...headers });
  res.end();
}

const NO_EXIST = 'failpoint: failpoint does not exist';
const DISABLED = 'failpoint: failpoint is disabled';

function textError(res: ServerResponse, err: unknown, prefix: string): void {
  if (!(err instanceof FaultlineError)) throw err;
  sendText(res, statusOf(err), `${prefix}: ${err.message}\n`);
}

async function gofail(req: IncomingMessage, res: ServerResponse, method: string, key: string): Promise<void> {
  if (key === '') {
    if (method !== 'GET') {
      req.resume();
      return sendText(res, 405, 'Method not allowed\n', { allow: 'GET' });
    }
    const lines = failpoints.list().map((fp) => `${fp.name}=${fp.term ?? ''}\n`);
    return sendText(res, 200, lines.join('') || '\n');
  }
  if (method === 'GET') {
    req.resume();
    const count = key.endsWith('/count');
    const fp = failpoints.get(count ? key.slice(0, -'/count'.length) : key);
    if (fp === undefined) return sendText(res, 404, `failed to GET: ${NO_EXIST}\n`);
    if (fp.term === null) return sendText(res, 404, `failed to GET: ${DISABLED}\n`);
    return sendText(res, 200, count ? String(fp.fires) : `${fp.term}\n`);
  }
  if (method === 'PUT') {
    const raw = await readBody(req, () => sendText(res, 413, `the body is over ${MAX_BODY} bytes\n`));
    if (raw === undefined) return;
    if (!isValidFailpointName(key)) {
      return sendText(res, 400, `fail to set failpoint: ${JSON.stringify(key)} is not a failpoint name\n`);
    }
    try {
      const refused = activationRefusal(key);
      if (refused !== undefined) throw refused;
      const known = failpoints.get(key) !== undefined;
      // gofail's failpoints all exist from the start; here a name exists once its code has run, so a script
      // that sets failpoints before that must not be refused. The header says so instead.
      failpoints.set(key, parseFailpointTerm(raw), { allowUnknown: true });
      return noContent(
        res,
        known ? {} : { 'faultline-warning': `failpoint ${key} has not been reached or declared yet` },
      );
    } catch (err) {
      return textError(res, err, 'fail to set failpoint');
    }
  }
  if (method === 'DELETE') {
    req.resume();
    const fp = failpoints.get(key);
    if (fp === undefined) return sendText(res, 400, `failed to delete failpoint ${NO_EXIST}\n`);
    if (fp.term === null) return sendText(res, 400, `failed to delete failpoint ${DISABLED}\n`);
    failpoints.unset(key);
    return noContent(res);
  }
  req.resume();
  sendText(res, 405, 'Method not allowed\n', { allow: 'GET, PUT, DELETE' });
}

/** gofail's `PUT /failpoints` with `a=term;b=term`: every entry is set, or none (a bad entry is a 400). */
async function gofailPutList(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const raw = await readBody(req, () => sendText(res, 413, `the body is over ${MAX_BODY} bytes\n`));
  if (raw === undefined) return;
  try {
    const entries = parseFailpointsEnv(raw, 'failpoint list');
    for (const { name } of entries) {
      const refused = activationRefusal(name);
      if (refused !== undefined) throw refused;
    }
    for (const { name, spec } of entries) failpoints.set(name, spec, { allowUnknown: true });
    noContent(res);
  } catch (err) {
    textError(res, err, 'fail to parse failpoint');
  }
}
