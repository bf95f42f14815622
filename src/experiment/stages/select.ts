/**
 * `select:` on a target on hosts — its instances picked by a probe when the run starts, before anything else:
 * the command runs on each of the target's hosts at once, and the hosts where it exits 0 are the target's for
 * this run (the etcd leader, the primary of a replica set). The run's spec is narrowed in place (its `hosts`,
 * so result.json's spec says which were chosen) and the caller plans again from it with the same seed; a target
 * that chose no host makes the run not ready, naming each host and why.
 */
import { parseDuration } from '../../load/parse.js';
import type { ExperimentSpec, TargetSpec } from '../schema.js';
import { expandDeep } from '../templates.js';
import type { RunContext } from './context.js';

/** What selecting found: whether any target was narrowed, or why the run cannot go on. */
export interface Selection {
  changed: boolean;
  notReady?: string;
}

type OnHosts = Extract<TargetSpec, { type: 'service' | 'host' }>;

/** Runs every target's `select` probe and narrows its hosts to those chosen. */
export async function selectInstances(ctx: RunContext, spec: ExperimentSpec): Promise<Selection> {
  const fleet = ctx.fleet;
  let changed = false;
  for (const [name, target] of Object.entries(spec.targets)) {
    if ((target.type !== 'service' && target.type !== 'host') || target.select === undefined) continue;
    if (fleet === undefined) return { changed, notReady: `target ${name}: select needs hosts` };
    const t = target as OnHosts & { select: NonNullable<OnHosts['select']> };
    const hosts = typeof t.hosts === 'string' ? [t.hosts] : t.hosts;
    const timeoutMs = parseDuration(t.select.timeout);
    const answers = await Promise.all(
      hosts.map(async (host, index) => {
        const command = expandDeep(t.select.command, ['targets', name, 'select', 'command'], {
          targets: new Map(),
          self: { id: `${name}@${host}`, index, ports: {}, host: fleet.ref(host) },
        });
        try {
          const r = await fleet.exec(host, command, { check: false, timeoutMs });
          return { host, chosen: r.status === 0, why: `exit ${r.status ?? r.signal}` };
        } catch (err) {
          return { host, chosen: false, why: (err as Error).message };
        }
      }),
    );
    const chosen = answers.filter((a) => a.chosen).map((a) => a.host);
    if (chosen.length === 0)
      return {
        changed,
        notReady: `target ${name}: select chose no host (${answers.map((a) => `${a.host}: ${a.why}`).join('; ')})`,
      };
    ctx.emit('target.selected', `${name}: ${chosen.join(', ')} of ${hosts.join(', ')} (select)`);
    if (chosen.length !== hosts.length) {
      t.hosts = chosen;
      changed = true;
    }
  }
  return { changed };
}
