/**
 * Starting a load runner of an experiment file: its type is looked up in the runner registry and its options
 * parsed again by the type's own schema, so defaults apply and bad options are refused even when the caller built
 * the spec by hand rather than through the validator. The engine starts runners at the beginning of warm-up with
 * an open end and stops them when the method ends.
 */
import { FaultlineError, InvalidOptionError } from '../../core/errors.js';
import type { ExperimentSpec } from '../../experiment/schema.js';
import type { LoadRun } from '../../load/http-runner.js';
import type { RunnerContext } from '../registry.js';
import { runners } from './index.js';

export type { RunnerContext } from '../registry.js';

/** A validated load runner of an experiment file. */
export type RunnerSpec = ExperimentSpec['load'][number];

/**
 * Starts a runner of a registered type.
 * @throws FaultlineError `FAULTLINE_UNKNOWN_RUNNER` for an unregistered type; InvalidOptionError naming the
 * option (its path within the runner, e.g. `requests.0.path`) for options its schema refuses.
 */
export function startRunner(spec: RunnerSpec, ctx: RunnerContext): LoadRun {
  const definition = runners.get(spec.type);
  if (definition === undefined)
    throw new FaultlineError(
      'FAULTLINE_UNKNOWN_RUNNER',
      `no load runner type '${spec.type}'; known: ${runners.names().join(', ')}`,
    );
  // `name` and `type` are the experiment file's, not the runner's options
  const { name: _name, type: _type, ...options } = spec;
  const parsed = definition.options.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidOptionError(issue?.path.join('.') || 'options', issue?.message ?? 'invalid options');
  }
  return definition.start(parsed.data, ctx);
}
