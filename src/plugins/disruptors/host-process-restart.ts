/**
 * `host.process.restart`: stop a service's processes on its host (its stop signal, SIGKILL after the grace
 * period) and start it again with its target's `start` command — or `systemctl restart` for a unit — over SSH;
 * applied once a new process is found. Nothing is left for a revert: the record only names what was restarted.
 */
import { z } from 'zod';
import { pidsOf, requireService } from '../../disruptors/host.js';
import { type AppliedFault, defineDisruptorPlugin, type RevertRecord } from '../../disruptors/types.js';
import { signalSchema } from '../../experiment/common.js';
import { durationSchema, ms } from '../../experiment/duration.js';
import { withConnections } from '../../fleet/connections.js';
import {
  describeSelector,
  findProcesses,
  signalAndWaitGone,
  startAndWait,
  startLogOf,
} from '../../fleet/remote-process.js';

const NAME = 'host.process.restart';
const KILL_WAIT_MS = 10_000;

export const hostProcessRestart = defineDisruptorPlugin({
  name: NAME,
  requires: 'service',
  checkTarget: (t) =>
    t.start === undefined && t.systemd === undefined
      ? `target has no start command: give it start: (or systemd:) so ${NAME} can start it again`
      : undefined,
  description:
    "Stop a service's processes on its host (signal, then SIGKILL after grace) and start it again with its start command or systemctl restart, over SSH.",
  options: z.strictObject({
    signal: signalSchema.default('SIGTERM').describe('The stop signal (default SIGTERM).'),
    grace: durationSchema.default('5s').describe('Wait this long for exit before SIGKILL (default 5s).'),
    wait: durationSchema
      .default('30s')
      .describe('How long the service may take to show a new process (default 30s).'),
  }),
  revertFor(instance): RevertRecord {
    const { host } = requireService(instance, NAME);
    return { type: NAME, host, instance: instance.id };
  },
  async inject(instance, options, ctx) {
    const { host, service } = requireService(instance, NAME);
    const revert = this.revertFor(instance, options, ctx);
    const log = startLogOf(instance.id);
    return withConnections(ctx.fleet?.connections, async (c): Promise<AppliedFault> => {
      const old = await findProcesses(c, host, service.selector);
      const waitMs = ms(options.wait, 'wait');
      let forced = false;
      if (service.start === undefined && service.selector.systemd !== undefined) {
        const fresh = await startAndWait(c, host, {
          selector: service.selector,
          systemdVerb: 'restart',
          old,
          log,
          timeoutMs: waitMs,
        });
        return { revert, detail: { host: host.name, stopped: pidsOf(old), forced, started: pidsOf(fresh) } };
      }
      if (service.start === undefined)
        throw new Error(
          `${host.name}: ${instance.id} has no start command (needed to start ${describeSelector(service.selector)} again)`,
        );
      const left = await signalAndWaitGone(c, host, old, options.signal, ms(options.grace, 'grace'));
      if (left.length > 0) {
        forced = true;
        const still = await signalAndWaitGone(
          c,
          host,
          old.filter((p) => left.includes(p.pid)),
          'SIGKILL',
          KILL_WAIT_MS,
        );
        if (still.length > 0)
          throw new Error(`${host.name}: process ${still.join(', ')} (${instance.id}) survives SIGKILL`);
      }
      const fresh = await startAndWait(c, host, {
        selector: service.selector,
        start: service.start,
        old,
        log,
        timeoutMs: waitMs,
      });
      return { revert, detail: { host: host.name, stopped: pidsOf(old), forced, started: pidsOf(fresh) } };
    });
  },
  async revert() {
    // the restart is complete once inject resolves
  },
});
