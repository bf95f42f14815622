/**
 * `prometheus` monitor: the value of one series scraped from a /metrics endpoint (name + labels), or the single
 * value of a PromQL instant query against a Prometheus HTTP API. Exactly one of the two sources. Up when a single
 * number was read; the number is the sample's value. With `aggregate`, every matching series (of the endpoint,
 * or of the endpoint at each of `ports`: a target's instances) is combined into one number, the way PromQL's
 * `sum()` would, without a Prometheus server in between.
 */
import { z } from 'zod';
import { undici } from '../../deps/lazy.js';
import { defineMonitorPlugin, downSample, type SampleResult } from '../../monitors/types.js';
import { AGGREGATE_NAMES, AGGREGATES, type Aggregate } from './support/aggregate.js';
import { parsePromText, selectPromSamples } from './support/prom-text.js';
import { promQuery } from './support/promql.js';

function describeLabels(labels: Readonly<Record<string, string>> = {}): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/** The values of every series `metric{labels}` at `endpoint`; throws when the scrape fails. */
async function scrapeValues(
  endpoint: string,
  metric: string,
  labels: Readonly<Record<string, string>> | undefined,
  signal?: AbortSignal,
): Promise<number[]> {
  const res = await undici().request(endpoint, {
    method: 'GET',
    headers: { accept: 'text/plain;version=0.0.4' },
    signal,
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`scrape answered status ${res.statusCode}`);
  return selectPromSamples(parsePromText(text), metric, labels).map((s) => s.value);
}

/** Scrapes `endpoint` and reads the one series `metric{labels}`. */
export async function scrapeMetric(
  endpoint: string,
  metric: string,
  labels: Readonly<Record<string, string>> | undefined,
  signal?: AbortSignal,
): Promise<SampleResult> {
  let found: number[];
  try {
    found = await scrapeValues(endpoint, metric, labels, signal);
  } catch (err) {
    return downSample(err);
  }
  const what = `${metric}${describeLabels(labels)}`;
  if (found.length === 0) return { ok: false, error: `no series ${what}` };
  if (found.length > 1) return { ok: false, error: `${found.length} series match ${what}; add labels` };
  const value = found[0] as number;
  return { ok: true, value, detail: `${what} = ${value}` };
}

/** `ports` as given ("8101,8102" or 8101): the port numbers, or an error message. */
function parsePorts(ports: string | number): number[] | string {
  const parts = String(ports)
    .split(',')
    .map((p) => p.trim());
  const bad = parts.find((p) => !/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535);
  if (bad !== undefined)
    return `${JSON.stringify(bad)} is not a port (give ports comma-separated, e.g. 8101,8102)`;
  return parts.map(Number);
}

/** `endpoint` with its port replaced by `port`. */
function atPort(endpoint: string, port: number): string {
  const url = new URL(endpoint);
  url.port = String(port);
  return url.href;
}

/**
 * Scrapes each endpoint and combines every series `metric{labels}` they hold with `aggregate`. An endpoint that
 * does not answer within `eachMs` or fails is left out, as Prometheus leaves out a target that is down (a killed
 * instance holds no queue anyone waits on), and the detail says which; the sample is down when none answers or
 * no series matches.
 */
async function scrapeAggregate(
  endpoints: readonly string[],
  metric: string,
  labels: Readonly<Record<string, string>> | undefined,
  aggregate: Aggregate,
  eachMs: number,
  signal: AbortSignal,
): Promise<SampleResult> {
  // side by side, each with its own deadline: a paused instance costs one deadline, not one per instance after it
  const answers = await Promise.allSettled(
    endpoints.map((e) =>
      scrapeValues(e, metric, labels, AbortSignal.any([signal, AbortSignal.timeout(eachMs)])),
    ),
  );
  const values: number[] = [];
  const missing: string[] = [];
  answers.forEach((a, i) => {
    if (a.status === 'fulfilled') values.push(...a.value);
    else {
      const reason = a.reason instanceof Error ? a.reason.message : String(a.reason);
      const why =
        a.reason instanceof Error && a.reason.name === 'TimeoutError' ? `no answer in ${eachMs} ms` : reason;
      missing.push(`${endpoints[i]}: ${why}`);
    }
  });
  const what = `${aggregate}(${metric}${describeLabels(labels)})`;
  const left = missing.length ? ` (left out: ${missing.join('; ')})` : '';
  if (missing.length === endpoints.length)
    return { ok: false, error: `no endpoint answered: ${missing.join('; ')}` };
  if (values.length === 0 && aggregate !== 'count')
    return { ok: false, error: `no series ${metric}${describeLabels(labels)}${left}` };
  const value = AGGREGATES[aggregate](values);
  const of =
    endpoints.length > 1 ? ` over ${endpoints.length - missing.length} of ${endpoints.length} endpoints` : '';
  return { ok: true, value, detail: `${what} = ${value}${of}${left}` };
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
    aggregate: z
      .enum(AGGREGATE_NAMES)
      .optional()
      .describe('Combine every series that matches (sum, min, max, mean or count) instead of requiring one.'),
    ports: z
      .union([z.string().min(1), z.number().int().min(1).max(65535)])
      .optional()
      .describe(
        'Scrape endpoint at each of these ports (comma-separated, as {{targets.NAME.ports.PORT}} gives a ' +
          "target's instances) and aggregate over all of them; needs aggregate.",
      ),
  }),
  check(o) {
    const scrape = o.endpoint !== undefined || o.metric !== undefined;
    const promql = o.api !== undefined || o.query !== undefined;
    if (scrape && promql)
      return [{ path: ['api'], message: 'give either endpoint + metric or api + query, not both' }];
    if (o.ports !== undefined) {
      if (!scrape) return [{ path: ['ports'], message: 'only with endpoint + metric' }];
      if (o.aggregate === undefined)
        return [
          { path: ['aggregate'], message: 'required with ports: how to combine the endpoints (e.g. sum)' },
        ];
      // a placeholder is only known once the targets run: checked again then
      const ports = String(o.ports).includes('{{') ? [] : parsePorts(o.ports);
      if (typeof ports === 'string') return [{ path: ['ports'], message: ports }];
    }
    if (o.aggregate !== undefined && !scrape)
      return [
        { path: ['aggregate'], message: 'only with endpoint + metric (in a PromQL query, aggregate there)' },
      ];
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
    async sample({ signal, timeoutMs }) {
      try {
        if (o.endpoint !== undefined && o.metric !== undefined && o.aggregate !== undefined) {
          const ports = o.ports === undefined ? undefined : parsePorts(o.ports);
          if (typeof ports === 'string') return { ok: false, error: `ports: ${ports}` };
          const endpoints = ports?.map((p) => atPort(o.endpoint as string, p)) ?? [o.endpoint];
          // half the sample's time each, so one silent endpoint leaves time to report the others
          const eachMs = endpoints.length > 1 ? Math.max(1, Math.floor(timeoutMs / 2)) : timeoutMs;
          return await scrapeAggregate(endpoints, o.metric, o.labels, o.aggregate, eachMs, signal);
        }
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
