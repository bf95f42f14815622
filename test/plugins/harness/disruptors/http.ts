/** Harness for http: a tiny HTTP server holding one switch, turned on by POST and off by DELETE (404 when off). */
import { createServer } from 'node:http';
import type { DisruptorHarness } from './types.js';

export const httpHarness: DisruptorHarness = {
  async start() {
    let on = false;
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.method === 'POST') {
          on = true;
          res.statusCode = 200;
        } else if (req.method === 'DELETE') {
          res.statusCode = on ? 204 : 404;
          on = false;
        } else res.statusCode = 405;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/fault/{{instance}}`;
    return {
      instance: { id: 'api-0' },
      options: { inject: { url }, revert: { url, method: 'DELETE' } },
      faulted: () => on,
      restored: () => !on,
      // what the fault switched on is gone (the server forgot it): the revert is answered 404
      vanish: async () => {
        on = false;
      },
      close: () =>
        new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    };
  },
  badOption: {
    options: { inject: { url: 'http://127.0.0.1:1/', timeout: 'later' } },
    field: 'with.inject.timeout',
  },
};
