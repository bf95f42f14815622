/**
 * The undici engine: requests go through an undici `Pool` of keep-alive connections. It speaks `http:` and
 * `https:` and is the default for `https:` targets. The hot path uses `Pool.dispatch` with a small handler object
 * rather than `request()`: no promise, no body stream, the body is discarded chunk by chunk; per request it
 * costs one handler allocation plus undici's own bookkeeping.
 */
import type { Dispatcher, Pool } from 'undici';
import { undici } from '../../deps/lazy.js';
import type { BuiltRequest } from '../template.js';
import type { HttpEngine, HttpEngineDefinition, HttpEngineOptions } from './engine.js';

/** The per-request handler undici calls back; one object per request. */
class RequestHandler<T> {
  status = 0;
  /** True while `dispatch` runs: an outcome reported then is deferred (the engine contract). */
  sync = true;
  constructor(
    readonly engine: UndiciEngine<T>,
    readonly tag: T,
  ) {}
  onConnect(): void {}
  onHeaders(status: number): boolean {
    this.status = status;
    return true;
  }
  onData(): boolean {
    return true;
  }
  onComplete(): void {
    if (this.sync) queueMicrotask(() => this.engine.onComplete(this.tag, this.status, null));
    else this.engine.onComplete(this.tag, this.status, null);
  }
  onError(err: Error): void {
    if (this.sync) queueMicrotask(() => this.engine.onComplete(this.tag, 0, err));
    else this.engine.onComplete(this.tag, 0, err);
  }
}

class UndiciEngine<T> implements HttpEngine<T> {
  readonly onComplete: (tag: T, status: number, error: unknown) => void;
  readonly #pool: Pool;
  readonly #origin: string;
  readonly #optsCache = new WeakMap<BuiltRequest, Dispatcher.DispatchOptions>();

  constructor(options: HttpEngineOptions<T>) {
    this.onComplete = options.onComplete;
    this.#origin = options.url.origin;
    this.#pool = new (undici().Pool)(this.#origin, {
      connections: options.connections,
      pipelining: options.pipelining,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connectTimeout: options.timeoutMs,
    });
  }

  send(req: BuiltRequest, tag: T): void {
    // Static templates return the same BuiltRequest every time: reuse its dispatch options too.
    let opts = this.#optsCache.get(req);
    if (opts === undefined) {
      opts = {
        origin: this.#origin,
        method: req.method,
        path: req.path,
        headers: req.headers,
        body: req.body,
      };
      if (req.reusable) this.#optsCache.set(req, opts);
    }
    const handler = new RequestHandler(this, tag);
    try {
      this.#pool.dispatch(opts, handler);
    } finally {
      handler.sync = false;
    }
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}

/** The undici engine definition. */
export const undiciEngine: HttpEngineDefinition = {
  name: 'undici',
  protocols: ['http:', 'https:'],
  description: 'undici Pool.dispatch: http: and https:, the default for https:',
  create: (options) => new UndiciEngine(options),
};
