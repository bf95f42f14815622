/** `tcp` monitor: up when a TCP connection opens before the sample is aborted (its timeout or the run's end). */
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { InvalidOptionError } from '../../core/errors.js';
import { defineMonitorPlugin } from '../../monitors/types.js';

export const tcpMonitor = defineMonitorPlugin({
  name: 'tcp',
  description: 'Open a TCP connection each sample; up when it connects within the timeout.',
  options: z.strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: z
      .union([z.int().min(1).max(65535), z.string().min(1)])
      .describe('A port, or a {{ports.NAME}} template.'),
  }),
  create(o) {
    const port = typeof o.port === 'number' ? o.port : Number(o.port);
    // Templates ({{ports.NAME}}) are resolved before a monitor is created; anything else left is a mistake.
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new InvalidOptionError('port', `expected a port number, got '${o.port}'`);
    return {
      sample({ signal }) {
        return new Promise((resolve) => {
          const t0 = performance.now();
          const socket = connect({ host: o.host, port });
          const finish = (ok: boolean, error?: string) => {
            signal.removeEventListener('abort', onAbort);
            socket.destroy();
            const latencyMs = performance.now() - t0;
            resolve(
              ok ? { ok, latencyMs, detail: `connected to ${o.host}:${port}` } : { ok, latencyMs, error },
            );
          };
          const onAbort = () => finish(false, 'aborted before connecting');
          if (signal.aborted) return finish(false, 'aborted before connecting');
          signal.addEventListener('abort', onAbort, { once: true });
          socket.once('connect', () => finish(true));
          socket.once('error', (err) => finish(false, err.message));
        });
      },
    };
  },
});
