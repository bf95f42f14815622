/**
 * `prometheus` monitor: a number from a /metrics endpoint (metric name plus labels) or from a PromQL query
 * against a Prometheus HTTP API. Exactly one of the two sources.
 */
import { z } from 'zod';
import { defineMonitor } from '../../plugins/registry.js';

export const prometheusMonitor = defineMonitor({
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
});
