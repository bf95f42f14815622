/**
 * The undici interceptor: `(dispatch) => (opts, handler) => …`, composable with `Dispatcher.compose` /
 * `agent.compose(...)`. A request no rule picks goes straight to the next dispatcher, handler untouched. A request
 * a rule picks is carried out here with undici's v7 handler API (`onRequestStart` / `onResponseStart` /
 * `onResponseData` / `onResponseEnd` / `onResponseError` with a controller): answered without reaching the server,
 * failed with the exact error undici raises on a real reset, held until the caller aborts, delayed, or passed
 * through with its body slowed or cut.
 *
 * The caller's handler only ever sees one controller (this module's), which forwards pause/resume/abort to the
 * real request once there is one; so an abort during an injected delay or hang ends the request at once, the
 * way it would end a real slow request.
 */
import { isIP } from 'node:net';
import type { Dispatcher } from 'undici';
import { undici } from '../deps/lazy.js';
import {
  type HttpChaosControl,
  HttpChaosEngine,
  type HttpChaosOptions,
  type HttpOutcome,
  markInjected,
} from './engine.js';
import type { HttpRequestInfo } from './rules.js';

type DispatchFn = Dispatcher['dispatch'];
type Handler = Dispatcher.DispatchHandler;
type Controller = Dispatcher.DispatchController;

/** An undici interceptor that injects HTTP faults, with its run-time control and trace. */
export interface ChaosInterceptor {
  (dispatch: DispatchFn): DispatchFn;
  /** Run-time control: enable/disable, rates, rules, counters. */
  readonly control: HttpChaosControl;
  /** The faults injected so far, with request counts per site. */
  readonly trace: HttpChaosControl['trace'];
}

/**
 * An undici interceptor injecting the faults `options.faults` describe, seeded and traced.
 * @example
 * const agent = new Agent().compose(chaosInterceptor({ seed: 7, faults: [{ path: '/pay', rate: 0.2, status: 503 }] }));
 * await request('http://127.0.0.1:8080/pay', { method: 'POST', dispatcher: agent });
 */
export function chaosInterceptor(options: HttpChaosOptions = {}): ChaosInterceptor {
  return interceptorFor(new HttpChaosEngine(options));
}

/** @internal the interceptor over an existing engine (shared by chaosFetch and installChaos). */
export function interceptorFor(engine: HttpChaosEngine): ChaosInterceptor {
  const interceptor = (dispatch: DispatchFn): DispatchFn =>
    function chaosDispatch(opts, handler) {
      if (!engine.active) return dispatch(opts, handler);
      const info = requestInfo(opts);
      const outcome = engine.decide(info);
      if (outcome === undefined) return dispatch(opts, handler);
      new ChaosRequest(dispatch, opts, handler as Handler, outcome, info).start();
      return true;
    };
  Object.defineProperty(interceptor, 'control', { value: engine.control, enumerable: true });
  Object.defineProperty(interceptor, 'trace', { get: () => engine.control.trace, enumerable: true });
  engine.register(interceptor);
  return interceptor as ChaosInterceptor;
}

const ORIGIN_ONLY = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]+$/i;

function originOf(origin: Dispatcher.DispatchOptions['origin']): string {
  if (origin === undefined) return '';
  if (typeof origin === 'string') return ORIGIN_ONLY.test(origin) ? origin : new URL(origin).origin;
  return origin.origin;
}

function headersOf(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (k: unknown, v: unknown) => {
    if (v === undefined || v === null) return;
    const key = String(k).toLowerCase();
    const value = Array.isArray(v) ? v.map(String).join(', ') : String(v);
    out[key] = out[key] === undefined ? value : `${out[key]}, ${value}`;
  };
  if (Array.isArray(raw)) {
    // undici's flat form [name, value, name, value, …]
    for (let i = 0; i + 1 < raw.length; i += 2) add(raw[i], raw[i + 1]);
  } else if (raw && typeof raw === 'object') {
    if (typeof (raw as Iterable<unknown>)[Symbol.iterator] === 'function') {
      for (const pair of raw as Iterable<[unknown, unknown]>) add(pair[0], pair[1]);
    } else for (const [k, v] of Object.entries(raw)) add(k, v);
  }
  return out;
}

/** What rules see about an undici request. */
export function requestInfo(opts: Dispatcher.DispatchOptions): HttpRequestInfo {
  const origin = originOf(opts.origin);
  const rawPath = opts.path ?? '/';
  const q = rawPath.indexOf('?');
  const path = q === -1 ? rawPath : rawPath.slice(0, q);
  let headers: Record<string, string> | undefined;
  return {
    method: String(opts.method ?? 'GET').toUpperCase(),
    origin,
    path,
    url: origin + rawPath,
    get headers() {
      headers ??= headersOf(opts.headers);
      return headers;
    },
  };
}

function socketInfo(origin: string): Record<string, unknown> {
  let remoteAddress: string | undefined;
  let remotePort: number | undefined;
  try {
    const url = new URL(origin);
    remoteAddress = url.hostname.replace(/^\[|\]$/g, '');
    remotePort = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  } catch {
    // no address to report
  }
  return {
    localAddress: undefined,
    localPort: undefined,
    remoteAddress,
    remotePort,
    remoteFamily: remoteAddress && isIP(remoteAddress) === 6 ? 'IPv6' : 'IPv4',
    bytesWritten: 0,
    bytesRead: 0,
  };
}

/**
 * The error undici raises when the peer closes the connection (before a response, or mid-body): a
 * `SocketError` 'other side closed', code `UND_ERR_SOCKET`. fetch wraps it as `TypeError('fetch failed')`
 * (or `'terminated'` mid-body) with this as `cause`.
 */
export function peerClosedError(origin: string): Error {
  return new (undici().errors.SocketError)('other side closed', socketInfo(origin) as never);
}

/** The error Node raises when the peer resets a connection (TCP RST) while undici reads: 'read ECONNRESET'. */
export function peerResetError(): Error {
  return Object.assign(new Error('read ECONNRESET'), { errno: -104, code: 'ECONNRESET', syscall: 'read' });
}

/**
 * Carries out one injected fault. It is the controller the caller's handler sees for the whole request; while a
 * real request is in flight (`#inner`), pause/resume/abort go to it.
 */
class ChaosRequest implements Controller {
  readonly #dispatch: DispatchFn;
  readonly #opts: Dispatcher.DispatchOptions;
  readonly #handler: Handler;
  readonly #outcome: HttpOutcome;
  readonly #info: HttpRequestInfo;
  #inner: Controller | undefined;
  #aborted = false;
  #reason: Error | null = null;
  #paused = false;
  #done = false;
  #timers = new Set<NodeJS.Timeout | NodeJS.Immediate>();
  #onResume: (() => void) | undefined;
  rawHeaders: Buffer[] | string[] | null = null;
  rawTrailers: Buffer[] | string[] | null = null;

  constructor(
    dispatch: DispatchFn,
    opts: Dispatcher.DispatchOptions,
    handler: Handler,
    outcome: HttpOutcome,
    info: HttpRequestInfo,
  ) {
    this.#dispatch = dispatch;
    this.#opts = opts;
    this.#handler = handler;
    this.#outcome = outcome;
    this.#info = info;
  }

  get aborted(): boolean {
    return this.#aborted;
  }
  get paused(): boolean {
    return this.#paused;
  }
  get reason(): Error | null {
    return this.#reason;
  }

  abort(reason: Error): void {
    if (this.#aborted || this.#done) return;
    this.#aborted = true;
    this.#reason = reason;
    if (this.#inner) this.#inner.abort(reason);
    else this.#fail(reason);
  }

  pause(): void {
    this.#paused = true;
    if (this.#inner && !this.#outcome.bodyDelayMs) this.#inner.pause();
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.#inner && !this.#pending) this.#inner.resume();
    const wake = this.#onResume;
    this.#onResume = undefined;
    wake?.();
  }

  #later(ms: number, fn: () => void): void {
    if (ms > 0) {
      const t = setTimeout(() => {
        this.#timers.delete(t);
        fn();
      }, ms);
      this.#timers.add(t);
    } else {
      // Never answer synchronously from dispatch(): a real response always arrives on a later turn.
      const t = setImmediate(() => {
        this.#timers.delete(t);
        fn();
      });
      this.#timers.add(t);
    }
  }

  #clearTimers(): void {
    for (const t of this.#timers) {
      clearTimeout(t as NodeJS.Timeout);
      clearImmediate(t as NodeJS.Immediate);
    }
    this.#timers.clear();
  }

  #fail(err: Error): void {
    if (this.#done) return;
    this.#done = true;
    this.#clearTimers();
    this.#handler.onResponseError?.(this, err);
  }

  start(): void {
    try {
      this.#handler.onRequestStart?.(this, {});
    } catch (err) {
      this.#fail(err as Error);
      return;
    }
    if (this.#done) return;
    this.#later(this.#outcome.delayMs, () => this.#act());
  }

  #act(): void {
    if (this.#done) return;
    const o = this.#outcome;
    switch (o.kind) {
      case 'status':
        this.#respond();
        return;
      case 'reset':
        this.#fail(
          markInjected(o.reset === 'rst' ? peerResetError() : peerClosedError(this.#info.origin), o.mark),
        );
        return;
      case 'error':
        this.#fail(o.error!);
        return;
      case 'hang':
        this.#hang();
        return;
      default:
        this.#passThrough();
    }
  }

  /** No answer: only the caller's abort, its `headersTimeout`, or the peer giving up (`timeoutMs`) ends it. */
  #hang(): void {
    const headersTimeout = this.#opts.headersTimeout;
    const peerTimeout = this.#outcome.hangTimeoutMs;
    if (
      typeof headersTimeout === 'number' &&
      headersTimeout > 0 &&
      (peerTimeout === undefined || headersTimeout <= peerTimeout)
    ) {
      this.#later(headersTimeout, () => this.#fail(new (undici().errors.HeadersTimeoutError)()));
    } else if (peerTimeout !== undefined) {
      this.#later(peerTimeout, () =>
        this.#fail(markInjected(peerClosedError(this.#info.origin), this.#outcome.mark)),
      );
    }
  }

  #respond(): void {
    const res = this.#outcome.response!;
    try {
      this.#handler.onResponseStart?.(this, res.status, res.headers, res.statusText);
    } catch (err) {
      this.#fail(err as Error);
      return;
    }
    const body = new BodyShaper(this);
    body.started();
    if (res.body.length > 0) body.push(res.body);
    body.end({});
  }

  #pending = 0;

  /** Resolves once the caller is not pausing: like a real parser, nothing is delivered while paused. */
  flowing(): Promise<void> {
    if (!this.#paused || this.#done) return Promise.resolve();
    return new Promise((resolve) => {
      this.#onResume = resolve;
    });
  }

  /** Called by the body shaper: deliver one chunk once the caller is not pausing. */
  async deliver(chunk: Buffer): Promise<void> {
    await this.flowing();
    if (this.#done) return;
    try {
      this.#handler.onResponseData?.(this, chunk);
    } catch (err) {
      this.#fail(err as Error);
    }
  }

  finish(trailers: Record<string, string | string[] | undefined>): void {
    if (this.#done) return;
    this.#clearTimers();
    try {
      this.#handler.onResponseEnd?.(this, trailers as never);
      this.#done = true;
    } catch (err) {
      // undici turns a handler's throw into onResponseError (the retry interceptor relies on it).
      this.#fail(err as Error);
    }
  }

  /** The connection dies mid-body: the real request (if any) is torn down and the caller sees a peer close. */
  cut(): void {
    if (this.#done) return;
    const err = markInjected(peerClosedError(this.#info.origin), this.#outcome.mark);
    const inner = this.#inner;
    this.#fail(err);
    inner?.abort(err);
  }

  failWith(err: Error): void {
    this.#fail(err);
  }

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => this.#later(ms, resolve));
  }

  get bodyDelayMs(): number | undefined {
    return this.#outcome.bodyDelayMs;
  }
  get truncate(): number | undefined {
    return this.#outcome.truncate;
  }
  get done(): boolean {
    return this.#done;
  }

  #passThrough(): void {
    const shaping = this.#outcome.kind === 'modify';
    const self = this;
    const body = shaping ? new BodyShaper(this) : undefined;
    const forward: Handler = {
      onRequestStart(controller) {
        self.#inner = controller;
        if (self.#aborted) controller.abort(self.#reason!);
        else if (self.#paused && !shaping) controller.pause();
      },
      onRequestUpgrade(_controller, statusCode, headers, socket) {
        self.#handler.onRequestUpgrade?.(self, statusCode, headers, socket);
      },
      onResponseStart(controller, statusCode, headers, statusMessage) {
        if (self.#done) return;
        self.rawHeaders = (controller.rawHeaders as Buffer[] | null | undefined) ?? null;
        self.#handler.onResponseStart?.(self, statusCode, headers, statusMessage);
        body?.started();
      },
      onResponseData(controller, chunk) {
        if (self.#done) return;
        if (!body) {
          self.#handler.onResponseData?.(self, chunk);
          return;
        }
        if (self.#outcome.bodyDelayMs) {
          // Hold the real stream while the chunk is being delayed: the peer is "slow".
          self.#pending += 1;
          controller.pause();
        }
        body.push(chunk);
      },
      onResponseEnd(controller, trailers) {
        if (self.#done) return;
        self.rawTrailers = (controller.rawTrailers as Buffer[] | null | undefined) ?? null;
        if (!body) {
          self.#done = true;
          self.#handler.onResponseEnd?.(self, trailers);
        } else body.end(trailers);
      },
      onResponseError(_controller, err) {
        if (self.#done) return;
        if (body) body.error(err);
        else self.#fail(err);
      },
    };
    this.#dispatch(this.#opts, forward);
  }

  /** A delayed chunk was delivered: let the real stream flow again unless the caller paused it. */
  released(): void {
    if (this.#pending > 0) this.#pending -= 1;
    if (this.#pending === 0 && !this.#paused) this.#inner?.resume();
  }
}

/**
 * Shapes a response body on its way to the caller: a delay before each chunk, and a cut after `truncate` bytes
 * (then the same error a connection closed mid-body gives). Events are queued so order is kept across delays.
 */
class BodyShaper {
  readonly #req: ChaosRequest;
  #chain: Promise<void> = Promise.resolve();
  #sent = 0;

  constructor(req: ChaosRequest) {
    this.#req = req;
  }

  #then(step: () => Promise<void> | void): void {
    this.#chain = this.#chain.then(step).catch((err: unknown) => this.#req.failWith(err as Error));
  }

  push(chunk: Buffer): void {
    this.#then(async () => {
      const req = this.#req;
      if (req.done) return;
      const limit = req.truncate;
      if (limit !== undefined && this.#sent >= limit) {
        req.cut();
        return;
      }
      const part =
        limit !== undefined && this.#sent + chunk.length > limit
          ? chunk.subarray(0, limit - this.#sent)
          : chunk;
      if (req.bodyDelayMs) await req.wait(req.bodyDelayMs);
      if (req.done) return;
      this.#sent += part.length;
      if (part.length > 0) await req.deliver(part);
      if (req.bodyDelayMs) req.released();
      if (limit !== undefined && this.#sent >= limit) {
        // The close arrives after the data, as on a real socket, so a reader gets the bytes before the error.
        await req.wait(0);
        req.cut();
      }
    });
  }

  /** Headers are out: a cut at 0 bytes happens now, before any body. */
  started(): void {
    if (this.#req.truncate === 0) this.#then(() => this.#req.cut());
  }

  end(trailers: Record<string, string | string[] | undefined>): void {
    this.#then(async () => {
      // A truncated body never completes, even when it was shorter than the cut.
      if (this.#req.truncate !== undefined) {
        await this.#req.wait(0);
        this.#req.cut();
      } else {
        await this.#req.flowing();
        this.#req.finish(trailers);
      }
    });
  }

  error(err: Error): void {
    this.#then(() => this.#req.failWith(err));
  }
}
