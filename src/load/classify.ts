/**
 * Maps what a request ended with to an {@link OutcomeClass}. Transport errors arrive from undici and Node with
 * many codes for few causes; the KPIs only care about the cause (did the server time out, drop the connection,
 * refuse it, or something else), so the mapping lives in one place. The raw engine's own codes (`ERR_LOAD_*`) map
 * to the same classes as undici's for the same cause.
 */
import type { OutcomeClass } from './samples.js';

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'ABORT_ERR_TIMEOUT',
  'ERR_LOAD_CONNECT_TIMEOUT',
  'ERR_LOAD_HEADERS_TIMEOUT',
  'ERR_LOAD_BODY_TIMEOUT',
]);
const RESET_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_SOCKET',
  'ECONNABORTED',
  'UND_ERR_CLOSED',
  'ERR_LOAD_SOCKET_CLOSED',
]);
const REFUSED_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/** The status class of an HTTP status code. */
export function statusClass(status: number): OutcomeClass {
  if (status >= 500) return '5xx';
  if (status >= 400) return '4xx';
  if (status >= 300) return '3xx';
  if (status >= 200) return '2xx';
  return '1xx';
}

/** The default rule for an acceptable response: 200–399. */
export function defaultOk(status: number): boolean {
  return status >= 200 && status < 400;
}

/** The outcome classes of a request that got no HTTP status. */
export type TransportFailure = Extract<OutcomeClass, 'timeout' | 'reset' | 'refused' | 'other'>;

/** Classifies a transport error (no HTTP status) by its code, or its cause's code. */
export function classifyError(err: unknown): TransportFailure {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e !== null && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (TIMEOUT_CODES.has(code)) return 'timeout';
      if (REFUSED_CODES.has(code)) return 'refused';
      if (RESET_CODES.has(code)) return 'reset';
    }
    if ((e as { name?: unknown }).name === 'TimeoutError') return 'timeout';
    e = (e as { cause?: unknown }).cause;
  }
  return 'other';
}

/**
 * The `ok` rule of a status list: numbers are statuses, `'2xx'`-style strings whole classes. Plain data, unlike
 * an `ok` function, so it can travel to a worker thread.
 */
export function okStatusRule(list: readonly (number | string)[]): (status: number) => boolean {
  const codes = new Set(list.filter((x): x is number => typeof x === 'number'));
  const classes = new Set(
    list.filter((x): x is string => typeof x === 'string' && /^[1-5]xx$/i.test(x)).map((c) => Number(c[0])),
  );
  return (status) => codes.has(status) || classes.has(Math.floor(status / 100));
}
