/**
 * Who may call a control endpoint (the failpoint endpoint, the proxy API): whoever can, can inject faults.
 *
 * Without a token, only this machine: the endpoint must listen on a loopback address, and a request whose
 * Host is not a loopback name is refused, so a web page on another name that resolves to 127.0.0.1 (DNS
 * rebinding) cannot drive it. With a token, every request must carry `Authorization: Bearer <token>`,
 * compared in constant time, and the endpoint may listen anywhere. Either way, requests that come from web
 * pages (an `Origin` header, `Sec-Fetch-Site: cross-site` or `same-site`) are refused.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { FaultlineError, InvalidOptionError } from '../core/errors.js';

/** The shortest token accepted. */
export const MIN_TOKEN_LENGTH = 16;

/** True for `localhost`, 127.0.0.0/8, ::1 and IPv4-mapped 127.x addresses. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

/** Why a request was refused: the status, a stable code, a message, and headers to send with it. */
export interface ControlRefusal {
  status: 401 | 403;
  code: 'FAULTLINE_UNAUTHORIZED' | 'FAULTLINE_FORBIDDEN_HOST' | 'FAULTLINE_FORBIDDEN_ORIGIN';
  message: string;
  headers: Record<string, string>;
}

export interface ControlGuard {
  /** Whether requests need the bearer token. */
  readonly requiresToken: boolean;
  /** Refuses to listen on `host` without a token (call it before listening, or applying anything). */
  checkListenHost(host: string): void;
  /** Why `req` must be refused, or undefined when it may go on. */
  check(req: IncomingMessage): ControlRefusal | undefined;
}

export interface ControlGuardOptions {
  /** The token, if any ('' counts as none). */
  token: string | undefined;
  /** The endpoint, for messages: e.g. `the proxy API`. */
  what: string;
  /** The environment variable users set the token in, named in messages. */
  tokenVariable: string;
  /** The error code of a refusal to listen on a non-loopback host without a token. */
  insecureCode: string;
  /** `WWW-Authenticate` realm. */
  realm: string;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** A guard for one endpoint; throws `InvalidOptionError` (field `token`) for a token shorter than 16. */
export function createControlGuard(options: ControlGuardOptions): ControlGuard {
  const token = options.token === '' ? undefined : options.token;
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH) {
    throw new InvalidOptionError('token', `must be at least ${MIN_TOKEN_LENGTH} characters`);
  }
  // Both sides hashed to 32 bytes: equal lengths for timingSafeEqual, and no length leak.
  const tokenDigest = token === undefined ? undefined : digest(token);
  return {
    requiresToken: tokenDigest !== undefined,
    checkListenHost(host) {
      if (tokenDigest === undefined && !isLoopbackHost(host)) {
        throw new FaultlineError(
          options.insecureCode,
          `refusing to start ${options.what} on ${host}: a non-loopback address needs a token (${options.tokenVariable})`,
        );
      }
    },
    check(req): ControlRefusal | undefined {
      if (tokenDigest !== undefined) {
        const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
        if (m === null || !timingSafeEqual(digest(m[1]!.trim()), tokenDigest)) {
          return {
            status: 401,
            code: 'FAULTLINE_UNAUTHORIZED',
            message: m === null ? 'missing token: send Authorization: Bearer <token>' : 'wrong token',
            headers: { 'www-authenticate': `Bearer realm="${options.realm}"` },
          };
        }
      } else {
        const hostHeader = req.headers.host ?? '';
        if (!isLoopbackHost(hostHeader.replace(/:\d+$/, ''))) {
          return {
            status: 403,
            code: 'FAULTLINE_FORBIDDEN_HOST',
            message: `Host ${JSON.stringify(hostHeader)} is not a loopback name`,
            headers: {},
          };
        }
      }
      if (
        req.headers.origin !== undefined ||
        /^(cross|same)-site$/.test(String(req.headers['sec-fetch-site']))
      ) {
        return {
          status: 403,
          code: 'FAULTLINE_FORBIDDEN_ORIGIN',
          message: 'requests from web pages are refused',
          headers: {},
        };
      }
      return undefined;
    },
  };
}
