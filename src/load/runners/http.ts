/** The `http` load runner of experiment files: the HTTP runner (open model with `rate`, else closed). */
import type { z } from 'zod';
import { ms, rate } from '../../experiment/duration.js';
import type { httpRunner } from '../../experiment/runners/http.js';
import { startLoad } from '../http-runner.js';
import type { RequestTemplate, VariableSpec } from '../template.js';
import { optional, registerRunnerRuntime } from './registry.js';

registerRunnerRuntime('http', (runner, ctx) => {
  const spec = runner as unknown as z.output<typeof httpRunner.options>;
  const requests: RequestTemplate[] | undefined = spec.requests?.map((r) => ({
    method: r.method,
    path: r.path,
    weight: r.weight,
    ...optional('name', r.name),
    ...optional('headers', r.headers ?? spec.headers),
    ...optional('body', r.body),
  }));
  return startLoad({
    url: spec.url,
    seed: ctx.seed,
    requests: requests ?? {
      method: spec.method,
      path: `${new URL(spec.url).pathname}${new URL(spec.url).search}`,
      ...optional('headers', spec.headers),
      ...optional('body', spec.body),
    },
    ...optional('vars', spec.vars as Record<string, VariableSpec> | undefined),
    model: spec.rate === undefined ? 'closed' : 'open',
    ...optional('rate', spec.rate === undefined ? undefined : rate(spec.rate)),
    ...optional('rampMs', spec.ramp === undefined ? undefined : ms(spec.ramp, 'ramp')),
    ...optional('connections', spec.connections),
    ...optional('thinkTimeMs', spec.think_time === undefined ? undefined : ms(spec.think_time, 'think_time')),
    ...optional('maxInFlight', spec.max_in_flight),
    // The open model in its own thread, so the engine's own work cannot pass for the system's latency; the ok
    // rule goes as data, since only data crosses threads.
    thread: 'auto',
    ...optional('okStatus', spec.ok_status),
    timeoutMs: ms(spec.timeout, 'timeout'),
    durationMs: ctx.durationMs,
    ...optional('clock', ctx.clock),
    ...optional('signal', ctx.signal),
  });
});
