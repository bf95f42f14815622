/**
 * `prometheus` monitor harness: a small real HTTP server speaking the Prometheus text format (/metrics) and the
 * instant-query API (/api/v1/query), rather than /usr/bin/prometheus: a real Prometheus takes seconds to start
 * and scrape, and cannot be told to answer late or never; test/plugins/monitors/prometheus.test.ts covers it.
 */
import { listen } from '../../monitors/helpers.js';
import { closedPort, type MonitorHarness, until } from './monitor.js';

const EXPOSITION = '# HELP queue_depth Jobs waiting\n# TYPE queue_depth gauge\nqueue_depth{queue="a"} 42\n';

export async function prometheusHarness(): Promise<MonitorHarness> {
  let answeredAt: number | undefined;
  let silentOpen = 0;
  const srv = await listen((req, res) => {
    // `/delay/<ms>/…` answers after <ms>: a path prefix, since the API client resolves its paths under the base URL
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/delay\/(\d+)(\/.*)$/.exec(url.pathname);
    const delay = Number(m?.[1] ?? 0);
    const path = m?.[2] ?? url.pathname;
    if (path.startsWith('/silent')) {
      silentOpen++;
      req.socket.once('close', () => silentOpen--);
      return;
    }
    setTimeout(() => {
      answeredAt = Date.now();
      if (path === '/api/v1/query') {
        const body = {
          status: 'success',
          data: { resultType: 'vector', result: [{ metric: {}, value: [Date.now() / 1000, '42'] }] },
        };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      } else res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(EXPOSITION);
    }, delay);
  });
  return {
    async delayed(delayMs) {
      // the query API path: the scrape path is exercised by `silent` and `down`
      return {
        options: { api: `${srv.url}/delay/${delayMs}/`, query: 'sum(up)' },
        answeredAt: () => answeredAt,
      };
    },
    async down() {
      return { endpoint: `http://127.0.0.1:${await closedPort()}/metrics`, metric: 'queue_depth' };
    },
    async silent() {
      return {
        options: { endpoint: `${srv.url}/silent/metrics`, metric: 'queue_depth' },
        released: () => until(() => silentOpen === 0, 2000, 'the scrape of /silent closed'),
      };
    },
    bad: [
      { options: { metric: 'queue_depth' }, field: 'endpoint' },
      { options: { api: 'http://127.0.0.1/' }, field: 'query' },
      { options: { endpoint: 'http://127.0.0.1/metrics', metric: 'x', labels: { a: 1 } }, field: 'labels.a' },
    ],
    close: () => srv.close(),
  };
}
