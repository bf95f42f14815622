/** `http` monitor runtime: one request per sample; up when status, latency and body are as expected. */
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { ms } from '../../experiment/duration.js';
import { httpMonitor } from '../../experiment/monitors/http.js';
import { implementMonitor } from '../../monitors/types.js';

type StatusSpec = number | number[] | '2xx' | '3xx' | '4xx' | '5xx';

function statusOk(expected: StatusSpec, got: number): boolean {
  if (typeof expected === 'number') return got === expected;
  if (Array.isArray(expected)) return expected.includes(got);
  return Math.floor(got / 100) === Number(expected[0]);
}

/** The `http` monitor. */
export const httpMonitorImpl = implementMonitor(httpMonitor, (o) => {
  const bodyRe = o.body_match === undefined ? undefined : new RegExp(o.body_match);
  const maxLatency = o.max_latency === undefined ? undefined : ms(o.max_latency, 'max_latency');
  return {
    async sample({ signal }) {
      const t0 = performance.now();
      const res = await request(o.url, {
        method: o.method as 'GET',
        headers: o.headers,
        body: o.body,
        signal,
      });
      // Reading the body is part of the answer's latency: a server that stalls mid-body is slow.
      const text = await res.body.text();
      const latencyMs = performance.now() - t0;
      const detail = `status ${res.statusCode}`;
      if (!statusOk(o.status as StatusSpec, res.statusCode))
        return {
          ok: false,
          latencyMs,
          detail,
          error: `status ${res.statusCode}, expected ${String(o.status)}`,
        };
      if (maxLatency !== undefined && latencyMs > maxLatency)
        return { ok: false, latencyMs, detail, error: `took ${latencyMs.toFixed(1)} ms > ${maxLatency} ms` };
      if (bodyRe && !bodyRe.test(text))
        return { ok: false, latencyMs, detail, error: `body does not match /${o.body_match}/` };
      return { ok: true, latencyMs, detail };
    },
  };
});
