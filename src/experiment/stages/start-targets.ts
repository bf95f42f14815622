/**
 * Stage 1, start targets: each target group in the order the file lists them (later ones may refer to earlier
 * ones' ports, and their own), then run-time placeholders in everything that is not a target. A target that
 * does not start or get ready makes the run `not-ready`; a stop during start-up makes it `aborted`.
 */
import { FaultlineError } from '../../core/errors.js';
import type { ExperimentSpec } from '../schema.js';
import { createTargetGroup, type InstanceExit, type TargetGroup } from '../targets.js';
import { expandDeep, type TemplateInstance } from '../templates.js';
import { type RunContext, reasonOf } from './context.js';

/** Errors that mean "the system was not ready", not "the run is broken". */
const NOT_READY_CODES = new Set(['FAULTLINE_TARGET_START', 'FAULTLINE_TARGET_NOT_READY']);

/** Why the run cannot go on to the method; both undefined while it can. */
export interface Gate {
  notReady?: string;
  aborted?: string;
}

/**
 * Watches owned targets for an exit before the method. One that exits after its ready check (another process
 * held its port and answered the probe; a crash while warming up) means going on would judge some other system,
 * so the run is `not-ready`, pointing at the log that says why. During the method an exit is a fault's doing,
 * or a finding: {@link TargetLoss.methodStarts} stops the watch.
 */
export interface TargetLoss {
  /** For the target groups: called on every exit of an owned instance. */
  onExit(e: InstanceExit): void;
  /** The run's stop, or an exit before the method: what warm-up and steady state before wait on. */
  readonly beforeMethod: AbortSignal;
  /** The first exit before the method, in words. */
  lost(): string | undefined;
  methodStarts(): void;
}

export function watchTargetLoss(stop: AbortSignal): TargetLoss {
  let lostTarget: string | undefined;
  let inMethod = false;
  const targetLost = new AbortController();
  return {
    onExit(e) {
      if (inMethod || lostTarget !== undefined) return;
      lostTarget = `${e.instance} (pid ${e.pid}) exited ${e.how} before the method started (see its log: ${e.log})`;
      targetLost.abort();
    },
    beforeMethod: AbortSignal.any([stop, targetLost.signal]),
    lost: () => lostTarget,
    methodStarts() {
      inMethod = true;
    },
  };
}

/**
 * Starts every target group, adding each to `groups` before starting it so cleanup stops whatever was started
 * even when a later start throws. Resolves with the instances per group and why the run cannot go on, if so.
 */
export async function startTargets(
  ctx: RunContext,
  spec: ExperimentSpec,
  groups: Map<string, TargetGroup>,
  o: { logDir: string; loss: TargetLoss },
): Promise<Gate & { started: Map<string, TemplateInstance[]> }> {
  const started = new Map<string, TemplateInstance[]>();
  const targetCtx = {
    journal: ctx.journal,
    logDir: o.logDir,
    started,
    clock: ctx.clock,
    signal: ctx.stop,
    onEvent: ctx.emit,
    onExit: o.loss.onExit,
    ...(ctx.fleet === undefined ? {} : { fleet: ctx.fleet }),
  };
  let notReady: string | undefined;
  let aborted: string | undefined;
  try {
    for (const [name, t] of Object.entries(spec.targets)) {
      if (ctx.stop.aborted) break;
      const group = await createTargetGroup(name, t, targetCtx);
      groups.set(name, group);
      // ports are known before anything starts, so a group may list its own instances (e.g. peers)
      started.set(name, group.instances);
      ctx.emit('target.starting', `${name}: ${group.instances.length} instance(s)`);
      await group.start();
      const where = (i: TemplateInstance) => (i.host === undefined ? `pid ${i.pid}` : `on ${i.host.address}`);
      ctx.emit('target.ready', `${name}: ${group.instances.map((i) => `${i.id} (${where(i)})`).join(', ')}`);
    }
  } catch (err) {
    if (err instanceof FaultlineError && NOT_READY_CODES.has(err.code)) notReady = err.message;
    else if (ctx.stop.aborted) aborted = reasonOf(ctx.stop);
    else throw err;
  }
  if (ctx.stop.aborted && notReady === undefined) aborted ??= reasonOf(ctx.stop);
  if (aborted === undefined) notReady ??= o.loss.lost();
  return { started, notReady, aborted };
}

/** The spec's parts with run-time placeholders expanded, once every target has its ports. */
export interface ResolvedSpecs {
  monitors: ExperimentSpec['monitors'];
  steady: ExperimentSpec['steady_state'];
  load: ExperimentSpec['load'];
  /** Each fault's `with:`, by index. */
  faultOptions: Record<string, unknown>[];
}

/** Expands `{{targets.…}}` (and the like) everywhere but in the targets themselves. */
export function resolvePlaceholders(
  spec: ExperimentSpec,
  started: ReadonlyMap<string, readonly TemplateInstance[]>,
): ResolvedSpecs {
  const targets = started;
  return {
    monitors: expandDeep(spec.monitors, ['monitors'], { targets }),
    steady: spec.steady_state && expandDeep(spec.steady_state, ['steady_state'], { targets }),
    // {{name}} in load requests are the runner's own seeded variables: only {{targets.…}} is ours there
    load: expandDeep(spec.load, ['load'], { targets, keepUnknown: true }),
    faultOptions: spec.faults.map((f, i) =>
      expandDeep(f.with, ['faults', i, 'with'], { targets, keepUnknown: true }),
    ) as Record<string, unknown>[],
  };
}
