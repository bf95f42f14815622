/** Harness for proxy.toxic: a real faultline proxy server (in this process, so its toxics can be read at once). */
import { startProxyWithDb } from '../../../disruptors/helpers.js';
import type { DisruptorHarness } from './types.js';

export const proxyToxicHarness: DisruptorHarness = {
  async start() {
    const { proxy, api } = await startProxyWithDb();
    const toxics = () => {
      try {
        return proxy.listToxics('db').filter((t) => t.name.startsWith('faultline-'));
      } catch {
        return []; // the proxy is gone, and its toxics with it
      }
    };
    return {
      instance: { id: 'db' },
      options: { api, proxy: '{{instance}}', toxic: 'latency', attributes: { latency: 100 } },
      faulted: () => toxics().length > 0,
      restored: () => toxics().length === 0,
      vanish: () => proxy.deleteProxy('db'),
      close: () => proxy.close(),
    };
  },
  badOption: {
    options: { api: 'http://127.0.0.1:1', proxy: 'db', toxic: 'latency', attributes: { latncy: 100 } },
    field: 'with.attributes.latncy',
  },
};
