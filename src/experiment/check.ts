/**
 * Checks across fields and sections that the schema alone cannot express: references (a fault's target, a
 * condition's monitor), exclusive options (count or percent), times inside the method, thresholds of the
 * right kind for their KPI, and each plug-in definition's own `check`. Pure: takes the parsed spec, returns
 * issues with paths; the validator maps paths to file positions.
 */
import { parseDuration, parseRate } from '../load/parse.js';
import { disruptors } from '../plugins/disruptors/index.js';
import { monitors } from '../plugins/monitors/index.js';
import type { DefinitionIssue, PluginDefinition, Registry } from '../plugins/registry.js';
import { runners } from '../plugins/runners/index.js';
import { fraction } from './duration.js';
import { hostsOf } from './hosts.js';
import { relativeFactor } from './hypothesis.js';
import type { SpecIssue } from './issues.js';
import { type ConditionSpec, type ExperimentSpec, HOST_TARGET_TYPES, type TargetSpec } from './schema.js';

export type { SpecIssue };

/** Most occurrences one `every:` fault may plan; more is almost surely a unit typo (`every: 1` = 1 ms). */
export const MAX_OCCURRENCES = 10_000;

/** The host names of a target on hosts (a list once the validator resolved groups); [] for a local one. */
export function hostNamesOf(target: TargetSpec): string[] {
  if (target.type !== 'service' && target.type !== 'host') return [];
  return typeof target.hosts === 'string' ? [target.hosts] : target.hosts;
}

/** Instances in a target group: one per host for a target on hosts. */
export function instanceCount(target: TargetSpec): number {
  if (target.type === 'process') return target.count;
  if (target.type === 'attach') return target.pid_files.length;
  return hostNamesOf(target).length;
}

/** An instance's id: `<target>-<index>` here, `<target>@<host>` for a target on hosts. */
export function instanceId(name: string, target: TargetSpec, index: number): string {
  const host = hostNamesOf(target)[index];
  return host === undefined ? `${name}-${index}` : `${name}@${host}`;
}

/** What a disruptor's `requires` asks of a target, or undefined when the target fits. */
function requiresProblem(requires: string | undefined, target: TargetSpec, name: string): string | undefined {
  const onHosts = HOST_TARGET_TYPES.has(target.type);
  if (requires === 'local-process' && onHosts)
    return `target '${name}' is on hosts; this disruptor acts on local processes (use its host.* counterpart)`;
  if (requires === 'host' && !onHosts)
    return `target '${name}' is a local ${target.type} target; this disruptor acts on hosts (a service or host target)`;
  if (requires === 'service' && target.type !== 'service')
    return `target '${name}' is a ${target.type} target; this disruptor acts on a service's processes on its hosts (a service target)`;
  return undefined;
}

/** The name a fault is known by: its `name`, else `<disruptor>#<index>`. */
export function faultName(fault: { name?: string | undefined; disruptor: string }, index: number): string {
  return fault.name ?? `${fault.disruptor}#${index}`;
}

/** The name a load runner is known by: its `name`, else `<type>#<index>`. */
export function runnerName(runner: { name?: string | undefined; type: string }, index: number): string {
  return runner.name ?? `${runner.type}#${index}`;
}

function known(names: string[]): string {
  return names.length === 0 ? 'none are defined' : `defined: ${names.join(', ')}`;
}

type ThresholdKind = 'fraction' | 'duration' | 'rate' | 'number';

const KPI_KIND: Record<string, ThresholdKind> = {
  error_rate: 'fraction',
  p50: 'duration',
  p90: 'duration',
  p95: 'duration',
  p99: 'duration',
  'p99.9': 'duration',
  max: 'duration',
  throughput: 'rate',
  time_to_recover: 'duration',
  max_downtime: 'duration',
};

/** What a KPI's bounds are: every `error_rate.<class>` is a percentage like `error_rate`. */
function kpiKind(kpi: string): ThresholdKind {
  return KPI_KIND[kpi] ?? (kpi.startsWith('error_rate.') ? 'fraction' : 'number');
}

function thresholdProblem(kind: ThresholdKind, v: number | string): string | undefined {
  try {
    if (kind === 'fraction') {
      const f = fraction(v);
      if (!Number.isFinite(f) || f < 0 || f > 1)
        return `expected a percentage such as 1% or 0.01, got '${v}'`;
    } else if (kind === 'duration') parseDuration(v);
    else if (kind === 'rate') parseRate(v);
    else if (typeof v !== 'number') return `expected a number, got '${v}'`;
  } catch (err) {
    return (err as Error).message.replace(/^\w+: /, '');
  }
  return undefined;
}

function pluginIssues<D extends PluginDefinition>(
  registry: Registry<D>,
  type: string,
  options: Record<string, unknown>,
  path: (string | number)[],
): SpecIssue[] {
  const d = registry.get(type);
  if (!d?.check) return [];
  return d.check(options).map((i: DefinitionIssue) => ({ path: [...path, ...i.path], message: i.message }));
}

/** All cross-field problems of a parsed experiment (empty when it is consistent). */
export function checkExperiment(spec: ExperimentSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const add = (path: (string | number)[], message: string) => issues.push({ path, message });
  const targetNames = Object.keys(spec.targets);
  const monitorNames = Object.keys(spec.monitors);
  const runnerNames = spec.load.map(runnerName);
  const faultNames = spec.faults.map(faultName);
  const methodMs = parseDuration(spec.duration);

  const unique = (names: string[], section: string) => {
    const seen = new Set<string>();
    names.forEach((n, i) => {
      if (seen.has(n)) add([section, i, 'name'], `duplicate name '${n}'`);
      seen.add(n);
    });
  };
  unique(faultNames, 'faults');
  unique(runnerNames, 'load');

  for (const [name, t] of Object.entries(spec.targets)) {
    if (t.type === 'service') {
      const given = (['pidfile', 'match', 'systemd'] as const).filter((k) => t[k] !== undefined);
      if (given.length !== 1)
        add(
          ['targets', name, ...(given.length > 1 ? [given[1] as string] : [])],
          'give exactly one of pidfile, match or systemd: how to find the service on each host',
        );
    }
    if (t.ready) issues.push(...pluginIssues(monitors, t.ready.type, t.ready, ['targets', name, 'ready']));
    if (typeof t.max_unavailable === 'number' && t.max_unavailable > instanceCount(t))
      add(
        ['targets', name, 'max_unavailable'],
        `is ${t.max_unavailable} but the group has only ${instanceCount(t)} instance(s)`,
      );
  }
  for (const [name, m] of Object.entries(spec.monitors))
    issues.push(...pluginIssues(monitors, m.type, m, ['monitors', name]));
  spec.load.forEach((r, i) => {
    issues.push(...pluginIssues(runners, r.type, r, ['load', i]));
  });

  const checkCondition = (c: ConditionSpec, path: (string | number)[]) => {
    if ((c.monitor === undefined) === (c.kpi === undefined)) {
      add(path, 'give exactly one of monitor or kpi');
      return;
    }
    if (c.monitor !== undefined && !monitorNames.includes(c.monitor))
      add([...path, 'monitor'], `unknown monitor '${c.monitor}'; ${known(monitorNames)}`);
    if (c.load !== undefined) {
      if (c.kpi === undefined) add([...path, 'load'], 'only applies with kpi');
      else if (!runnerNames.includes(c.load))
        add([...path, 'load'], `unknown load runner '${c.load}'; ${known(runnerNames)}`);
    }
    if (c.down !== undefined && c.monitor === undefined) add([...path, 'down'], 'only applies with monitor');
    if (c.above === undefined && c.below === undefined && c.down === undefined)
      add(path, c.monitor !== undefined ? 'give above, below or down' : 'give above or below');
    const kind: ThresholdKind = c.kpi ? kpiKind(c.kpi) : 'number';
    for (const f of ['above', 'below'] as const) {
      const v = c[f];
      if (v === undefined) continue;
      const problem = thresholdProblem(kind, v);
      if (problem) add([...path, f], problem);
    }
  };

  spec.faults.forEach((f, i) => {
    const path = ['faults', i];
    const target = spec.targets[f.target];
    if (!target)
      add(
        [...path, 'target'],
        `unknown target '${f.target}'; ${known(targetNames)}${Object.keys(spec.hosts).length > 0 ? ', or a group or host of hosts:/inventory:' : ''}`,
      );
    const d = disruptors.get(f.disruptor);
    const misfit =
      target &&
      (requiresProblem(d?.requires, target, f.target) ?? d?.checkTarget?.(target as Record<string, unknown>));
    if (misfit) add([...path, 'target'], misfit);
    if (f.count !== undefined && f.percent !== undefined)
      add([...path, 'percent'], 'give count or percent, not both');
    if (d?.onGroup !== undefined)
      for (const k of ['count', 'percent'] as const)
        if (f[k] !== undefined)
          add([...path, k], `${f.disruptor} acts on every host of its target at once; ${k} does not apply`);
    if (target && !misfit && d?.checkHosts !== undefined && HOST_TARGET_TYPES.has(target.type)) {
      const fleet = hostsOf(spec);
      const names = hostNamesOf(target);
      for (const issue of d.checkHosts(f.with, {
        targets: fleet
          .filter((h) => names.includes(h.name))
          .sort((a, b) => names.indexOf(a.name) - names.indexOf(b.name)),
        fleet,
        seed: 0,
        faultId: `${faultName(f, i)}.0.${f.target}`,
        target: target as Record<string, unknown>,
      }))
        add([...path, 'with', ...issue.path], issue.message);
    }
    if (target && f.count !== undefined && f.count > instanceCount(target))
      add(
        [...path, 'count'],
        `is ${f.count} but target '${f.target}' has ${instanceCount(target)} instance(s)`,
      );
    const triggers = [f.at !== undefined || f.every !== undefined, f.when !== undefined].filter(
      Boolean,
    ).length;
    if (triggers === 0) add(path, 'give when the fault happens: at, every or when');
    if (f.when !== undefined && (f.at !== undefined || f.every !== undefined))
      add([...path, 'when'], 'a when: fault cannot also have at or every');
    if (f.times !== undefined && f.every === undefined && f.when === undefined)
      add([...path, 'times'], 'only applies with every or when');
    if (f.at !== undefined && parseDuration(f.at) >= methodMs)
      add([...path, 'at'], `${f.at} is not before the end of the method (duration ${spec.duration})`);
    if (f.every !== undefined) {
      const n = Math.ceil(
        (methodMs - (f.at === undefined ? 0 : parseDuration(f.at))) / parseDuration(f.every),
      );
      if (n > MAX_OCCURRENCES && (f.times === undefined || f.times > MAX_OCCURRENCES))
        add(
          [...path, 'every'],
          `${f.every} repeats ${n} times in ${spec.duration}; at most ${MAX_OCCURRENCES}`,
        );
    }
    if (f.when) checkCondition(f.when, [...path, 'when']);
    issues.push(...pluginIssues(disruptors, f.disruptor, f.with, [...path, 'with']));
  });

  spec.abort_when.forEach((c, i) => {
    checkCondition(c, ['abort_when', i]);
  });

  spec.steady_state?.probes.forEach((p, i) => {
    const path = ['steady_state', 'probes', i];
    if ((p.monitor === undefined) === (p.probe === undefined))
      add(path, 'give exactly one of monitor or probe');
    if (p.monitor !== undefined && !monitorNames.includes(p.monitor))
      add([...path, 'monitor'], `unknown monitor '${p.monitor}'; ${known(monitorNames)}`);
    if (p.probe) issues.push(...pluginIssues(monitors, p.probe.type, p.probe, [...path, 'probe']));
  });

  issues.push(...placeholderIssues(spec));

  spec.hypothesis.forEach((a, i) => {
    const path = ['hypothesis', i];
    if (a.above === undefined && a.below === undefined) add(path, 'give below or above');
    const live = a.kpi !== 'time_to_recover' && a.kpi !== 'max_downtime';
    if (live && a.phase === undefined)
      add([...path, 'phase'], `required for ${a.kpi}: before, during or after`);
    if (a.kpi === 'max_downtime') {
      if (a.monitor === undefined) add([...path, 'monitor'], 'required for max_downtime');
    } else if (a.monitor !== undefined) add([...path, 'monitor'], 'only applies to max_downtime');
    if (a.recovered_when !== undefined && a.kpi !== 'time_to_recover')
      add([...path, 'recovered_when'], 'only applies to time_to_recover');
    if (a.absorb !== undefined && a.kpi !== 'time_to_recover')
      add([...path, 'absorb'], 'only applies to time_to_recover');
    if (Array.isArray(a.absorb))
      a.absorb.forEach((name, j) => {
        if (!faultNames.includes(name))
          add([...path, 'absorb', j], `unknown fault '${name}'; ${known(faultNames)}`);
      });
    if (a.monitor !== undefined && !monitorNames.includes(a.monitor))
      add([...path, 'monitor'], `unknown monitor '${a.monitor}'; ${known(monitorNames)}`);
    if (a.load !== undefined && !runnerNames.includes(a.load))
      add([...path, 'load'], `unknown load runner '${a.load}'; ${known(runnerNames)}`);
    const kind = kpiKind(a.kpi);
    for (const f of ['above', 'below'] as const) {
      const v = a[f];
      if (v === undefined) continue;
      const factor = relativeFactor(v);
      if (factor === undefined) {
        const problem = thresholdProblem(kind, v);
        if (problem) add([...path, f], problem);
      } else if (!live) add([...path, f], `a bound relative to before (${v}) only applies to load KPIs`);
      else if (a.phase === 'before') add([...path, f], `${v} compares the before phase with itself`);
      else if (factor <= 0) add([...path, f], `the factor must be greater than 0, got '${v}'`);
    }
  });
  return issues;
}

const PLACEHOLDER = /\{\{\s*([\w.-]+)\s*\}\}/g;
const HOST_KEY = /^host\.(name|address|port|user)$/;

/** Every string in `value` with its path. */
function strings(value: unknown, path: (string | number)[], out: Array<[(string | number)[], string]> = []) {
  if (typeof value === 'string') out.push([path, value]);
  else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) strings(v, [...path, i], out);
  } else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) strings(v, [...path, k], out);
  return out;
}

/**
 * Run-time placeholders (`{{…}}`) checked before anything runs: a `{{targets.NAME.ports.PORT}}` must name a
 * target that starts no later than where it is used and a port it declares; per-instance keys (`{{ports.X}}`,
 * `{{instance}}`, …) only work where there is an instance — its target's fields and fault options.
 */
export function placeholderIssues(spec: ExperimentSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const order = Object.keys(spec.targets);
  const portsOf = (t: TargetSpec | undefined): string[] =>
    t?.type === 'process' ? Object.keys(t.ports ?? {}) : [];
  const check = (
    value: unknown,
    path: (string | number)[],
    self: string | undefined,
    visible: string[],
    others: 'error' | 'ignore',
    onHost = false,
  ) => {
    for (const [p, text] of strings(value, path)) {
      for (const m of text.matchAll(PLACEHOLDER)) {
        const key = m[1] as string;
        const whole = m[0];
        if (key === 'faultline') continue;
        if (HOST_KEY.test(key)) {
          if (!onHost)
            issues.push({
              path: p,
              message: `${whole}: host placeholders only work for targets on hosts (service, host) and in monitors sampled on hosts`,
            });
          continue;
        }
        if (key.startsWith('targets.')) {
          const t = /^targets\.([\w-]+)\.(count|ports\.([\w-]+))$/.exec(key);
          if (!t) {
            issues.push({
              path: p,
              message: `${whole}: expected {{targets.NAME.ports.PORT}} or {{targets.NAME.count}}`,
            });
          } else if (!visible.includes(t[1] as string)) {
            const why = order.includes(t[1] as string)
              ? `target '${t[1]}' starts later (targets start in file order)`
              : `no target '${t[1]}'; ${known(order)}`;
            issues.push({ path: p, message: `${whole}: ${why}` });
          } else if (t[3] !== undefined && !portsOf(spec.targets[t[1] as string]).includes(t[3])) {
            const ports = portsOf(spec.targets[t[1] as string]);
            issues.push({
              path: p,
              message: `${whole}: target '${t[1]}' has no port '${t[3]}'; ${ports.length ? `ports: ${ports.join(', ')}` : 'it declares no ports'}`,
            });
          }
          continue;
        }
        if (self === undefined) {
          if (others === 'error')
            issues.push({
              path: p,
              message: `${whole}: per-instance placeholders only work in targets and fault options; use {{targets.NAME.ports.PORT}}`,
            });
          continue;
        }
        if (key.startsWith('ports.') && !portsOf(spec.targets[self]).includes(key.slice(6))) {
          const ports = portsOf(spec.targets[self]);
          issues.push({
            path: p,
            message: `${whole}: target '${self}' has no port '${key.slice(6)}'; ${ports.length ? `ports: ${ports.join(', ')}` : 'it declares no ports'}`,
          });
        } else if (!['instance', 'index', 'pid'].includes(key) && !key.startsWith('ports.')) {
          issues.push({
            path: p,
            message: `${whole}: unknown placeholder; known: instance, index, pid, ports.NAME, targets.NAME.ports.PORT, faultline`,
          });
        }
      }
    }
  };
  const onHosts = (t: TargetSpec | undefined) => t !== undefined && HOST_TARGET_TYPES.has(t.type);
  const sampledOnHosts = (m: { type: string } | undefined) =>
    m !== undefined && monitors.get(m.type)?.onHosts === true;
  order.forEach((name, i) => {
    const t = spec.targets[name] as TargetSpec;
    const visible = order.slice(0, i + 1);
    if (t.type === 'process') {
      for (const field of ['command', 'env', 'cwd'] as const)
        check(t[field], ['targets', name, field], name, visible, 'error');
    }
    if (t.type === 'service') {
      for (const field of ['pidfile', 'match', 'systemd', 'start'] as const)
        check(t[field], ['targets', name, field], name, visible, 'error', true);
    }
    if (t.ready)
      check(
        t.ready,
        ['targets', name, 'ready'],
        name,
        visible,
        'error',
        onHosts(t) || sampledOnHosts(t.ready),
      );
  });
  spec.faults.forEach((f, i) => {
    const t = spec.targets[f.target];
    if (t) check(f.with, ['faults', i, 'with'], f.target, order, 'error', onHosts(t));
  });
  for (const [name, m] of Object.entries(spec.monitors))
    check(m, ['monitors', name], undefined, order, 'error', sampledOnHosts(m));
  spec.steady_state?.probes.forEach((probe, i) => {
    const path = ['steady_state', 'probes', i];
    for (const [k, v] of Object.entries(probe))
      check(v, [...path, k], undefined, order, 'error', k === 'probe' && sampledOnHosts(probe.probe));
  });
  // in load requests, other {{name}}s are the runner's own variables
  check(spec.load, ['load'], undefined, order, 'ignore');
  return issues;
}
