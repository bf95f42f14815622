/**
 * Error catalogs: the errors real interfaces raise, built to look exactly like the real ones, so code under test
 * handles an injected fault through the same branch it would take for a real one. Node system errors get the
 * platform's real `errno`, `code`, `syscall` and message shape; HTTP status errors carry `status`/`statusCode`.
 */
import { getSystemErrorMap } from 'node:util';
import { InvalidOptionError } from '../core/errors.js';
import { describeValue } from '../core/rules.js';

/** Everything an error factory is told about the call it fails. */
export interface FaultContext {
  site: string;
  method: string;
  index: number;
  args: readonly unknown[];
  seed: number;
}

/** An Error subclass constructor. */
export type ErrorClass = new (message?: string) => Error;
/** A function that builds the error for a call. */
export type ErrorFactory = (ctx: FaultContext) => Error;

/**
 * What `error` in a rule (or an interface's declared errors) may be: a catalog name (`'ECONNRESET'`,
 * `'ENOSPC'`, `'HTTP_503'`), an HTTP status number (`503`), an Error class, or a factory.
 */
export type ErrorSpec = string | number | ErrorClass | ErrorFactory;

/** Typical syscall per system error, as Node reports it, for errors whose call has no better guess. */
const DEFAULT_SYSCALL: Record<string, string> = {
  ECONNRESET: 'read',
  ECONNREFUSED: 'connect',
  ECONNABORTED: 'read',
  ETIMEDOUT: 'connect',
  EHOSTUNREACH: 'connect',
  ENETUNREACH: 'connect',
  EADDRINUSE: 'listen',
  EPIPE: 'write',
  EAI_AGAIN: 'getaddrinfo',
  ENOTFOUND: 'getaddrinfo',
  EIO: 'read',
  ENOSPC: 'write',
  EDQUOT: 'write',
  EACCES: 'open',
  EPERM: 'open',
  ENOENT: 'open',
  EEXIST: 'open',
  EMFILE: 'open',
  EBUSY: 'open',
  EROFS: 'open',
  EAGAIN: 'read',
};

/** Codes that come from sockets, whose messages Node writes as `syscall CODE address:port`. */
const SOCKET_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRINUSE',
  'EADDRNOTAVAIL',
  'EPIPE',
]);

/** getaddrinfo errors are not in libuv's errno map with the codes Node's DNS layer uses. */
const DNS_ERRNO: Record<string, [number, string]> = {
  EAI_AGAIN: [-3001, 'temporary failure'],
  ENOTFOUND: [-3008, 'not found'],
};

let errnoByCode: Map<string, [number, string]> | undefined;
function errnoTable(): Map<string, [number, string]> {
  if (!errnoByCode) {
    errnoByCode = new Map();
    for (const [errno, [code, message]] of getSystemErrorMap()) errnoByCode.set(code, [errno, message]);
  }
  return errnoByCode;
}

/** True when `code` names a system error this platform knows (ECONNRESET, ENOSPC, EAI_AGAIN, …). */
export function isSystemErrorCode(code: string): boolean {
  return errnoTable().has(code) || code in DNS_ERRNO;
}

/** The fields Node puts on a system error. */
export interface SystemErrorDetails {
  syscall?: string;
  path?: string;
  dest?: string;
  address?: string;
  port?: number;
  hostname?: string;
}

/** The system-error codes the catalog ships with by name (any code the platform knows also works). */
export const SYSTEM_ERROR_CODES = Object.keys(DEFAULT_SYSCALL);

/**
 * A Node system error exactly as Node would raise it: `code`, negative `errno`, `syscall`, and a message in
 * Node's shape — `ENOSPC: no space left on device, write` for files, `connect ECONNREFUSED 127.0.0.1:6379` for
 * sockets, `getaddrinfo EAI_AGAIN db.internal` for DNS.
 */
export function systemError(code: string, details: SystemErrorDetails = {}): NodeJS.ErrnoException {
  const known = errnoTable().get(code) ?? DNS_ERRNO[code];
  if (!known) throw new InvalidOptionError('error', `unknown system error code ${JSON.stringify(code)}`);
  const [errno, description] = known;
  const syscall = details.syscall ?? DEFAULT_SYSCALL[code] ?? 'read';
  let message: string;
  if (syscall === 'getaddrinfo' || syscall === 'getaddrinfo6') {
    message = `${syscall} ${code}${details.hostname ? ` ${details.hostname}` : ''}`;
  } else if (details.path !== undefined) {
    message = `${code}: ${description}, ${syscall} '${details.path}'${details.dest ? ` -> '${details.dest}'` : ''}`;
  } else if (details.address !== undefined || SOCKET_CODES.has(code)) {
    const where = details.address
      ? ` ${details.address}${details.port !== undefined ? `:${details.port}` : ''}`
      : '';
    // Listen and bind errors come from libuv with its description: `listen EADDRINUSE: address already in use …`.
    const what = syscall === 'listen' || syscall === 'bind' ? `: ${description}` : '';
    message = `${syscall} ${code}${what}${where}`;
  } else {
    message = `${code}: ${description}, ${syscall}`;
  }
  const err = new Error(message) as NodeJS.ErrnoException;
  const fields: Record<string, unknown> = { errno, code, syscall };
  for (const key of ['path', 'dest', 'address', 'port', 'hostname'] as const) {
    if (details[key] !== undefined) fields[key] = details[key];
  }
  return Object.assign(err, fields);
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** An error for an HTTP response status, as SDKs raise them: `status`, `statusCode` and the reason phrase. */
export class HttpStatusError extends Error {
  readonly status: number;
  readonly statusCode: number;
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(status: number, message?: string, headers: Record<string, string> = {}) {
    super(message ?? `${status} ${STATUS_TEXT[status] ?? 'HTTP error'}`);
    this.name = 'HttpStatusError';
    this.status = status;
    this.statusCode = status;
    this.code = `HTTP_${status}`;
    this.headers = headers;
  }
}

function httpStatusOf(spec: string | number): number | undefined {
  const n = typeof spec === 'number' ? spec : /^HTTP[_ ]?(\d{3})$/i.exec(spec)?.[1];
  const status = typeof n === 'string' ? Number(n) : n;
  return status !== undefined && Number.isInteger(status) && status >= 400 && status <= 599
    ? status
    : undefined;
}

function isErrorClass(fn: unknown): fn is ErrorClass {
  return typeof fn === 'function' && (fn === Error || fn.prototype instanceof Error);
}

/** Throws an {@link InvalidOptionError} naming `field` unless `value` is a usable {@link ErrorSpec}. */
export function validateErrorSpec(value: unknown, field: string): asserts value is ErrorSpec {
  if (typeof value === 'function') return;
  if (typeof value === 'number') {
    if (httpStatusOf(value) === undefined)
      throw new InvalidOptionError(field, `HTTP status must be 400–599; got ${value}`);
    return;
  }
  if (typeof value === 'string') {
    if (isSystemErrorCode(value) || httpStatusOf(value) !== undefined) return;
    throw new InvalidOptionError(
      field,
      `unknown error ${JSON.stringify(value)}: use a system error code (${SYSTEM_ERROR_CODES.slice(0, 8).join(', ')}, …), ` +
        `'HTTP_503', an Error class or a factory function`,
    );
  }
  throw new InvalidOptionError(
    field,
    `must be an error factory function, an Error class, a system error code or an HTTP status; got ${
      value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value
    }`,
  );
}

/**
 * Builds the error `spec` describes for one call. A factory that does not return an Error is a usage error,
 * named by `field` (the rule's `faults[2].error`, say).
 */
export function buildError(
  spec: ErrorSpec,
  ctx: FaultContext,
  details?: SystemErrorDetails,
  field = 'error',
): Error {
  if (typeof spec === 'string') {
    const status = httpStatusOf(spec);
    if (status !== undefined && !isSystemErrorCode(spec)) return new HttpStatusError(status);
    return systemError(spec, details);
  }
  if (typeof spec === 'number') return new HttpStatusError(spec);
  if (isErrorClass(spec)) return new spec(`injected fault at ${ctx.site} #${ctx.index}`);
  const made = (spec as ErrorFactory)(ctx);
  if (!(made instanceof Error)) {
    throw new InvalidOptionError(
      field,
      `the error factory for ${ctx.site} returned ${describeValue(made)}; it must return an Error`,
    );
  }
  return made;
}

/** The JSON detail a trace keeps about an error, enough to rebuild a look-alike when replaying without rules. */
export function errorDetail(err: Error): Record<string, unknown> {
  const e = err as Error & { code?: unknown; errno?: unknown; syscall?: unknown; status?: unknown };
  const detail: Record<string, unknown> = { name: e.name, message: e.message };
  if (e.code !== undefined) detail.code = e.code;
  if (e.errno !== undefined) detail.errno = e.errno;
  if (e.syscall !== undefined) detail.syscall = e.syscall;
  if (e.status !== undefined) detail.status = e.status;
  return detail;
}

/**
 * Rebuilds an error from a trace's detail (replay without the original rules). `details` are the replayed call's
 * own (its path, its address), which the trace does not keep.
 */
export function errorFromDetail(
  detail: Record<string, unknown>,
  details?: (code: string) => SystemErrorDetails | undefined,
): Error {
  const code = typeof detail.code === 'string' ? detail.code : undefined;
  if (typeof detail.status === 'number')
    return new HttpStatusError(detail.status, String(detail.message ?? ''));
  const err = new Error(String(detail.message ?? 'injected fault')) as Error & Record<string, unknown>;
  if (typeof detail.name === 'string') err.name = detail.name;
  for (const key of ['code', 'errno', 'syscall'] as const)
    if (detail[key] !== undefined) err[key] = detail[key];
  if (code === undefined || !isSystemErrorCode(code) || err.name !== 'Error') return err;
  // A system error is rebuilt for this call, so its message names this call's path or address, as the original
  // named its own.
  const extra = details?.(code);
  return extra || detail.errno === undefined ? systemError(code, extra) : err;
}
