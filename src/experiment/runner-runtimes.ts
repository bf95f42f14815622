/**
 * Load runner runtimes by type name — the same names as the experiment file's runner definitions. Each turns a
 * validated runner spec into a running {@link LoadRun}; the engine starts them at the beginning of warm-up with
 * an open end and stops them when the method ends.
 */
import type { z } from 'zod';
import { FaultlineError } from '../core/errors.js';
import type { Clock } from '../load/clock.js';
import { startCommandLoad } from '../load/command-runner.js';
import { type LoadRun, startLoad } from '../load/http-runner.js';
import type { RequestTemplate, VariableSpec } from '../load/template.js';
import { ms, rate } from './duration.js';
import type { commandRunner } from './runners/command.js';
import type { httpRunner } from './runners/http.js';
import type { ExperimentSpec } from './schema.js';

/** A validated load runner of an experiment file. */
export type RunnerSpec = ExperimentSpec['load'][number];

/** What every runner is started with. */
export interface RunnerContext {
  /** An upper bound on how long it may run; the engine stops it earlier. */
  durationMs: number;
  seed: number;
  clock?: Clock;
  signal?: AbortSignal;
}

type Start = (spec: RunnerSpec, ctx: RunnerContext) => LoadRun;

const byType = new Map<string, Start>();

/** Registers the runtime of a runner type. */
export function registerRunnerRuntime(type: string, start: Start): void {
  if (byType.has(type))
    throw new FaultlineError('FAULTLINE_DUPLICATE_TYPE', `load runner runtime '${type}' is registered twice`);
  byType.set(type, start);
}

/** Starts a runner. */
export function startRunner(spec: RunnerSpec, ctx: RunnerContext): LoadRun {
  const start = byType.get(spec.type);
  if (start === undefined)
    throw new FaultlineError('FAULTLINE_UNKNOWN_RUNNER', `no runtime for load runner type '${spec.type}'`);
  return start(spec, ctx);
}

const optional = <K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } =>
  (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };

/** `[2xx, 404]` as a status predicate. */
function okRule(list: readonly (number | string)[] | undefined): ((status: number) => boolean) | undefined {
  if (list === undefined) return undefined;
  const codes = new Set(list.filter((x): x is number => typeof x === 'number'));
  const classes = new Set(list.filter((x): x is string => typeof x === 'string').map((c) => Number(c[0])));
  return (status) => codes.has(status) || classes.has(Math.floor(status / 100));
}

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
    ...optional('ok', okRule(spec.ok_status)),
    timeoutMs: ms(spec.timeout, 'timeout'),
    durationMs: ctx.durationMs,
    ...optional('clock', ctx.clock),
    ...optional('signal', ctx.signal),
  });
});

registerRunnerRuntime('command', (runner, ctx) => {
  const spec = runner as unknown as z.output<typeof commandRunner.options>;
  const argv = Array.isArray(spec.command) ? spec.command : undefined;
  return startCommandLoad({
    command: argv ? (argv[0] as string) : (spec.command as string),
    ...optional('args', argv?.slice(1)),
    mode: spec.mode,
    concurrency: spec.concurrency,
    ...optional('timeoutMs', spec.timeout === undefined ? undefined : ms(spec.timeout, 'timeout')),
    ...optional('thinkTimeMs', spec.think_time === undefined ? undefined : ms(spec.think_time, 'think_time')),
    ...optional('cwd', spec.cwd),
    ...optional('env', spec.env === undefined ? undefined : { ...process.env, ...spec.env }),
    durationMs: ctx.durationMs,
    ...optional('clock', ctx.clock),
    ...optional('signal', ctx.signal),
  });
});
