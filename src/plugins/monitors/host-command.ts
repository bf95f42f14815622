/**
 * `host.command` monitor: runs a check on each of its hosts over SSH every sample, all hosts at once. Up when
 * the check passes on every host. With `nagios: true` the exit code is a Nagios plug-in's — 0 OK, 1 WARNING,
 * 2 CRITICAL, 3 UNKNOWN — so the Debian monitoring-plugins (/usr/lib/nagios/plugins/check_*) work unchanged:
 * OK and WARNING are up, CRITICAL and UNKNOWN (and a host that cannot be reached) down.
 *
 * The value: with `value`, the number that expression finds in each host's output, combined by `aggregate`;
 * else with `nagios`, the worst state (0–3); else how many hosts passed.
 */
import { z } from 'zod';
import { InvalidOptionError } from '../../core/errors.js';
import { hostField } from '../../disruptors/template.js';
import { commandSchema } from '../../experiment/common.js';
import { hostListSchema } from '../../experiment/schema-hosts.js';
import { shellQuote } from '../../fleet/command-output.js';
import type { Host } from '../../fleet/host.js';
import { defineMonitorPlugin, type SampleResult } from '../../monitors/types.js';
import { AGGREGATES, type Aggregate } from './support/aggregate.js';
import { regexIssues } from './support/regex.js';

const NAGIOS_STATES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;
/** Worst first, as Nagios ranks them: CRITICAL over UNKNOWN over WARNING over OK. */
const NAGIOS_RANK = [0, 1, 3, 2];

interface HostOutcome {
  host: string;
  ok: boolean;
  /** The exit status (null: no status: unreachable, killed). */
  status: number | null;
  value?: number;
  /** One line: what the check said, or why it failed. */
  text: string;
}

export const hostCommandMonitor = defineMonitorPlugin({
  name: 'host.command',
  onHosts: true,
  description:
    'Run a check on each of its hosts over SSH; up when it passes on every host (nagios: true reads Nagios plug-in exit codes).',
  options: z.strictObject({
    hosts: hostListSchema
      .optional()
      .describe("The hosts or groups to run it on (a target's ready probe: default its instance's host)."),
    command: commandSchema.describe(
      'The check, run on each host; {{host.name}}, {{host.address}}, {{host.port}}, {{host.user}} are replaced per host.',
    ),
    nagios: z
      .boolean()
      .default(false)
      .describe(
        "Exit codes are a Nagios plug-in's: 0 OK and 1 WARNING are up, 2 CRITICAL and 3 UNKNOWN down.",
      ),
    exit_code: z
      .int()
      .min(0)
      .max(255)
      .default(0)
      .describe('Without nagios: the exit code that means up (default 0).'),
    value: z
      .string()
      .optional()
      .describe("A regular expression whose first group (or whole match) in a host's stdout is its number."),
    aggregate: z
      .enum(['max', 'min', 'sum', 'mean'])
      .default('max')
      .describe("How the hosts' numbers combine into the sample's value (default max)."),
  }),
  check: (o) => regexIssues('value', o.value),
  create(o, ctx) {
    const fleet = ctx?.fleet;
    if (fleet === undefined)
      throw new InvalidOptionError('hosts', 'host.command needs hosts: or inventory: in the experiment');
    const names = o.hosts ?? ctx?.hosts;
    if (names === undefined) throw new InvalidOptionError('hosts', 'give the hosts (or groups) to run it on');
    const hosts = fleet.resolve(names);
    const valueRe = o.value === undefined ? undefined : new RegExp(o.value);
    const line = (host: Host) => {
      const self = { host: fleet.ref(host) };
      const fill = (t: string) =>
        t.replace(/\{\{\s*(host\.[\w.-]+)\s*\}\}/g, (whole, key: string) => hostField(self, key) ?? whole);
      return typeof o.command === 'string'
        ? fill(o.command)
        : o.command.map((a) => shellQuote(fill(a))).join(' ');
    };
    const judge = (host: string, status: number | null, stdout: string, stderr: string): HostOutcome => {
      const said = (stdout.trim().split('\n')[0] || stderr.trim().split('\n').pop() || '').slice(0, 200);
      let ok: boolean;
      let text: string;
      if (o.nagios) {
        const state = status !== null && status >= 0 && status <= 3 ? NAGIOS_STATES[status] : 'UNKNOWN';
        ok = status === 0 || status === 1;
        // a plug-in's first line usually starts with its state already (`TCP OK - …`, `CRITICAL: …`)
        text = said.includes(state as string) ? said : `${state}${said ? `: ${said}` : ''}`;
      } else {
        ok = status === o.exit_code;
        text = ok ? `exit ${status}` : `exit ${status}, expected ${o.exit_code}${said ? `: ${said}` : ''}`;
      }
      const out: HostOutcome = { host, ok, status, text };
      if (valueRe) {
        const m = valueRe.exec(stdout);
        const v = m ? Number(m[1] ?? m[0]) : Number.NaN;
        if (Number.isFinite(v)) out.value = v;
        else if (ok) {
          out.ok = false;
          out.text = `no number matching /${o.value}/ in stdout`;
        }
      }
      return out;
    };
    return {
      async sample({ signal, timeoutMs }): Promise<SampleResult> {
        const runs = hosts.map(async (h): Promise<HostOutcome> => {
          try {
            // `timeout` on the host too: a command run as root may outlive its closed channel (see docs/fleet.md).
            // A second later than the sampler's own, which is the one that reports: on a busy machine a late local
            // timer must not lose the race to the host's and turn "timed out" into "exit 124"
            const wire = `timeout -k 1 ${((timeoutMs + 1_000) / 1000).toFixed(3)} sh -c ${shellQuote(line(h))}`;
            const r = await fleet.exec(h, wire, { check: false, timeoutMs: timeoutMs + 3_000 });
            return judge(h.name, r.status, r.stdout, r.stderr);
          } catch (err) {
            // unreachable, refused, timed out: the message starts with the host's name
            const message = (err as Error).message;
            const text = message.startsWith(`${h.name}: `) ? message.slice(h.name.length + 2) : message;
            return { host: h.name, ok: false, status: null, text };
          }
        });
        // the sampler gives up at the timeout: stop waiting then (the pool times the commands out itself)
        const aborted = new Promise<undefined>((r) =>
          signal.addEventListener('abort', () => r(undefined), { once: true }),
        );
        const outcomes = await Promise.race([Promise.all(runs), aborted]);
        if (outcomes === undefined) return { ok: false, error: 'stopped before every host answered' };
        return summarize(outcomes, o);
      },
    };
  },
});

function summarize(
  outcomes: HostOutcome[],
  o: { nagios: boolean; value?: string | undefined; aggregate: Exclude<Aggregate, 'count'> },
): SampleResult {
  const failed = outcomes.filter((x) => !x.ok);
  const detail = outcomes.map((x) => `${x.host} ${x.text}`).join('; ');
  let value: number | undefined;
  if (o.value !== undefined) {
    const vs = outcomes.flatMap((x) => (x.value === undefined ? [] : [x.value]));
    if (vs.length > 0) value = AGGREGATES[o.aggregate](vs);
  } else if (o.nagios) {
    const state = (x: HostOutcome) => (x.status !== null && x.status >= 0 && x.status <= 3 ? x.status : 3);
    value = outcomes.map(state).reduce((w, s) => ((NAGIOS_RANK[s] ?? 3) > (NAGIOS_RANK[w] ?? 0) ? s : w), 0);
  } else {
    value = outcomes.length - failed.length;
  }
  const base = value === undefined ? {} : { value };
  if (failed.length === 0) return { ok: true, detail, ...base };
  return { ok: false, detail, error: failed.map((x) => `${x.host}: ${x.text}`).join('; '), ...base };
}
