/**
 * `http`: calls a URL to inject (non-2xx: not applied) and another to revert. A revert answered 404 or 410
 * counts as done — what it would remove is already gone.
 */
import { z } from 'zod';
import { callHttp, type HttpCall } from '../../disruptors/http-call.js';
import { expand } from '../../disruptors/template.js';
import { type DisruptorInstance, defineDisruptorPlugin, type Json } from '../../disruptors/types.js';
import { httpCallSchema } from '../../experiment/common.js';
import { type Duration, ms } from '../../experiment/duration.js';

type CallOptions = {
  url: string;
  method: string;
  headers?: Record<string, string> | undefined;
  body?: string | undefined;
  timeout: Duration;
};

function resolveCall(c: CallOptions, instance: DisruptorInstance, field: string): HttpCall {
  const call: HttpCall = {
    url: expand(c.url, instance, `${field}.url`),
    method: c.method,
    timeoutMs: ms(c.timeout, `${field}.timeout`),
  };
  if (c.headers !== undefined) call.headers = c.headers;
  if (c.body !== undefined) call.body = expand(c.body, instance, `${field}.body`);
  return call;
}

export const httpDisruptor = defineDisruptorPlugin({
  name: 'http',
  description: 'Call a URL to inject the fault and another to revert it.',
  options: z.strictObject({
    inject: httpCallSchema.describe(
      'The call that injects the fault; a non-2xx status means it did not apply.',
    ),
    revert: httpCallSchema.optional().describe('The call that reverts it (and runs on recover).'),
  }),
  revertFor(instance, options) {
    if (options.revert === undefined) return { type: 'http', call: null };
    return { type: 'http', call: resolveCall(options.revert, instance, 'revert') as unknown as Json };
  },
  async inject(instance, options, ctx) {
    const revert = this.revertFor(instance, options, ctx);
    const call = resolveCall(options.inject, instance, 'inject');
    const r = await callHttp(call, ctx.signal);
    if (r.status < 200 || r.status > 299) {
      throw new Error(`${call.method} ${call.url} answered ${r.status}: ${r.body.slice(0, 200)}`);
    }
    return { revert, detail: { status: r.status } };
  },
  async revert(record) {
    if (record.call === null || record.call === undefined) return;
    const call = record.call as unknown as HttpCall;
    const r = await callHttp(call);
    if ((r.status < 200 || r.status > 299) && r.status !== 404 && r.status !== 410) {
      throw new Error(`${call.method} ${call.url} answered ${r.status}: ${r.body.slice(0, 200)}`);
    }
  },
});
