/** `proxy.toxic`: add a toxic through any Toxiproxy-API server (faultline's own proxy included); removed on revert. */
import { z } from 'zod';
import { defineDisruptor } from '../registry.js';

export const proxyToxic = defineDisruptor({
  name: 'proxy.toxic',
  description: 'Add a toxic to a proxy through a Toxiproxy-compatible API; remove it when the fault ends.',
  options: z.strictObject({
    api: z.string().min(1).describe('The proxy API base URL, e.g. http://127.0.0.1:8474.'),
    proxy: z.string().min(1).describe('The proxy name; {{instance}} is replaced per instance.'),
    toxic: z
      .enum(['latency', 'bandwidth', 'slow_close', 'timeout', 'reset_peer', 'slicer', 'limit_data', 'http'])
      .describe('The toxic type.'),
    stream: z.enum(['upstream', 'downstream']).default('downstream'),
    toxicity: z.number().min(0).max(1).default(1).describe('Fraction of connections affected (default 1).'),
    attributes: z
      .record(z.string(), z.union([z.number(), z.string(), z.boolean()]))
      .default({})
      .describe('The toxic attributes, e.g. { latency: 300, jitter: 50 }.'),
  }),
});
