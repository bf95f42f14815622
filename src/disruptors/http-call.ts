/** One HTTP call made by a disruptor (inject or revert), with undici so any port is allowed. */
import { undici } from '../deps/lazy.js';

export interface HttpCall {
  url: string;
  method: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

/** Makes the call and returns status and body text; rejects on network errors and timeouts. */
export async function callHttp(
  call: HttpCall,
  signal?: AbortSignal,
): Promise<{ status: number; body: string }> {
  const res = await undici().request(call.url, {
    method: call.method.toUpperCase() as 'GET',
    headers: call.headers,
    body: call.body,
    headersTimeout: call.timeoutMs,
    bodyTimeout: call.timeoutMs,
    signal,
  });
  return { status: res.statusCode, body: await res.body.text() };
}

/** `base` without a trailing slash, plus `path`. */
export function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}
