/**
 * `prometheus` monitor: the value of one series scraped from a /metrics endpoint (name + labels), or the single
 * value of a PromQL instant query against a Prometheus HTTP API. Exactly one of the two sources. Up when a single
 * number was read; the number is the sample's value.
 */
import { z } from 'zod';
import { undici } from '../../deps/lazy.js';
import { defineMonitorPlugin, downSample, type SampleResult } from '../../monitors/types.js';
import { parsePromText, selectPromSamples } from './support/prom-text.js';
import { promQuery } from './support/promql.js';

function describeLabels(labels: Readonly<Record<string, string>> = {}): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/** Scrapes `endpoint` and reads the one series `metric{labels}`. */
export async function scrapeMetric(
  endpoint: string,
  metric: string,
  labels: Readonly<Record<string, string>> | undefined,
  signal?: AbortSignal,
): Promise<SampleResult> {
  const res = await undici().request(endpoint, {
    method: 'GET',
    headers: { accept: 'text/plain;version=0.0.4' },
    signal,
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) return { ok: false, error: `scrape answered status ${res.statusCode}` };
  const found = selectPromSamples(parsePromText(text), metric, labels);
  const what = `${metric}${describeLabels(labels)}`;
  if (found.length === 0) return { ok: false, error: `no series ${what}` };
  if (found.length > 1) return { ok: false, error: `${found.length} series match ${what}; add labels` };
  const value = (found[0] as (typeof found)[number]).value;
  return { ok: true, value, detail: `${what} = ${value}` };
}

export const prometheusMonitor = defineMonitorPlugin({
  name: 'prometheus',
  description:
    'A metric from a /metrics endpoint (metric + labels) or a PromQL query against a Prometheus API.',
  options: z.strictObject({
    endpoint: z.string().min(1).optional().describe('A /metrics URL to scrape (use with metric).'),
    metric: z.string().min(1).optional().describe('The metric name to read from endpoint.'),
    labels: z.record(z.string(), z.string()).optional().describe('Labels the sample must have.'),
    api: z.string().min(1).optional().describe('A Prometheus HTTP API base URL (use with query).'),
    query: z.string().min(1).optional().describe('A PromQL instant query whose single value is read.'),
  }),
  check(o) {
    const scrape = o.endpoint !== undefined || o.metric !== undefined;
    const promql = o.api !== undefined || o.query !== undefined;
    if (scrape && promql)
      return [{ path: ['api'], message: 'give either endpoint + metric or api + query, not both' }];
    if (scrape) {
      if (o.endpoint === undefined) return [{ path: ['endpoint'], message: 'required with metric' }];
      if (o.metric === undefined) return [{ path: ['metric'], message: 'required with endpoint' }];
      return [];
    }
    if (promql) {
      if (o.api === undefined) return [{ path: ['api'], message: 'required with query' }];
      if (o.query === undefined) return [{ path: ['query'], message: 'required with api' }];
      return [];
    }
    return [{ path: ['endpoint'], message: 'give either endpoint + metric or api + query' }];
  },
  create: (o) => ({
    async sample({ signal }) {
      try {
        if (o.endpoint !== undefined && o.metric !== undefined)
          return await scrapeMetric(o.endpoint, o.metric, o.labels, signal);
        const r = await promQuery(o.api as string, o.query as string, signal);
        return { ok: true, value: r.value, detail: `${o.query} = ${r.value}` };
      } catch (err) {
        // unreachable endpoint, a malformed exposition, a failed query: a down sample saying why
        return downSample(err);
      }
    },
  }),
});
