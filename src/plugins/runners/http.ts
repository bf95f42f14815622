/**
 * The `http` load runner: HTTP load with an open model (`rate`: arrivals on a schedule, whatever the responses
 * do) or a closed one (`connections` virtual users, each waiting for its answer). The options are the experiment
 * file's; the runtime is the load area's HTTP runner.
 */
import { z } from 'zod';
import { durationSchema, ms, rate } from '../../experiment/duration.js';
import { startLoad } from '../../load/http-runner.js';
import type { RequestTemplate, VariableSpec } from '../../load/template.js';
import { defineRunner } from '../registry.js';
import { optional } from './optional.js';

/** One request of a mix; `{{name}}` placeholders draw from `vars`. */
const requestSchema = z.strictObject({
  name: z.string().optional(),
  method: z.string().default('GET'),
  path: z.string().min(1).describe('Path and query, e.g. /kv/{{key}}.'),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
  weight: z.number().min(0).default(1).describe('Relative weight in the mix (default 1).'),
});

/** A value source for `{{name}}`: uniform or Zipf integers, one of a list, or the request index. */
const variableSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('uniform'), min: z.int(), max: z.int() }),
  z.strictObject({
    kind: z.literal('zipf'),
    n: z.int().min(1),
    s: z.number().positive().optional(),
    offset: z.int().optional(),
  }),
  z.strictObject({
    kind: z.literal('oneOf'),
    values: z.array(z.string()).min(1),
    weights: z.array(z.number().min(0)).optional(),
  }),
  z.strictObject({ kind: z.literal('sequence'), start: z.int().optional() }),
]);

const RATE_RE = /^\s*\d+(\.\d+)?\s*(\/\s*(ms|s|m|h))?\s*$/;

export const httpRunner = defineRunner({
  name: 'http',
  description: 'HTTP load: open model (rate) or closed model (connections virtual users).',
  options: z.strictObject({
    url: z.string().min(1).describe('The origin and default path, e.g. http://127.0.0.1:8080/items.'),
    rate: z
      .union([z.number().positive(), z.string().regex(RATE_RE, 'expected a rate such as 200/s or 3000/m')])
      .optional()
      .describe('Open model: requests per second, e.g. 200/s.'),
    ramp: durationSchema.optional().describe('Open model: ramp from 0 to rate over this long.'),
    connections: z.int().min(1).optional().describe('Closed model: virtual users; open model: pool size.'),
    pipelining: z
      .int()
      .min(1)
      .default(1)
      .describe(
        'HTTP/1.1 requests in flight per connection (default 1); the closed model keeps connections × pipelining outstanding.',
      ),
    think_time: durationSchema
      .optional()
      .describe('Closed model: pause between a response and the next request.'),
    method: z.string().default('GET'),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.string().optional(),
    timeout: durationSchema.default('10s').describe('Per-request timeout (default 10s).'),
    max_in_flight: z
      .int()
      .min(1)
      .optional()
      .describe('Open model: drop arrivals beyond this many outstanding.'),
    ok_status: z
      .array(z.union([z.int().min(100).max(599), z.enum(['2xx', '3xx', '4xx', '5xx'])]))
      .min(1)
      .optional()
      .describe('Statuses that count as ok, codes or classes (default 2xx and 3xx), e.g. [2xx, 404].'),
    requests: z
      .array(requestSchema)
      .min(1)
      .optional()
      .describe('A weighted mix of requests (default: one request of method/url/headers/body).'),
    vars: z
      .record(z.string().regex(/^[A-Za-z_][\w-]*$/), variableSchema)
      .optional()
      .describe('Seeded values for {{name}} in request paths, headers and bodies.'),
  }),
  start(spec, ctx) {
    const requests: RequestTemplate[] | undefined = spec.requests?.map((r) => ({
      method: r.method,
      path: r.path,
      weight: r.weight,
      ...optional('name', r.name),
      ...optional('headers', r.headers ?? spec.headers),
      ...optional('body', r.body),
    }));
    return startLoad({
      url: spec.url,
      seed: ctx.seed,
      requests: requests ?? {
        method: spec.method,
        path: `${new URL(spec.url).pathname}${new URL(spec.url).search}`,
        ...optional('headers', spec.headers),
        ...optional('body', spec.body),
      },
      ...optional('vars', spec.vars as Record<string, VariableSpec> | undefined),
      model: spec.rate === undefined ? 'closed' : 'open',
      ...optional('rate', spec.rate === undefined ? undefined : rate(spec.rate)),
      ...optional('rampMs', spec.ramp === undefined ? undefined : ms(spec.ramp, 'ramp')),
      ...optional('connections', spec.connections),
      pipelining: spec.pipelining,
      ...optional(
        'thinkTimeMs',
        spec.think_time === undefined ? undefined : ms(spec.think_time, 'think_time'),
      ),
      ...optional('maxInFlight', spec.max_in_flight),
      // The open model in its own thread, so the engine's own work cannot pass for the system's latency; the ok
      // rule goes as data, since only data crosses threads.
      thread: 'auto',
      ...optional('okStatus', spec.ok_status),
      timeoutMs: ms(spec.timeout, 'timeout'),
      durationMs: ctx.durationMs,
      ...optional('clock', ctx.clock),
      ...optional('signal', ctx.signal),
    });
  },
});
