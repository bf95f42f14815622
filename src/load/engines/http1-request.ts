/**
 * Request bytes for the raw engine. A static template is encoded once into a Buffer and written as is for every
 * request; a template with placeholders is encoded per request into one string (written as UTF-8, no Buffer in
 * between). The head matches what undici sends for the same request — `host`, `connection: keep-alive`, the
 * template's headers, `content-length` for a body (or `0` for POST, PUT and PATCH without one) — and the same
 * inputs are refused: control characters in the path, bad header names or values, a `transfer-encoding` header.
 */
import type { BuiltRequest } from '../template.js';

/** A request that cannot be written; the request counts as `other` (undici refuses the same ones). */
export class RequestEncodeError extends Error {
  readonly code = 'ERR_LOAD_BAD_REQUEST';
  constructor(message: string) {
    super(message);
    this.name = 'RequestEncodeError';
  }
}

const BAD_PATH = /[^\u0021-\u00ff]/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[^\t\u0020-\u007e\u0080-\u00ff]/;
const EXPECTS_BODY = new Set(['POST', 'PUT', 'PATCH']);

/**
 * The whole request (head and body) as a string to write as UTF-8. `host` is the `host` header's value
 * (host and port of the origin).
 * @throws RequestEncodeError for a path, header name or value undici would refuse.
 */
export function encodeRequest(req: BuiltRequest, host: string): string {
  if (BAD_PATH.test(req.path)) throw new RequestEncodeError(`invalid request path '${req.path}'`);
  let lines = '';
  let hasHost = false;
  let hasConnection = false;
  const headers = req.headers;
  if (headers !== undefined) {
    for (const name in headers) {
      const value = headers[name] as string;
      if (!TOKEN.test(name)) throw new RequestEncodeError(`invalid header name '${name}'`);
      if (BAD_VALUE.test(value)) throw new RequestEncodeError(`invalid value for header '${name}'`);
      const lower = name.toLowerCase();
      if (lower === 'content-length') continue;
      if (lower === 'transfer-encoding') throw new RequestEncodeError('invalid transfer-encoding header');
      if (lower === 'host') hasHost = true;
      else if (lower === 'connection') hasConnection = true;
      lines += `${name}: ${value}\r\n`;
    }
  }
  let head = `${req.method} ${req.path} HTTP/1.1\r\n`;
  if (!hasHost) head += `host: ${host}\r\n`;
  if (!hasConnection) head += 'connection: keep-alive\r\n';
  head += lines;
  const body = req.body;
  if (body !== undefined && body !== '') {
    return `${head}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  }
  if (EXPECTS_BODY.has(req.method)) return `${head}content-length: 0\r\n\r\n`;
  return `${head}\r\n`;
}
