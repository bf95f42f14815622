/**
 * `proxy.toxic`: adds a toxic through any Toxiproxy-API server (Toxiproxy itself or faultline's proxy) with a
 * name derived from the fault id, so the revert record can name it before it exists; removed on revert. A revert
 * answered 404 (no such toxic, or no such proxy) is done. A proxy API that needs a token gets
 * FAULTLINE_PROXY_TOKEN as a bearer token, read at inject and at revert (in `recover` too): it is never journaled.
 *
 * The toxic types and each type's attributes come from the proxy's toxic registry (src/proxy/toxics, one file
 * per type), so the file format accepts exactly what faultline's proxy does. Attributes are checked here, at
 * validation: Toxiproxy ignores an unknown attribute, so a typo (`latncy: 300`) would otherwise give a fault that
 * is "applied" and does nothing — and a steady-state hypothesis that holds for the wrong reason.
 */
import { z } from 'zod';
import { callHttp, joinUrl } from '../../disruptors/http-call.js';
import { expand } from '../../disruptors/template.js';
import { defineDisruptorPlugin } from '../../disruptors/types.js';
import { knownAttributes, parseAttributes, unknownAttributes } from '../../proxy/attributes.js';
import { ProxyApiError } from '../../proxy/errors.js';
import { getToxicDefinition, toxicDefinitions } from '../../proxy/registry.js';
import '../../proxy/toxics/index.js'; // registers every built-in toxic type

const toxicTypes = toxicDefinitions().map((d) => d.type);
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

export const proxyToxic = defineDisruptorPlugin({
  name: 'proxy.toxic',
  description: 'Add a toxic to a proxy through a Toxiproxy-compatible API; remove it when the fault ends.',
  options: z
    .strictObject({
      api: z.string().min(1).describe('The proxy API base URL, e.g. http://127.0.0.1:8474.'),
      proxy: z.string().min(1).describe('The proxy name; {{instance}} is replaced per instance.'),
      toxic: z.enum(toxicTypes as [string, ...string[]]).describe('The toxic type.'),
      stream: z.enum(['upstream', 'downstream']).default('downstream'),
      toxicity: z.number().min(0).max(1).default(1).describe('Fraction of connections affected (default 1).'),
      attributes: z
        .record(z.string(), z.unknown())
        .default({})
        .describe(
          "The toxic's attributes, e.g. { latency: 300, jitter: 50 }; each type's are listed in docs/proxy.md, and any other is an error.",
        ),
    })
    .superRefine((o, ctx) => {
      const def = getToxicDefinition(o.toxic);
      if (def === undefined) return; // the enum above reported it
      const unknown = unknownAttributes(def.attributes, o.attributes);
      for (const name of unknown) {
        ctx.addIssue({
          code: 'custom',
          path: ['attributes', name],
          message: `unknown attribute '${name}' of toxic ${o.toxic} (${knownAttributes(def.attributes)})`,
        });
      }
      if (unknown.length > 0) return;
      // The proxy's own checks (types, bounds, cross-attribute rules), so a value it would refuse with 400 at
      // inject time is an error naming its line now.
      try {
        const values = parseAttributes(def.attributes, o.attributes);
        def.validate?.(values);
      } catch (err) {
        if (!(err instanceof ProxyApiError) || err.field === undefined) throw err;
        const prefix = `bad request body: ${err.field}: `;
        const [head, name, ...rest] = err.field.split('.');
        const path = head === 'attributes' && name !== undefined ? ['attributes', name] : ['attributes'];
        if (rest.length > 0) path.push(rest.join('.'));
        ctx.addIssue({
          code: 'custom',
          path,
          message: err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message,
        });
      }
    }),
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
