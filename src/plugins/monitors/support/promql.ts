/**
 * A small client of the Prometheus HTTP API's instant query (`GET /api/v1/query`), checked with zod against the
 * documented response envelope, reading exactly one number (a scalar, or a vector of one series).
 */

import { z } from 'zod';
import { undici } from '../../../deps/lazy.js';
import { parsePromValue } from './prom-text.js';

const valuePair = z.tuple([z.number(), z.string()]);

const responseSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.discriminatedUnion('resultType', [
      z.object({ resultType: z.literal('scalar'), result: valuePair }),
      z.object({ resultType: z.literal('string'), result: valuePair }),
      z.object({
        resultType: z.literal('vector'),
        result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: valuePair })),
      }),
      z.object({ resultType: z.literal('matrix'), result: z.array(z.unknown()) }),
    ]),
    warnings: z.array(z.string()).optional(),
  }),
  z.object({ status: z.literal('error'), errorType: z.string().optional(), error: z.string().optional() }),
]);

/** The answer of an instant query reduced to one number. */
export interface PromQueryValue {
  value: number;
  /** Evaluation time, epoch seconds. */
  time: number;
  /** The series' labels (empty for a scalar). */
  metric: Record<string, string>;
}

/**
 * Reads the single value out of a decoded `/api/v1/query` body. @throws Error saying why there is not exactly one.
 */
export function promQueryValue(body: unknown): PromQueryValue {
  const parsed = responseSchema.safeParse(body);
  if (!parsed.success)
    throw new Error(`not a Prometheus API response: ${parsed.error.issues[0]?.message ?? ''}`);
  const r = parsed.data;
  if (r.status === 'error') throw new Error(`query failed: ${r.errorType ?? 'error'}: ${r.error ?? ''}`);
  const d = r.data;
  if (d.resultType === 'scalar') return { time: d.result[0], value: parsePromValue(d.result[1]), metric: {} };
  if (d.resultType !== 'vector') throw new Error(`expected a scalar or a vector, got a ${d.resultType}`);
  if (d.result.length !== 1)
    throw new Error(`expected one series, got ${d.result.length} (narrow the query, e.g. with sum())`);
  const s = d.result[0] as (typeof d.result)[number];
  return { time: s.value[0], value: parsePromValue(s.value[1]), metric: s.metric };
}

/** Runs an instant query against `api` (a base URL such as `http://127.0.0.1:9090`). */
export async function promQuery(api: string, query: string, signal?: AbortSignal): Promise<PromQueryValue> {
  const url = new URL('api/v1/query', api.endsWith('/') ? api : `${api}/`);
  url.searchParams.set('query', query);
  const res = await undici().request(url, { method: 'GET', signal });
  const text = await res.body.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`status ${res.statusCode}: not JSON`);
  }
  return promQueryValue(body);
}
