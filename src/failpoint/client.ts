/**
 * A client for a process's failpoint control endpoint (see server.ts), used by `faultline failpoint` and by
 * tests that drive failpoints in other processes. It uses undici's `request` rather than `fetch`: fetch
 * refuses some ports outright ("bad port", e.g. 6000 or 6666) and an endpoint may listen on any port.
 */
import type { Dispatcher } from 'undici';
import { FaultlineError, InvalidOptionError } from '../core/errors.js';
import { undici } from '../deps/lazy.js';
import type { FailpointInfo, FailpointWaiter } from './registry.js';

export interface FailpointClientOptions {
  /** `host:port`, `[::1]:port` or an `http://` URL. */
  target: string;
  /** Bearer token; default FAULTLINE_FAILPOINTS_TOKEN. */
  token?: string;
  /** Per-request timeout in ms (default 10,000; a waiters call with `timeoutMs` gets that much more). */
  timeoutMs?: number;
  /** How to reach the endpoint (an SSH forward, say); default undici's global dispatcher. `close` closes it. */
  dispatcher?: Dispatcher;
  /** Where the endpoint is, for messages: `on host n1` reads `… at http://127.0.0.1:7070 on host n1 (…)`. */
  where?: string;
}

export interface FailpointListing {
  seed: number;
  disabled: string | false;
  failpoints: FailpointInfo[];
}

/** An error status from the endpoint: `status` is the HTTP status, `code` the endpoint's error code. */
export class FailpointEndpointError extends FaultlineError {
  readonly status: number;
  readonly column: number | undefined;

  constructor(status: number, code: string, message: string, column?: number) {
    super(code, message, { exitCode: status === 400 ? 2 : 1 });
    this.name = 'FailpointEndpointError';
    this.status = status;
    this.column = column;
  }
}

/** Turns a `--target` into the endpoint's base URL. */
export function endpointUrl(target: string): string {
  const t = target.trim();
  if (/^https?:\/\//i.test(t)) return t.replace(/\/+$/, '');
  if (!/^(\[[^\]]+\]|[^:/\s]*):\d{1,5}$/.test(t)) {
    throw new InvalidOptionError(
      '--target',
      `expected host:port (e.g. 127.0.0.1:7070); got ${JSON.stringify(target)}`,
    );
  }
  return `http://${t.startsWith(':') ? `127.0.0.1${t}` : t}`;
}

export class FailpointClient {
  readonly url: string;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;
  readonly #dispatcher: Dispatcher | undefined;
  readonly #where: string;

  constructor(options: FailpointClientOptions) {
    this.url = endpointUrl(options.target);
    const token = options.token ?? process.env.FAULTLINE_FAILPOINTS_TOKEN;
    this.#token = token === '' ? undefined : token;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#dispatcher = options.dispatcher;
    this.#where = options.where ? ` ${options.where}` : '';
  }

  /** Closes the dispatcher it was given (its connections); without one, nothing to do. */
  async close(): Promise<void> {
    await this.#dispatcher?.close();
  }

  list(): Promise<FailpointListing> {
    return this.#call('GET', '/failpoints');
  }

  async get(name: string): Promise<FailpointInfo> {
    return (await this.#call<{ failpoint: FailpointInfo }>('GET', path(name))).failpoint;
  }

  set(
    name: string,
    term: string,
    options: { allowUnknown?: boolean } = {},
  ): Promise<{ failpoint: FailpointInfo; warning?: string }> {
    return this.#call('PUT', path(name) + (options.allowUnknown ? '?allowUnknown=1' : ''), term);
  }

  unset(name: string): Promise<{ failpoint: FailpointInfo; unset: boolean }> {
    return this.#call('DELETE', path(name));
  }

  /** Releases `count` callers (default all), or the one with waiter id `id`. */
  release(
    name: string,
    options: { count?: number; id?: number } = {},
  ): Promise<{ released: number; waiters: number }> {
    return this.#call('POST', `${path(name)}/release`, JSON.stringify(options), 'application/json');
  }

  /** The callers paused at `name`; with `min`, waits (up to `timeoutMs`) until that many are paused. */
  waiters(
    name: string,
    options: { min?: number; timeoutMs?: number } = {},
  ): Promise<{ name: string; waiters: FailpointWaiter[] }> {
    const q = new URLSearchParams();
    if (options.min !== undefined) q.set('min', String(options.min));
    if (options.timeoutMs !== undefined) q.set('timeout', String(options.timeoutMs));
    const query = q.size > 0 ? `?${q}` : '';
    return this.#call('GET', `${path(name)}/waiters${query}`, undefined, undefined, options.timeoutMs ?? 0);
  }

  async #call<T>(
    method: 'GET' | 'PUT' | 'DELETE' | 'POST',
    pathname: string,
    body?: string,
    contentType = 'text/plain; charset=utf-8',
    extraMs = 0,
  ): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = contentType;
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    let status: number;
    let text: string;
    try {
      const res = await undici().request(this.url + pathname, {
        method,
        headers,
        body,
        headersTimeout: this.#timeoutMs + extraMs,
        bodyTimeout: this.#timeoutMs + extraMs,
        ...(this.#dispatcher ? { dispatcher: this.#dispatcher } : {}),
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      const code = (err as { code?: string }).code;
      // a FaultlineError (an SSH forward's) says more than its code
      const why =
        code === 'ECONNREFUSED'
          ? 'connection refused'
          : err instanceof FaultlineError
            ? err.message
            : (code ?? (err as Error).message);
      throw new FaultlineError(
        'FAULTLINE_FAILPOINTS_UNREACHABLE',
        `cannot reach the failpoint endpoint at ${this.url}${this.#where} (${why})`,
        {
          exitCode: 1,
          cause: err,
        },
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new FailpointEndpointError(
        status,
        'FAULTLINE_FAILPOINTS_BAD_RESPONSE',
        `${this.url} answered ${status} with something that is not a failpoint endpoint's JSON`,
      );
    }
    if (status >= 400) {
      const e = (parsed as { error?: { code?: string; message?: string; column?: number } }).error ?? {};
      throw new FailpointEndpointError(
        status,
        e.code ?? `HTTP_${status}`,
        e.message ?? `the failpoint endpoint answered ${status}`,
        e.column,
      );
    }
    return parsed as T;
  }
}

function path(name: string): string {
  return `/failpoints/${encodeURIComponent(name)}`;
}

/** A client for the endpoint at `target` (`host:port`). */
export function createFailpointClient(options: FailpointClientOptions): FailpointClient {
  return new FailpointClient(options);
}
