// @ts-check
/**
 * The demo's backing store: an in-memory key-value map over HTTP. It is the one thing every replica shares —
 * replicas write through to it and read from it on a miss — so a fault on the link to it (in experiments that
 * link goes through faultline's proxy) hurts all replicas at once, and no amount of routing gets around it.
 *
 *   GET /kv/:key   200 with the value, or 404
 *   PUT /kv/:key   body = the value; 204 once stored
 *   GET /health    200 ok
 *   GET /metrics   Prometheus text
 *
 * Env: PORT (0: any free port).   Run: PORT=6000 node examples/demo/store.js
 */
import { BodyTooLarge, kvKey, Metrics, PROMETHEUS_TEXT, readBody, send, serve } from './common.js';

/** @type {Map<string, string>} */
const data = new Map();

const metrics = new Metrics();
const requests = metrics.counter('demo_requests_total', 'Requests answered, by route and status code.', {
  labelled: true,
});
metrics.gauge('demo_store_keys', 'Keys held.', () => data.size);

serve(async (req, res) => {
  const { pathname } = new URL(req.url ?? '/', 'http://store');
  /** @type {(route: string, code: number, body?: string, headers?: Record<string, string>) => void} */
  const reply = (route, code, body, headers) => {
    requests.inc({ route, code: String(code) });
    send(res, code, body, headers);
  };

  if (pathname === '/health') return reply('health', 200, 'ok\n');
  if (pathname === '/metrics') {
    return reply('metrics', 200, metrics.render(), { 'content-type': PROMETHEUS_TEXT });
  }

  const key = kvKey(pathname);
  if (key === undefined) return reply('other', 404, 'not found\n');
  if (key === null) return reply('other', 400, 'bad key encoding\n');

  if (req.method === 'GET') {
    const value = data.get(key);
    return value === undefined ? reply('kv_get', 404, 'no such key\n') : reply('kv_get', 200, value);
  }
  if (req.method === 'PUT') {
    try {
      data.set(key, await readBody(req));
    } catch (err) {
      if (err instanceof BodyTooLarge) return reply('kv_put', 413, `${err.message}\n`);
      throw err;
    }
    return reply('kv_put', 204);
  }
  return reply('other', 405, 'use GET or PUT\n', { allow: 'GET, PUT' });
});
