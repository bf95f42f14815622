/**
 * `prometheus` monitor runtime: the value of one series scraped from a /metrics endpoint (name + labels), or the
 * single value of a PromQL instant query. Up when a single number was read; the number is the sample's value.
 */
import { request } from 'undici';
import { prometheusMonitor } from '../../experiment/monitors/prometheus.js';
import { implementMonitor, type SampleResult } from '../../monitors/types.js';
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
  const res = await request(endpoint, {
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

/** The `prometheus` monitor. */
export const prometheusMonitorImpl = implementMonitor(prometheusMonitor, (o) => ({
  async sample({ signal }) {
    if (o.endpoint !== undefined && o.metric !== undefined)
      return scrapeMetric(o.endpoint, o.metric, o.labels, signal);
    const r = await promQuery(o.api as string, o.query as string, signal);
    return { ok: true, value: r.value, detail: `${o.query} = ${r.value}` };
  },
}));
