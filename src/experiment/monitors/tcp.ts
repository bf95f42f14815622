/** `tcp` monitor: up when a TCP connection opens within the timeout. */
import { z } from 'zod';
import { defineMonitor } from '../../plugins/registry.js';

export const tcpMonitor = defineMonitor({
  name: 'tcp',
  description: 'Open a TCP connection each sample; up when it connects within the timeout.',
  options: z.strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: z
      .union([z.int().min(1).max(65535), z.string().min(1)])
      .describe('A port, or a {{ports.NAME}} template.'),
  }),
});
