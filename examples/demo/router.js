// @ts-check
/**
 * The demo's load balancer: clients talk to it, never to a replica. It is what turns "one replica died" into
 * "nobody noticed": requests go round-robin to the replicas that pass their health check, and a request that
 * fails on one replica (refused, reset, too slow, or a 5xx) is retried on another — PUTs too, since writing the
 * same value to the same key twice leaves the store as once.
 *
 * What it cannot hide is a fault every replica shares, such as a slow store: each retry meets the same slowness.
 *
 *   GET|PUT /kv/:key   proxied (method, body, status, body back; `x-demo-replica` says who answered)
 *   GET /health        200 while at least one replica is healthy, else 503
 *   GET /metrics       Prometheus text
 *
 * Env: PORT, REPLICAS (ports or URLs), HEALTH_INTERVAL_MS (200), TRY_TIMEOUT_MS (300), RETRIES (2), EJECT (1; 0:
 * plain round-robin over every replica, healthy or not — the naive balancer a lost replica shows through).
 */
import { Agent, request } from 'undici';
import {
  BodyTooLarge,
  baseUrlList,
  envInt,
  envRequired,
  fail,
  kvKey,
  Metrics,
  PROMETHEUS_TEXT,
  readBody,
  send,
  serve,
} from './common.js';

const REPLICAS = baseUrlList(envRequired('REPLICAS'), 'REPLICAS');
if (REPLICAS.length === 0) fail('REPLICAS: expected at least one port or URL');
const HEALTH_INTERVAL_MS = envInt('HEALTH_INTERVAL_MS', 200, { min: 10 });
const TRY_TIMEOUT_MS = envInt('TRY_TIMEOUT_MS', 300, { min: 1 });
const RETRIES = envInt('RETRIES', 2);
const EJECT = envInt('EJECT', 1) !== 0;

/**
 * @typedef {object} Replica
 * @property {string} url
 * @property {boolean} healthy Unknown counts as unhealthy: nothing is sent to a replica before its first check
 *   passes (unless all fail).
 * @property {number} failedAt When a request last failed on it (performance.now()); an older health check must
 *   not undo that.
 * @property {boolean} checking
 */

/** @type {Replica[]} */
const replicas = REPLICAS.map((url) => ({ url, healthy: false, failedAt: -1, checking: false }));

const metrics = new Metrics();
const routed = metrics.counter(
  'demo_router_requests_total',
  'Client /kv requests answered, by status code.',
  {
    labelled: true,
  },
);
const retries = metrics.counter('demo_router_retries_total', 'Tries of a request on another replica.');
const failures = metrics.counter(
  'demo_router_upstream_failures_total',
  'Failed tries, by replica and reason (timeout, error, 5xx).',
  { labelled: true },
);
metrics.gauge(
  'demo_router_healthy_replicas',
  'Replicas currently taking requests.',
  () => replicas.filter((r) => r.healthy).length,
);

// Keep-alive: a fresh connection per request would cost more than the request itself.
const agent = new Agent({ keepAliveTimeout: 4000 });

/**
 * One health check. It times out after one interval: a frozen replica (SIGSTOP) still accepts connections —
 * the kernel does that — but never answers, and must drop out as fast as a dead one.
 * @param {Replica} replica
 * @returns {Promise<void>}
 */
async function check(replica) {
  if (replica.checking) return;
  replica.checking = true;
  const started = performance.now();
  let ok = false;
  try {
    const res = await request(`${replica.url}/health`, {
      dispatcher: agent,
      signal: AbortSignal.timeout(HEALTH_INTERVAL_MS),
    });
    await res.body.dump();
    ok = res.statusCode === 200;
  } catch {
    ok = false;
  }
  replica.checking = false;
  if (started >= replica.failedAt) replica.healthy = ok;
}

const checkAll = () => {
  for (const r of replicas) void check(r);
};
checkAll();
const healthTimer = setInterval(checkAll, HEALTH_INTERVAL_MS);

let next = 0;
/**
 * Healthy replicas in round-robin order, then the rest: when every replica looks down, trying beats refusing.
 * @returns {Replica[]}
 */
function tryOrder() {
  if (!EJECT) {
    const start = next++ % replicas.length;
    return [...replicas.slice(start), ...replicas.slice(0, start)];
  }
  const healthy = replicas.filter((r) => r.healthy);
  const start = healthy.length === 0 ? 0 : next++ % healthy.length;
  return [...healthy.slice(start), ...healthy.slice(0, start), ...replicas.filter((r) => !r.healthy)];
}

/**
 * @typedef {object} Answer
 * @property {number} status
 * @property {string} body
 * @property {Record<string, string>} headers
 */

/**
 * Sends one request to up to 1 + RETRIES replicas; the first answer below 500 wins.
 * @param {string} method
 * @param {string} path
 * @param {string | undefined} body
 * @returns {Promise<Answer>}
 */
async function forward(method, path, body) {
  /** @type {string[]} */
  const problems = [];
  /** @type {Answer | undefined} */
  let last;
  let onlyTimeouts = true;
  for (const [i, replica] of tryOrder()
    .slice(0, 1 + RETRIES)
    .entries()) {
    if (i > 0) retries.inc();
    const signal = AbortSignal.timeout(TRY_TIMEOUT_MS);
    /** @type {string} */
    let reason;
    try {
      const res = await request(`${replica.url}${path}`, { method, body, dispatcher: agent, signal });
      const text = await res.body.text();
      /** @type {Record<string, string>} */
      const headers = { 'x-demo-replica': replica.url };
      for (const name of ['content-type', 'x-demo-source']) {
        const value = res.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      last = { status: res.statusCode, body: text, headers };
      if (res.statusCode < 500) return last;
      reason = '5xx';
      problems.push(`${replica.url} answered ${res.statusCode}`);
    } catch (err) {
      reason = signal.aborted ? 'timeout' : 'error';
      onlyTimeouts &&= signal.aborted;
      problems.push(
        `${replica.url} ${signal.aborted ? `timed out after ${TRY_TIMEOUT_MS} ms` : /** @type {Error} */ (err).message}`,
      );
    }
    // Out of rotation until a health check that starts after this failure passes.
    replica.healthy = false;
    replica.failedAt = performance.now();
    failures.inc({ replica: replica.url, reason });
  }
  // A replica's own 5xx (e.g. its store timed out) says more than ours would.
  if (last !== undefined) return last;
  return {
    status: onlyTimeouts ? 504 : 502,
    body: `no replica answered: ${problems.join('; ')}\n`,
    headers: {},
  };
}

serve(
  async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://router');
    if (url.pathname === '/health') {
      return replicas.some((r) => r.healthy)
        ? send(res, 200, 'ok\n')
        : send(res, 503, 'no healthy replica\n');
    }
    if (url.pathname === '/metrics') {
      return send(res, 200, metrics.render(), { 'content-type': PROMETHEUS_TEXT });
    }

    /** @param {Answer} answer */
    const reply = (answer) => {
      routed.inc({ code: String(answer.status) });
      send(res, answer.status, answer.body, answer.headers);
    };
    const key = kvKey(url.pathname);
    if (key === undefined) return send(res, 404, 'not found\n');
    if (key === null) return reply({ status: 400, body: 'bad key encoding\n', headers: {} });
    if (req.method !== 'GET' && req.method !== 'PUT') {
      return reply({ status: 405, body: 'use GET or PUT\n', headers: { allow: 'GET, PUT' } });
    }
    /** @type {string | undefined} */
    let body;
    if (req.method === 'PUT') {
      try {
        body = await readBody(req);
      } catch (err) {
        if (err instanceof BodyTooLarge) return reply({ status: 413, body: `${err.message}\n`, headers: {} });
        throw err;
      }
    }
    reply(await forward(req.method, url.pathname + url.search, body));
  },
  () => clearInterval(healthTimer),
);
