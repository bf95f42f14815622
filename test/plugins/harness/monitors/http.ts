/** `http` monitor harness: a node:http server that answers late on /delayed and never on /silent. */
import { listen } from '../../monitors/helpers.js';
import { closedPort, type MonitorHarness, until } from './monitor.js';

export async function httpHarness(): Promise<MonitorHarness> {
  let answeredAt: number | undefined;
  let silentOpen = 0;
  const srv = await listen((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/delayed') {
      setTimeout(
        () => {
          answeredAt = Date.now();
          res.end('ok');
        },
        Number(url.searchParams.get('ms')),
      );
      return;
    }
    // /silent: never answers; the monitor aborting its request closes the connection
    silentOpen++;
    req.socket.once('close', () => silentOpen--);
  });
  return {
    async delayed(delayMs) {
      return { options: { url: `${srv.url}/delayed?ms=${delayMs}` }, answeredAt: () => answeredAt };
    },
    async down() {
      return { url: `http://127.0.0.1:${await closedPort()}/` };
    },
    async silent() {
      return {
        options: { url: `${srv.url}/silent` },
        released: () => until(() => silentOpen === 0, 2000, 'the request to /silent closed'),
      };
    },
    bad: [
      { options: { url: '' }, field: 'url' },
      { options: { url: 'http://127.0.0.1/', body_match: '(' }, field: 'body_match' },
      { options: { url: 'http://127.0.0.1/', status: 'ok' }, field: 'status' },
      { options: { url: 'http://127.0.0.1/', bogus: 1 }, field: 'bogus' },
    ],
    close: () => srv.close(),
  };
}
