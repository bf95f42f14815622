/**
 * Run-time placeholders in an experiment: `{{…}}` values only known once targets run. Per instance (target
 * commands, env and readiness probes; fault options, expanded by the disruptors): `{{instance}}`, `{{index}}`,
 * `{{pid}}`, `{{ports.NAME}}`. Anywhere: `{{targets.NAME.ports.PORT}}` (the port of every instance of target NAME,
 * comma-separated — one port for a one-instance group), `{{targets.NAME.count}}` and `{{faultline}}` (the command
 * that runs this faultline). `${…}` parameters are a
 * different thing, replaced when the file is read.
 */
import { InvalidOptionError } from '../core/errors.js';
import { hostField } from '../disruptors/template.js';
import type { HostRef } from '../fleet/host-ref.js';
import { faultlineCommand } from './faultline-command.js';
import { formatPath } from './validate.js';

/** What a target instance offers to templates. */
export interface TemplateInstance {
  id: string;
  index: number;
  pid?: number | undefined;
  ports: Readonly<Record<string, number>>;
  /** The host of an instance on a host: `{{host.name}}`, `{{host.address}}`, `{{host.port}}`, `{{host.user}}`. */
  host?: HostRef | undefined;
}

/** Instances per target name, for `{{targets.…}}`. */
export type TemplateTargets = ReadonlyMap<string, readonly TemplateInstance[]>;

const PLACEHOLDER = /\{\{\s*([\w.-]+)\s*\}\}/g;
const HOST_KEY = /^host\.(name|address|port|user)$/;

/** The value of one placeholder key, or undefined when it has none here. */
function lookup(
  key: string,
  targets: TemplateTargets,
  self: TemplateInstance | undefined,
): string | undefined {
  if (key === 'faultline') return faultlineCommand();
  if (key.startsWith('targets.')) {
    const m = /^targets\.([\w-]+)\.(count|ports\.([\w-]+))$/.exec(key);
    const group = m ? targets.get(m[1] as string) : undefined;
    if (!m || group === undefined) return undefined;
    if (m[2] === 'count') return String(group.length);
    const ports = group.map((i) => i.ports[m[3] as string]);
    return ports.every((p) => p !== undefined) ? ports.join(',') : undefined;
  }
  if (self === undefined) return undefined;
  if (key.startsWith('host.')) return hostField(self, key);
  if (key === 'instance') return self.id;
  if (key === 'index') return String(self.index);
  if (key === 'pid') return self.pid === undefined ? undefined : String(self.pid);
  if (key.startsWith('ports.')) {
    const p = self.ports[key.slice(6)];
    return p === undefined ? undefined : String(p);
  }
  return undefined;
}

/** Options of {@link expandDeep}. */
export interface ExpandOptions {
  targets: TemplateTargets;
  /** The instance for per-instance keys; without it only `{{targets.…}}` keys are known. */
  self?: TemplateInstance;
  /** Leave keys with no value here as they are (fault options: the disruptor expands them per instance). */
  keepUnknown?: boolean;
}

function expandString(text: string, path: (string | number)[], o: ExpandOptions): string {
  return text.replace(PLACEHOLDER, (whole, key: string) => {
    const v = lookup(key, o.targets, o.self);
    if (v !== undefined) return v;
    // no host here: a monitor sampled on hosts replaces it per host (the validator checked where it is used)
    if (o.self?.host === undefined && HOST_KEY.test(key)) return whole;
    if (o.keepUnknown && !key.startsWith('targets.')) return whole;
    const where = o.self ? ` for instance ${o.self.id}` : '';
    const known = key.startsWith('targets.')
      ? `; targets: ${[...o.targets.keys()].join(', ') || 'none started yet'} (a target can refer to itself and to targets above it)`
      : o.self
        ? ''
        : ' (per-instance placeholders only work in targets and fault options)';
    throw new InvalidOptionError(formatPath(path), `${whole} has no value${where}${known}`);
  });
}

/** A copy of `value` with placeholders replaced in every string. @throws InvalidOptionError naming the field. */
export function expandDeep<T>(value: T, path: (string | number)[], o: ExpandOptions): T {
  if (typeof value === 'string') return expandString(value, path, o) as T;
  if (Array.isArray(value)) return value.map((v, i) => expandDeep(v, [...path, i], o)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandDeep(v, [...path, k], o);
    return out as T;
  }
  return value;
}
