/**
 * `proxy.toxic`: adds a toxic through any Toxiproxy-API server (Toxiproxy itself or faultline's proxy) with a
 * name derived from the fault id, so the revert record can name it before it exists. A revert answered 404
 * (no such toxic, or no such proxy) is done. A proxy API that needs a token gets FAULTLINE_PROXY_TOKEN as a
 * bearer token, read at inject and at revert (in `recover` too): it is never journaled.
 */
import { proxyToxic } from '../plugins/disruptors/proxy-toxic.js';
import { callHttp, joinUrl } from './http-call.js';
import { expand } from './template.js';
import { defineDisruptorRuntime } from './types.js';

const TIMEOUT_MS = 10_000;

/** The bearer token header for a proxy API that needs one (FAULTLINE_PROXY_TOKEN), else nothing. */
function authHeaders(): Record<string, string> {
  const token = process.env.FAULTLINE_PROXY_TOKEN;
  return token ? { authorization: `Bearer ${token}` } : {};
}

function toxicName(faultId: string): string {
  return `faultline-${faultId}`.replace(/[^\w.-]/g, '_');
}

function toxicPath(proxy: string, toxic?: string): string {
  const base = `/proxies/${encodeURIComponent(proxy)}/toxics`;
  return toxic === undefined ? base : `${base}/${encodeURIComponent(toxic)}`;
}

export const proxyToxicRuntime = defineDisruptorRuntime(proxyToxic, {
  revertFor(instance, options, ctx) {
    return {
      type: 'proxy.toxic',
      api: expand(options.api, instance, 'api'),
      proxy: expand(options.proxy, instance, 'proxy'),
      toxic: toxicName(ctx.faultId),
    };
  },
  async inject(instance, options, ctx) {
    const revert = this.revertFor(instance, options, ctx);
    const { api, proxy, toxic } = revert as unknown as { api: string; proxy: string; toxic: string };
    const r = await callHttp(
      {
        url: joinUrl(api, toxicPath(proxy)),
        method: 'POST',
        headers: { 'content-type': 'application/json', ...authHeaders() },
        body: JSON.stringify({
          name: toxic,
          type: options.toxic,
          stream: options.stream,
          toxicity: options.toxicity,
          attributes: options.attributes,
        }),
        timeoutMs: TIMEOUT_MS,
      },
      ctx.signal,
    );
    if (r.status !== 200 && r.status !== 201) {
      throw new Error(
        `adding toxic ${toxic} to proxy ${proxy} at ${api}: HTTP ${r.status}: ${r.body.slice(0, 200)}`,
      );
    }
    return { revert };
  },
  async revert(record) {
    const { api, proxy, toxic } = record as unknown as { api: string; proxy: string; toxic: string };
    const r = await callHttp({
      url: joinUrl(api, toxicPath(proxy, toxic)),
      method: 'DELETE',
      headers: authHeaders(),
      timeoutMs: TIMEOUT_MS,
    });
    if (r.status >= 300 && r.status !== 404) {
      throw new Error(
        `removing toxic ${toxic} from proxy ${proxy} at ${api}: HTTP ${r.status}: ${r.body.slice(0, 200)}`,
      );
    }
  },
});
