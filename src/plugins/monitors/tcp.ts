/** `tcp` monitor runtime: up when a TCP connection opens before the sample is aborted. */
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { InvalidOptionError } from '../../core/errors.js';
import { tcpMonitor } from '../../experiment/monitors/tcp.js';
import { implementMonitor } from '../../monitors/types.js';

/** The `tcp` monitor. */
export const tcpMonitorImpl = implementMonitor(tcpMonitor, (o) => {
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
});
