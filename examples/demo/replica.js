// @ts-check
/**
 * A replica of the demo's key-value service. Several run side by side behind the router; each keeps a local copy
 * of the data, writes through to the shared store, and tells its peers about every write it accepts.
 *
 *   GET /kv/:key           from the local copy; on a miss, from the store (then kept locally). `?local=1` reads
 *                          the local copy only (404 when absent): it shows what replication has delivered.
 *   PUT /kv/:key           body = the value. Written to the store first — the write is acknowledged (204) only
 *                          once the store has it — then applied locally and queued for every peer.
 *   PUT /replicate/:key    from a peer: JSON { value, version }; the newer version wins (last writer wins).
 *   GET /health            200 ok. It does not look at the store: every replica shares the store, so a store
 *                          outage must not make the router drop all of them at once.
 *   GET /metrics           Prometheus text.
 *
 * Env: PORT, REPLICA (name in versions and metrics), STORE_URL (in experiments: through faultline's proxy),
 * PEERS (ports or URLs; the entry equal to PORT is this replica and is skipped), STORE_TIMEOUT_MS (500),
 * PEER_TIMEOUT_MS (500), QUEUE_LIMIT (10000 messages per peer).
 *
 * Failpoints (switched on through FAULTLINE_FAILPOINTS, or at run time through the endpoint that
 * FAULTLINE_FAILPOINTS_ADDR opens):
 *   replica.replicate    on each replication message: sleep(ms) = a slow link (the queue backs up), return = the
 *                        message is lost (peers diverge), throw = the send fails and is retried
 *   replica.store-read   on each read from the store: sleep(ms) = a slow store (past STORE_TIMEOUT_MS: 503),
 *                        throw = a store error (503), return("v") = the store answers "v", other returns = the
 *                        store has lost the key (404)
 */
import { setTimeout as delay } from 'node:timers/promises';
// Importing the failpoint module also applies FAULTLINE_FAILPOINTS* from the environment, which is what opens
// the control endpoint when FAULTLINE_FAILPOINTS_ADDR is set. The package's light `faultline/failpoint` entry, not
// its main one: it loads in next to no time, and replicas are restarted during experiments.
import { failpoint, failpoints } from 'faultline/failpoint';
import { Agent, request } from 'undici';
import {
  BodyTooLarge,
  baseUrl,
  baseUrlList,
  envInt,
  envRequired,
  kvKey,
  Metrics,
  PROMETHEUS_TEXT,
  readBody,
  send,
  serve,
} from './common.js';

const PORT = envInt('PORT', 0, { max: 65535 });
const REPLICA = process.env.REPLICA?.trim() || String(process.pid);
const STORE_URL = baseUrl(envRequired('STORE_URL'), 'STORE_URL');
const STORE_TIMEOUT_MS = envInt('STORE_TIMEOUT_MS', 500, { min: 1 });
const PEER_TIMEOUT_MS = envInt('PEER_TIMEOUT_MS', 500, { min: 1 });
const QUEUE_LIMIT = envInt('QUEUE_LIMIT', 10_000, { min: 1 });
const self = baseUrl(String(PORT), 'PORT');
// One PEERS list can then be given to every replica unchanged.
const PEERS = baseUrlList(process.env.PEERS ?? '', 'PEERS').filter((peer) => peer !== self);

failpoints.declare(
  'replica.replicate',
  'sending one replication message to a peer: sleep = slow link, return = message lost, throw = send fails (retried)',
);
failpoints.declare(
  'replica.store-read',
  'reading a missing key from the store: sleep = slow store, throw = store error, return("v") = the store answers v',
);

const metrics = new Metrics();
const requests = metrics.counter('demo_requests_total', 'Requests answered, by route and status code.', {
  labelled: true,
});
const storeErrors = metrics.counter(
  'demo_store_errors_total',
  'Store reads and writes that failed or timed out (each one a 503 to the client).',
);
const sent = metrics.counter('demo_replication_sent_total', 'Replication messages a peer accepted.');
const retries = metrics.counter(
  'demo_replication_retries_total',
  'Replication sends that failed and will be retried.',
);
const dropped = metrics.counter(
  'demo_replication_dropped_total',
  'Replication messages given up, by reason.',
  {
    labelled: true,
  },
);
const received = metrics.counter(
  'demo_replication_received_total',
  'Replication messages from peers, by result.',
  {
    labelled: true,
  },
);

/**
 * A version orders writes across replicas: the later timestamp wins, and the replica name breaks ties, so every
 * replica picks the same winner whatever order messages arrive in (last writer wins).
 * @typedef {object} Version
 * @property {number} ts
 * @property {string} replica
 */

/**
 * @param {Version} a
 * @param {Version} b
 * @returns {boolean}
 */
function newer(a, b) {
  return a.ts !== b.ts ? a.ts > b.ts : a.replica > b.replica;
}

/**
 * Values filled from the store carry the oldest version, so any replicated write replaces them.
 * @type {Version}
 */
const FROM_STORE = { ts: 0, replica: '' };
/** @type {Map<string, { value: string, version: Version }>} */
const data = new Map();
metrics.gauge('demo_keys', 'Keys held in the local copy.', () => data.size);

let lastTs = 0;
/**
 * Strictly increasing even within one millisecond, so two writes here never tie.
 * @returns {Version}
 */
function nextVersion() {
  lastTs = Math.max(Date.now(), lastTs + 1);
  return { ts: lastTs, replica: REPLICA };
}

/**
 * Applies a write unless the copy already holds a newer one; returns whether it did.
 * @param {string} key
 * @param {string} value
 * @param {Version} version
 * @returns {boolean}
 */
function apply(key, value, version) {
  const current = data.get(key);
  if (current !== undefined && !newer(version, current.version)) return false;
  data.set(key, { value, version });
  return true;
}

const agent = new Agent({ keepAliveTimeout: 4000 });

/**
 * Runs `work` under one deadline that covers everything in it — a failpoint's sleep or pause as well as the
 * request — so a slow store always ends as a 503 after STORE_TIMEOUT_MS, never as a client left hanging.
 * @template T
 * @param {number} ms
 * @param {(signal: AbortSignal) => Promise<T>} work
 * @returns {Promise<T>}
 */
function withDeadline(ms, work) {
  const signal = AbortSignal.timeout(ms);
  /** @type {Promise<never>} */
  const expired = new Promise((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  return Promise.race([work(signal), expired]);
}

/** @param {string} key */
const storeUrl = (key) => `${STORE_URL}/kv/${encodeURIComponent(key)}`;

/**
 * The store's value for `key`, or undefined when it has none; rejects on a store error or timeout.
 * @param {string} key
 * @returns {Promise<string | undefined>}
 */
function readFromStore(key) {
  return withDeadline(STORE_TIMEOUT_MS, async (signal) => {
    const forced = await failpoint('replica.store-read', { key });
    if (typeof forced === 'string') return forced;
    if (forced !== undefined) return undefined;
    const res = await request(storeUrl(key), { dispatcher: agent, signal });
    if (res.statusCode === 200) return await res.body.text();
    await res.body.dump();
    if (res.statusCode === 404) return undefined;
    throw new Error(`store answered ${res.statusCode}`);
  });
}

/**
 * @param {string} key
 * @param {string} value
 * @returns {Promise<void>}
 */
function writeToStore(key, value) {
  return withDeadline(STORE_TIMEOUT_MS, async (signal) => {
    const res = await request(storeUrl(key), { method: 'PUT', body: value, dispatcher: agent, signal });
    await res.body.dump();
    if (res.statusCode >= 300) throw new Error(`store answered ${res.statusCode}`);
  });
}

/**
 * @typedef {object} Message
 * @property {string} key
 * @property {string} value
 * @property {Version} version
 */

/**
 * The replication queue towards one peer, drained by one sender loop. One queue per peer so a dead or frozen
 * peer only delays its own messages. A failed send is retried with backoff, head of line first, so a peer gets
 * one replica's writes in order. Memory stays bounded: past QUEUE_LIMIT the oldest message is dropped (and
 * counted) — that peer then misses a write, which last-writer-wins cannot repair, a divergence worth seeing.
 */
class PeerLink {
  /** @type {string} @readonly */
  #url;
  /** @type {Message[]} @readonly */
  #queue = [];
  /** @type {Message | undefined} */
  #inFlight;

  /** @param {string} url */
  constructor(url) {
    this.#url = url;
  }

  /** @returns {number} */
  get depth() {
    return this.#queue.length + (this.#inFlight === undefined ? 0 : 1);
  }

  /**
   * @param {Message} message
   * @returns {void}
   */
  enqueue(message) {
    if (this.#queue.length >= QUEUE_LIMIT) {
      this.#queue.shift();
      dropped.inc({ reason: 'queue_full' });
    }
    this.#queue.push(message);
    if (this.#inFlight === undefined) void this.#drain();
  }

  /** @returns {Promise<void>} */
  async #drain() {
    for (let m = this.#queue.shift(); m !== undefined; m = this.#queue.shift()) {
      this.#inFlight = m;
      for (let attempt = 0; !(await this.#send(m)); attempt++) {
        retries.inc();
        await delay(Math.min(50 * 2 ** attempt, 1000));
      }
    }
    this.#inFlight = undefined;
  }

  /**
   * True when the message is done with (delivered or deliberately dropped), false to retry it.
   * @param {Message} m
   * @returns {Promise<boolean>}
   */
  async #send(m) {
    try {
      // Where a real network would hurt: a sleep here is a slow link, a return a lost packet, a throw a failure.
      const forced = await failpoint('replica.replicate', { peer: this.#url, key: m.key });
      if (forced !== undefined) {
        dropped.inc({ reason: 'failpoint' });
        return true;
      }
      const res = await request(`${this.#url}/replicate/${encodeURIComponent(m.key)}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ value: m.value, version: m.version }),
        dispatcher: agent,
        signal: AbortSignal.timeout(PEER_TIMEOUT_MS),
      });
      await res.body.dump();
      if (res.statusCode < 300) {
        sent.inc();
        return true;
      }
      if (res.statusCode >= 500) return false;
      // A 4xx means the peer will never take this message; retrying it would block the queue for good.
      dropped.inc({ reason: 'rejected' });
      return true;
    } catch {
      return false;
    }
  }
}

const links = PEERS.map((peer) => new PeerLink(peer));
metrics.gauge(
  'demo_replication_queue_depth',
  'Replication messages waiting to reach peers (all peers).',
  () => links.reduce((sum, link) => sum + link.depth, 0),
);

/**
 * @param {string} text
 * @returns {{ value: string, version: Version } | undefined}
 */
function parseReplicated(text) {
  try {
    /** @type {{ value?: unknown, version?: { ts?: unknown, replica?: unknown } }} */
    const m = JSON.parse(text);
    const { value, version } = m;
    if (typeof value !== 'string' || typeof version?.ts !== 'number' || typeof version.replica !== 'string') {
      return undefined;
    }
    return { value, version: { ts: version.ts, replica: version.replica } };
  } catch {
    return undefined;
  }
}

serve(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://replica');
  /** @type {(route: string, code: number, body?: string, headers?: Record<string, string>) => void} */
  const reply = (route, code, body, headers) => {
    requests.inc({ route, code: String(code) });
    send(res, code, body, headers);
  };

  if (url.pathname === '/health') return reply('health', 200, 'ok\n');
  if (url.pathname === '/metrics') {
    return reply('metrics', 200, metrics.render(), { 'content-type': PROMETHEUS_TEXT });
  }

  const replicated = kvKey(url.pathname, '/replicate/');
  if (replicated !== undefined) {
    if (req.method !== 'PUT') return reply('replicate', 405, 'use PUT\n', { allow: 'PUT' });
    const m = replicated === null ? undefined : parseReplicated(await readBody(req, 4 << 20));
    if (replicated === null || m === undefined) return reply('replicate', 400, 'expected {value, version}\n');
    received.inc({ result: apply(replicated, m.value, m.version) ? 'applied' : 'stale' });
    return reply('replicate', 204);
  }

  const key = kvKey(url.pathname);
  if (key === undefined) return reply('other', 404, 'not found\n');
  if (key === null) return reply('other', 400, 'bad key encoding\n');

  if (req.method === 'GET') {
    const local = data.get(key);
    if (local !== undefined) return reply('kv_get', 200, local.value, { 'x-demo-source': 'local' });
    if (url.searchParams.has('local')) return reply('kv_get', 404, 'not in this replica\n');
    /** @type {string | undefined} */
    let value;
    try {
      value = await readFromStore(key);
    } catch (err) {
      storeErrors.inc();
      return reply('kv_get', 503, `store read failed: ${/** @type {Error} */ (err).message}\n`);
    }
    if (value === undefined) return reply('kv_get', 404, 'no such key\n');
    apply(key, value, FROM_STORE);
    return reply('kv_get', 200, value, { 'x-demo-source': 'store' });
  }

  if (req.method === 'PUT') {
    /** @type {string} */
    let value;
    try {
      value = await readBody(req);
    } catch (err) {
      if (err instanceof BodyTooLarge) return reply('kv_put', 413, `${err.message}\n`);
      throw err;
    }
    try {
      await writeToStore(key, value);
    } catch (err) {
      storeErrors.inc();
      return reply('kv_put', 503, `store write failed: ${/** @type {Error} */ (err).message}\n`);
    }
    const version = nextVersion();
    apply(key, value, version);
    for (const link of links) link.enqueue({ key, value, version });
    return reply('kv_put', 204);
  }

  return reply('other', 405, 'use GET or PUT\n', { allow: 'GET, PUT' });
});
