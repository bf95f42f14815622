/** `http` monitor: a request per sample; up when the status, latency and body match what is expected. */
import { z } from 'zod';
import { defineMonitor } from '../../plugins/registry.js';
import { durationSchema } from '../duration.js';

export const httpMonitor = defineMonitor({
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
  check(o) {
    if (o.body_match === undefined) return [];
    try {
      new RegExp(o.body_match);
      return [];
    } catch (err) {
      return [{ path: ['body_match'], message: `not a regular expression: ${(err as Error).message}` }];
    }
  },
});
