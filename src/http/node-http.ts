/**
 * Chaos for clients built on node:http / node:https (axios, got, most SDKs), which never go through undici:
 * @mswjs/interceptors' ClientRequest interceptor sees every request they make, and the same engine as the undici
 * interceptor decides its fault. Errors surface as node:http reports them: a peer close before the response is
 * 'socket hang up' (ECONNRESET), a reset is 'read ECONNRESET', a body cut mid-way aborts the response
 * ('aborted', ECONNRESET). Requests no rule picks go to the real server untouched; a slowed or truncated real
 * response is fetched from the server here and replayed to the caller with the fault applied.
 */
import type { ClientRequest } from 'node:http';
import { Readable } from 'node:stream';
import type { ClientRequestInterceptor } from '@mswjs/interceptors/ClientRequest';
import type { Agent } from 'undici';
import { systemError } from '../chaos/errors.js';
import { mswClientRequest, mswInterceptors, undici } from '../deps/lazy.js';
import {
  type HttpChaosControl,
  HttpChaosEngine,
  type HttpChaosOptions,
  type HttpOutcome,
  markInjected,
} from './engine.js';
import type { HttpRequestInfo } from './rules.js';

/** An installed node:http chaos layer. */
export interface HttpChaosInstallation {
  readonly control: HttpChaosControl;
  readonly trace: HttpChaosControl['trace'];
  /** Stops intercepting node:http requests. Safe to call twice. */
  uninstall(): Promise<void>;
}

/** node:http's error for a connection closed before any response: `socket hang up`, code ECONNRESET. */
export function socketHangUpError(): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'host',
  'content-length',
  'upgrade',
]);

function infoOf(request: Request): HttpRequestInfo {
  const url = new URL(request.url);
  let headers: Record<string, string> | undefined;
  return {
    method: request.method.toUpperCase(),
    origin: url.origin,
    path: url.pathname,
    url: request.url,
    get headers() {
      if (!headers) {
        headers = {};
        request.headers.forEach((v, k) => {
          headers![k] = v;
        });
      }
      return headers;
    },
  };
}

/** Resolves when the caller gives up on the request (destroys it, e.g. on its timeout), or after `ms`. */
function waitForCaller(
  raw: ClientRequest | undefined,
  ms: number | undefined,
): Promise<'closed' | 'timeout'> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const onClose = () => {
      if (timer) clearTimeout(timer);
      resolve('closed');
    };
    if (raw?.destroyed) return resolve('closed');
    raw?.once('close', onClose);
    if (ms !== undefined) {
      timer = setTimeout(() => {
        raw?.off('close', onClose);
        resolve('timeout');
      }, ms);
    }
  });
}

/** A web stream over `body` that waits `chunkMs` before each chunk and, with `truncate`, errors after that many bytes. */
function shapeBody(
  body: AsyncIterable<Uint8Array>,
  chunkMs: number | undefined,
  truncate: number | undefined,
  raw: ClientRequest | undefined,
): ReadableStream<Uint8Array> {
  async function* shaped(): AsyncGenerator<Uint8Array> {
    let sent = 0;
    for await (const chunk of body) {
      let part = chunk;
      if (truncate !== undefined && sent + part.length > truncate) part = part.subarray(0, truncate - sent);
      if (chunkMs && part.length > 0) {
        if ((await waitForCaller(raw, chunkMs)) === 'closed') return;
      }
      sent += part.length;
      if (part.length > 0) yield part;
      if (truncate !== undefined && sent >= truncate) break;
    }
    // The stream erroring makes the interceptor destroy the socket mid-body, as a dying peer does.
    if (truncate !== undefined) throw socketHangUpError();
  }
  return Readable.toWeb(Readable.from(shaped())) as unknown as ReadableStream<Uint8Array>;
}

/**
 * Intercepts node:http and node:https requests in this process and applies `options.faults` to them, seeded
 * and traced like the undici interceptor. Call `uninstall()` when done.
 * @example
 * const chaos = installHttpChaos({ seed: 3, faults: [{ path: '/orders', rate: 0.3, reset: true }] });
 * // axios / got / http.request now see 'socket hang up' on about 30% of /orders requests
 * await chaos.uninstall();
 */
export function installHttpChaos(options: HttpChaosOptions = {}): HttpChaosInstallation {
  const engine = new HttpChaosEngine(options);
  installed.add(engine);
  if (!shared) {
    shared = new (mswClientRequest().ClientRequestInterceptor)();
    // apply() before on(): when another copy is already running, apply() rebinds on() to the running one.
    shared.apply();
    shared.on('request', onRequest);
  }
  let done = false;
  const installation: HttpChaosInstallation = {
    control: engine.control,
    get trace() {
      return engine.control.trace;
    },
    async uninstall() {
      if (done) return;
      done = true;
      engine.active = false;
      installed.delete(engine);
      if (installed.size === 0 && shared) {
        shared.dispose();
        shared = undefined;
        const agent = upstream;
        upstream = undefined;
        await agent?.close();
      }
    },
  };
  engine.register(installation);
  return installation;
}

/**
 * One interceptor for the process, however many installations: node:http is patched once, and each request is
 * offered to the installations in the order they were made (the first that injects a fault wins).
 */
const installed = new Set<HttpChaosEngine>();
let shared: ClientRequestInterceptor | undefined;
/** Our own upstream for slowed/truncated real responses: undici does not go through node:http, so no loop. */
let upstream: Agent | undefined;

async function onRequest({
  request,
  controller,
}: {
  request: Request;
  controller: Controller;
}): Promise<void> {
  const info = infoOf(request);
  let outcome: HttpOutcome | undefined;
  for (const engine of installed) {
    outcome = engine.decide(info);
    if (outcome) break;
  }
  if (outcome === undefined) return; // pass through to the real server
  const raw = mswInterceptors().getRawRequest(request) as ClientRequest | undefined;
  if (outcome.delayMs > 0 && (await waitForCaller(raw, outcome.delayMs)) === 'closed') return;
  await carryOut(outcome, info, request, controller, raw, () => {
    upstream ??= new (undici().Agent)();
    return upstream;
  });
}

interface Controller {
  respondWith(response: Response): void;
  errorWith(reason?: unknown): void;
}

async function carryOut(
  outcome: HttpOutcome,
  info: HttpRequestInfo,
  request: Request,
  controller: Controller,
  raw: ClientRequest | undefined,
  upstream: () => Agent,
): Promise<void> {
  switch (outcome.kind) {
    case 'status': {
      const r = outcome.response!;
      const body =
        r.body.length === 0 && outcome.truncate === undefined
          ? null
          : shapeBody(oneChunk(r.body), outcome.bodyDelayMs, outcome.truncate, raw);
      controller.respondWith(
        new Response(body, { status: r.status, statusText: r.statusText, headers: r.headers }),
      );
      return;
    }
    case 'reset':
      controller.errorWith(
        markInjected(
          outcome.reset === 'rst' ? systemError('ECONNRESET', { syscall: 'read' }) : socketHangUpError(),
          outcome.mark,
        ),
      );
      return;
    case 'error':
      controller.errorWith(outcome.error);
      return;
    case 'hang': {
      // A hung server has accepted the connection and says nothing. Marking the interceptor's socket connected
      // arms timers the caller set with req.setTimeout() (node:http waits for 'connect' to start them).
      (raw?.socket as { mockConnect?: () => void } | null | undefined)?.mockConnect?.();
      // Until the caller gives up (then there is nothing left to answer), or the peer does and closes.
      await waitForCaller(raw, outcome.hangTimeoutMs);
      controller.errorWith(markInjected(socketHangUpError(), outcome.mark));
      return;
    }
    case 'modify': {
      const headers: Record<string, string> = {};
      request.headers.forEach((v, k) => {
        if (!HOP_BY_HOP.has(k)) headers[k] = v;
      });
      const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
      const res = await undici().request(info.url, {
        method: request.method as 'GET',
        headers,
        body: hasBody ? Buffer.from(await request.arrayBuffer()) : undefined,
        dispatcher: upstream(),
      });
      const out = new Headers();
      for (const [k, v] of Object.entries(res.headers)) {
        if (v === undefined || k === 'connection' || k === 'keep-alive') continue;
        for (const item of Array.isArray(v) ? v : [v]) out.append(k, item);
      }
      const noBody = request.method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304;
      controller.respondWith(
        new Response(noBody ? null : shapeBody(res.body, outcome.bodyDelayMs, outcome.truncate, raw), {
          status: res.statusCode,
          headers: out,
        }),
      );
      return;
    }
    default:
      // A pure delay: the request now goes through to the real server.
      return;
  }
}

async function* oneChunk(bytes: Buffer): AsyncGenerator<Uint8Array> {
  yield bytes;
}
