/** `http` monitor: one request per sample; up when status, latency and body are as expected. */
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import { z } from 'zod';
import { undici } from '../../deps/lazy.js';
import { durationSchema, ms } from '../../experiment/duration.js';
import { defineMonitorPlugin, downSample } from '../../monitors/types.js';
import { regexIssues } from './support/regex.js';

type StatusSpec = number | number[] | '2xx' | '3xx' | '4xx' | '5xx';

function statusOk(expected: StatusSpec, got: number): boolean {
  if (typeof expected === 'number') return got === expected;
  if (Array.isArray(expected)) return expected.includes(got);
  return Math.floor(got / 100) === Number(expected[0]);
}

export const httpMonitor = defineMonitorPlugin({
  name: 'http',
  description: 'Send a request each sample; up when status, latency and body are as expected.',
  options: z.strictObject({
    url: z
      .string()
      .min(1)
      .describe('The URL; {{ports.NAME}} and {{instance}} are replaced in readiness probes.'),
    method: z.string().default('GET'),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.string().optional(),
    status: z
      .union([
        z.int().min(100).max(599),
        z.array(z.int().min(100).max(599)).min(1),
        z.enum(['2xx', '3xx', '4xx', '5xx']),
      ])
      .default('2xx')
      .describe('Expected status: a code, a list of codes or a class such as 2xx (default 2xx).'),
    max_latency: durationSchema.optional().describe('A slower answer counts as down.'),
    body_match: z.string().optional().describe('A regular expression the body must match.'),
  }),
  check: (o) => regexIssues('body_match', o.body_match),
  create(o) {
    const bodyRe = o.body_match === undefined ? undefined : new RegExp(o.body_match);
    const maxLatency = o.max_latency === undefined ? undefined : ms(o.max_latency, 'max_latency');
    return {
      async sample({ signal }) {
        const t0 = performance.now();
        let res: Dispatcher.ResponseData;
        let text: string;
        try {
          res = await undici().request(o.url, {
            method: o.method as 'GET',
            headers: o.headers,
            body: o.body,
            signal,
          });
          // Reading the body is part of the answer's latency: a server that stalls mid-body is slow.
          text = await res.body.text();
        } catch (err) {
          // refused, reset, aborted at the timeout: the target is down, which is a sample, not an exception
          return downSample(err);
        }
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
          return {
            ok: false,
            latencyMs,
            detail,
            error: `took ${latencyMs.toFixed(1)} ms > ${maxLatency} ms`,
          };
        if (bodyRe && !bodyRe.test(text))
          return { ok: false, latencyMs, detail, error: `body does not match /${o.body_match}/` };
        return { ok: true, latencyMs, detail };
      },
    };
  },
});
