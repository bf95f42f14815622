/**
 * The HTTP API, path for path and status for status Toxiproxy 2.x's: JSON bodies, 201 on create and populate,
 * 204 on delete and reset, `{ "error", "status" }` errors (plus `field`). Updates accept POST (as Toxiproxy's
 * clients send) and PATCH. Like Toxiproxy, requests from browsers (User-Agent `Mozilla/…`) are refused with 403
 * so a web page cannot drive the API; beyond it, the {@link ControlGuard} refuses a non-loopback Host (no
 * token) or a missing or wrong bearer token (with one), and requests carrying a web page's Origin.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { packageVersion } from '../cli/version.js';
import type { ControlGuard } from '../control/guard.js';
import { badRequestBody, ProxyApiError } from './errors.js';
import type { ProxyOperations } from './operations.js';

/** The Toxiproxy API version this server speaks; `/version` reports it with faultline's own as build metadata. */
export const TOXIPROXY_API_VERSION = '2.12.0';

const MAX_BODY = 1024 * 1024;

function send(
  res: ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): void {
  if (body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

function sendError(res: ServerResponse, err: unknown): void {
  if (err instanceof ProxyApiError) {
    send(res, err.status, err.toJSON());
    return;
  }
  const message = err instanceof Error ? err.message : String(err);
  send(res, 500, { error: message, status: 500 });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw badRequestBody(undefined, `body larger than ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  if (text.trim() === '') throw badRequestBody(undefined, 'EOF');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequestBody(undefined, (err as Error).message);
  }
}

type Handler = (req: IncomingMessage, res: ServerResponse, params: string[]) => Promise<void> | void;

interface Route {
  pattern: RegExp;
  methods: Record<string, Handler>;
}

/** The API as a plain `node:http` request handler over `server`. */
export function createApiHandler(
  server: ProxyOperations,
  guard: ControlGuard,
): (req: IncomingMessage, res: ServerResponse) => void {
  const proxyUpdate: Handler = async (req, res, [name]) =>
    send(res, 200, await server.updateProxy(name!, await readJson(req)));
  const toxicUpdate: Handler = async (req, res, [name, toxic]) =>
    send(res, 200, await server.updateToxic(name!, toxic!, await readJson(req)));
  const routes: Route[] = [
    {
      pattern: /^\/version$/,
      methods: {
        GET: (_req, res) => {
          const text = `${JSON.stringify({ version: `${TOXIPROXY_API_VERSION}+faultline.${packageVersion()}` })}\n`;
          res.writeHead(200, { 'Content-Type': 'application/json;charset=utf-8' });
          res.end(text);
        },
      },
    },
    {
      pattern: /^\/metrics$/,
      methods: {
        GET: (_req, res) => {
          const text = server.metrics();
          res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
          res.end(text);
        },
      },
    },
    {
      pattern: /^\/reset$/,
      methods: {
        POST: async (req, res) => {
          await readBody(req);
          await server.reset();
          send(res, 204);
        },
      },
    },
    {
      pattern: /^\/populate$/,
      methods: {
        POST: async (req, res) => {
          let body: unknown;
          try {
            body = await readJson(req);
          } catch (err) {
            return sendPopulateError(res, err);
          }
          try {
            send(res, 201, { proxies: await server.populate(body) });
          } catch (err) {
            sendPopulateError(res, err);
          }
        },
      },
    },
    {
      pattern: /^\/proxies$/,
      methods: {
        GET: (_req, res) => send(res, 200, server.listProxies()),
        POST: async (req, res) => send(res, 201, await server.createProxy(await readJson(req))),
      },
    },
    {
      pattern: /^\/proxies\/([^/]+)$/,
      methods: {
        GET: (_req, res, [name]) => send(res, 200, server.getProxy(name!)),
        POST: proxyUpdate,
        PATCH: proxyUpdate,
        DELETE: async (_req, res, [name]) => {
          await server.deleteProxy(name!);
          send(res, 204);
        },
      },
    },
    {
      pattern: /^\/proxies\/([^/]+)\/toxics$/,
      methods: {
        GET: (_req, res, [name]) => send(res, 200, server.listToxics(name!)),
        // Toxiproxy answers a created toxic with 200, not 201.
        POST: async (req, res, [name]) => send(res, 200, await server.addToxic(name!, await readJson(req))),
      },
    },
    {
      pattern: /^\/proxies\/([^/]+)\/toxics\/([^/]+)$/,
      methods: {
        GET: (_req, res, [name, toxic]) => send(res, 200, server.getToxic(name!, toxic!)),
        POST: toxicUpdate,
        PATCH: toxicUpdate,
        DELETE: async (_req, res, [name, toxic]) => {
          await server.removeToxic(name!, toxic!);
          send(res, 204);
        },
      },
    },
  ];

  return function handleApiRequest(req, res) {
    if ((req.headers['user-agent'] ?? '').startsWith('Mozilla/')) {
      res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('User agent not allowed\n');
      return;
    }
    const refusal = guard.check(req);
    if (refusal !== undefined) {
      req.resume();
      send(
        res,
        refusal.status,
        { error: refusal.message, status: refusal.status, code: refusal.code },
        refusal.headers,
      );
      return;
    }
    const path = (req.url ?? '/').split('?')[0]!;
    for (const route of routes) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      const handler = route.methods[req.method ?? 'GET'];
      if (!handler) {
        req.resume();
        send(res, 405, { error: 'method not allowed', status: 405 });
        return;
      }
      let params: string[];
      try {
        params = m.slice(1).map((p) => decodeURIComponent(p));
      } catch {
        send(res, 400, { error: 'bad request: malformed path', status: 400 });
        return;
      }
      Promise.resolve()
        .then(() => handler(req, res, params))
        .catch((err: unknown) => {
          req.resume();
          if (!res.headersSent) sendError(res, err);
          else res.destroy();
        });
      return;
    }
    req.resume();
    send(res, 404, { error: 'not found', status: 404 });
  };
}

/** Toxiproxy's populate error: the error fields and the (here always empty: nothing applied) proxy list. */
function sendPopulateError(res: ServerResponse, err: unknown): void {
  const e =
    err instanceof ProxyApiError
      ? err.toJSON()
      : { error: err instanceof Error ? err.message : String(err), status: 500 };
  send(res, e.status, { ...e, proxies: [] });
}
