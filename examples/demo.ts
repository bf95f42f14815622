/**
 * `npm run demo` — an end-to-end chaos run on a small two-tier service, using the library's layers together:
 *
 *   load generator ──▶ shop (node:http) ──▶ faultline proxy ──▶ inventory (node:http)
 *                        │
 *                        └─ cache: a chaos driver (seeded ECONNRESETs); the shop falls back to inventory
 *
 * Timeline: 5 s steady state, then a 400 ms latency toxic on the inventory link for 4 s (the shop's 250 ms
 * timeout turns it into errors), then 6 s of recovery. Prints KPIs per phase and the time to recover.
 *
 * This is a preview: the full demo (a replicated store, YAML experiments, the HTML report) replaces it.
 * Flags: --seed N, --quick (shorter phases, for CI).
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import {
  controlOf,
  createProxyServer,
  formatKpis,
  formatProgress,
  injectedFault,
  phaseKpis,
  runLoad,
  timesToRecover,
  traceOf,
  wrap,
} from '../src/index.js';

const args = process.argv.slice(2);
const seed = Number(args[args.indexOf('--seed') + 1] ?? NaN) || 42;
const quick = args.includes('--quick');
const STEADY_MS = quick ? 3000 : 5000;
const FAULT_MS = quick ? 3000 : 4000;
const RECOVER_MS = quick ? 4000 : 6000;
const RATE = 150;

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** The cache the shop uses: an in-memory store, made flaky by a chaos driver. */
class Cache {
  #items = new Map<string, { value: string; expires: number }>();
  async get(key: string): Promise<string | undefined> {
    const item = this.#items.get(key);
    return item && item.expires > Date.now() ? item.value : undefined;
  }
  async set(key: string, value: string, ttlMs = 500): Promise<void> {
    this.#items.set(key, { value, expires: Date.now() + ttlMs });
  }
}

async function main(): Promise<void> {
  const started: { close(): Promise<void> | void }[] = [];
  const stopAll = async () => {
    for (const s of started.reverse()) await s.close();
  };
  process.once('SIGINT', () => {
    void stopAll().then(() => process.exit(130));
  });
  try {
    console.log(`faultline demo (preview) — seed ${seed}${quick ? ', quick' : ''}\n`);

    // inventory: the backing service.
    const inventory = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ sku: req.url?.slice(1), stock: 7 }));
    });
    const inventoryPort = await listen(inventory);
    started.push({ close: () => new Promise<void>((r) => inventory.close(() => r())) });

    // faultline's Toxiproxy-compatible proxy in front of it.
    const proxy = createProxyServer({ port: 0, seed });
    await proxy.listen();
    started.push(proxy);
    const link = await proxy.createProxy({
      name: 'inventory',
      listen: '127.0.0.1:0',
      upstream: `127.0.0.1:${inventoryPort}`,
    });

    // shop: reads through a flaky cache, falls back to inventory through the proxy, 250 ms timeout.
    const cache = wrap(new Cache(), {
      name: 'cache',
      seed,
      faults: [{ id: 'flaky-cache', methods: ['get', 'set'], rate: 0.05, error: 'ECONNRESET' }],
    });
    const agent = new Agent({ connections: 64 });
    started.push({ close: () => agent.close() });
    let cacheErrors = 0;
    const shop = createServer(async (req, res) => {
      const sku = req.url?.slice(1) ?? '';
      try {
        const hit = await cache.get(sku).catch((err: unknown) => {
          if (!injectedFault(err)) throw err;
          cacheErrors += 1;
          return undefined; // a cache failure is a miss, not an outage
        });
        if (hit !== undefined) {
          res.end(hit);
          return;
        }
        const upstream = await request(`http://${link.listen}/${sku}`, {
          dispatcher: agent,
          signal: AbortSignal.timeout(250),
        });
        const body = await upstream.body.text();
        await cache.set(sku, body).catch(() => {});
        res.end(body);
      } catch {
        res.statusCode = 503;
        res.end('inventory unavailable');
      }
    });
    const shopPort = await listen(shop);
    started.push({ close: () => new Promise<void>((r) => shop.close(() => r())) });
    console.log(
      `inventory :${inventoryPort}  proxy ${link.listen}  shop :${shopPort}  proxy API ${proxy.url}\n`,
    );

    // The fault schedule runs beside the load.
    const t0 = Date.now();
    const faultStart = t0 + STEADY_MS;
    const schedule = (async () => {
      await new Promise((r) => setTimeout(r, STEADY_MS));
      await proxy.addToxic('inventory', {
        name: 'slow-inventory',
        type: 'latency',
        stream: 'downstream',
        attributes: { latency: 400, jitter: 50 },
      });
      console.log(`  ⚡ +${((Date.now() - t0) / 1000).toFixed(1)}s latency 400±50 ms on the inventory link`);
      await new Promise((r) => setTimeout(r, FAULT_MS));
      await proxy.removeToxic('inventory', 'slow-inventory');
      console.log(`  ✓ +${((Date.now() - t0) / 1000).toFixed(1)}s toxic removed`);
      return Date.now();
    })();

    const result = await runLoad({
      url: `http://127.0.0.1:${shopPort}`,
      rate: RATE,
      durationMs: STEADY_MS + FAULT_MS + RECOVER_MS,
      seed,
      timeoutMs: 2000,
      requests: [{ method: 'GET', path: '/{{sku}}' }],
      vars: { sku: { kind: 'zipf', n: 500, s: 1.1 } },
      onProgress: (p) => console.log(`  ${formatProgress(p)}`),
    });
    const faultEnd = await schedule;

    const faults = [{ name: 'latency on inventory', startMs: faultStart, endMs: faultEnd }];
    const kpis = phaseKpis(result.series, faults);
    for (const phase of ['before', 'during', 'after'] as const) {
      console.log(`\n${phase} the fault\n${formatKpis(kpis[phase])}`);
    }
    const [recovery] = timesToRecover(result.series, faults, { windowSec: 2 });
    const ttr = recovery?.timeToRecoverMs;
    console.log(
      `\ntime to recover: ${ttr === 'never' || ttr === undefined ? 'never' : `${(ttr / 1000).toFixed(0)} s`}`,
    );
    const summary = traceOf(cache).summary();
    console.log(
      `cache chaos driver: ${Object.entries(summary)
        .map(([site, s]) => `${site} ${s.faults}/${s.calls} calls failed`)
        .join(', ')}; the shop absorbed ${cacheErrors} cache errors as misses`,
    );
    controlOf(cache).disable();

    // The service's promise: healthy before, healthy again after (errors < 1%, p99 < 100 ms), and it recovers.
    const healthy = (k: typeof kpis.before) => k.errorRate < 0.01 && k.latency.p99Ms < 100;
    const verdict = healthy(kpis.before) && healthy(kpis.after) && ttr !== undefined && ttr !== 'never';
    console.log(
      `\nverdict: ${verdict ? 'PASS' : 'FAIL'} — the shop ${verdict ? 'absorbed the flaky cache and recovered from the slow inventory' : 'did not recover as expected'}`,
    );
    console.log(`reproduce: npm run demo -- --seed ${seed}${quick ? ' --quick' : ''}`);
    process.exitCode = verdict ? 0 : 1;
  } finally {
    await stopAll();
  }
}

await main();
