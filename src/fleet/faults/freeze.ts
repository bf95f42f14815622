/**
 * `host.freeze`: a hung node. Every process given by pid or matching a pattern is stopped (SIGSTOP) and the
 * host's traffic with its peers is dropped (iptables, tagged like the partition's rules); the machine running
 * faultline keeps its SSH connection. Before any process is stopped, a marker file
 * (/run/faultline/freeze-<runId>-<faultId>) lists each one as "pid starttime": the revert and a sweep continue
 * exactly those (a pid whose start time changed is another process now and is left alone).
 *
 * Patterns are extended regexes matched against whole command lines (pgrep -f) of processes in the host's own
 * network namespace (on the namespace test bed, hosts share one pid namespace). The SSH session running the
 * command and its ancestors are never stopped, nor is pid 1, nor any of faultline's own shells (../shell.ts).
 */
import { z } from 'zod';
import { InvalidOptionError } from '../../core/errors.js';
import type { Host } from '../host.js';
import { OWN_SHELL_FN } from '../shell.js';
import { type DropRule, deleteRules, dropBoth, insertRules, ipv4Of, verifyRules } from './iptables.js';
import {
  type FleetExec,
  faultTag,
  type HostFault,
  HostFaultError,
  type HostStep,
  hostsByName,
  lines,
  MARKER_DIR,
  markerPath,
  type PlanInput,
  parseOptions,
  pollUntil,
  revertRecord,
  runStepCommand,
  sh,
} from './types.js';

export const freezeOptionsSchema = z
  .strictObject({
    pids: z.array(z.number().int().min(2)).min(1).optional().describe('Processes to stop, by pid.'),
    patterns: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('Stop every process whose command line matches one of these extended regexes (pgrep -f).'),
    peers: z
      .array(z.string().min(1))
      .optional()
      .describe(
        'Hosts whose traffic with the frozen host is dropped (default: every other host; [] for none).',
      ),
  })
  .refine((o) => o.pids !== undefined || o.patterns !== undefined, {
    message: 'give pids, patterns or both',
  });
export type FreezeOptions = z.input<typeof freezeOptionsSchema>;

export interface FreezeExpect {
  tag: string;
  marker: string;
  rules: DropRule[];
}

/** Shell: "state starttime" of pid $p (the fields after the command name, which may hold spaces). */
const statOf = (fields: string) => `sed 's/.*) //' /proc/$p/stat 2>/dev/null | cut -d' ' -f${fields}`;

/** Shell: continues every process the marker (a shell word) lists that is still the same process. */
function continueMarked(marker: string): string {
  return [
    `if [ -f ${marker} ]; then`,
    '  while read -r p start; do',
    `    [ "$(${statOf('20')})" = "$start" ] && kill -CONT "$p" 2>/dev/null && echo "continued $p"`,
    `  done < ${marker}`,
    'fi',
  ].join('\n');
}

function plan(input: PlanInput, options: unknown, field = 'with'): HostStep<FreezeExpect>[] {
  const o = parseOptions(freezeOptionsSchema, options, field);
  const tag = faultTag(input);
  const marker = markerPath('freeze', input);
  // Patterns travel base64-encoded: in clear they would be in this script's own command line, and match it.
  const patterns = (o.patterns ?? []).map((p) => Buffer.from(p, 'utf8').toString('base64'));
  const find = [
    `pids=${JSON.stringify((o.pids ?? []).join(' '))}`,
    ...patterns.map(
      (b) => `pids="$pids $(pgrep --ns $$ --nslist net -f -- "$(echo ${b} | base64 -d)" || true)"`,
    ),
  ];
  const apply = [
    'set -e',
    OWN_SHELL_FN,
    `mkdir -p ${MARKER_DIR}`,
    ...find,
    // this session and its ancestors (sshd) stay running
    'keep=" 1 "; a=$$',
    `while [ -n "$a" ] && [ "$a" -gt 1 ]; do keep="$keep$a "; a=$(p=$a; ${statOf('2')}); done`,
    `: > ${marker}.new`,
    'for p in $pids; do',
    '  case "$keep" in *" $p "*) continue ;; esac',
    // faultline's own shells (the pool's idle ones included): stopping one would hang its next command
    '  ownshell "$p" && continue',
    `  start=$(${statOf('20')}) || continue`,
    `  [ -n "$start" ] && echo "$p $start" >> ${marker}.new`,
    'done',
    `sort -u -o ${marker}.new ${marker}.new`,
    `[ -s ${marker}.new ] || { rm -f ${marker}.new; echo "no process to freeze: none of the pids runs and no pattern matches" >&2; exit 3; }`,
    // journaled on the host before anything stops: a sweep continues them whatever happens next
    `mv ${marker}.new ${marker}`,
  ];
  const stop = [
    `while read -r p start; do kill -STOP "$p" 2>/dev/null || true; done < ${marker}`,
    `cat ${marker}`,
  ];
  return input.targets.map((host) => {
    const peerNames = o.peers ?? input.fleet.filter((h) => h.name !== host.name).map((h) => h.name);
    const peers = hostsByName(input.fleet, peerNames, `${field}.peers`).filter((h) => h.name !== host.name);
    if (o.peers?.includes(host.name))
      throw new InvalidOptionError(`${field}.peers`, `${host.name} is frozen itself; list its peers`);
    const rules = dropBoth(peers.map((p) => ipv4Of(p, `${field}.peers`)));
    const revert = sh(`${continueMarked(marker)}\n${deleteRules(tag, false, rules)}\nrm -f ${marker}\ntrue`);
    return {
      host,
      command: sh([...apply, ...(rules.length ? [insertRules(rules, tag)] : []), ...stop].join('\n')),
      record: {
        type: 'host.freeze',
        host: host.name,
        what: `SIGSTOP ${describe(o)}${peers.length ? `, drop traffic with ${peers.map((p) => p.name).join(', ')}` : ''} (${tag})`,
        command: revert,
      },
      expect: { tag, marker, rules },
    };
  });
}

function describe(o: z.output<typeof freezeOptionsSchema>): string {
  return [
    ...(o.pids ?? []).map((p) => `pid ${p}`),
    ...(o.patterns ?? []).map((p) => `processes matching ${JSON.stringify(p)}`),
  ].join(', ');
}

async function verify(exec: FleetExec, step: HostStep<FreezeExpect>): Promise<string> {
  const { marker } = step.expect;
  const script = `while read -r p start; do echo "$p $start $(${statOf('1,20')})"; done < ${marker}`;
  let states: string[][] = [];
  // a stop takes effect when the kernel next schedules the process: poll /proc until each shows it
  const stopped = await pollUntil(async () => {
    const { stdout } = await exec.exec(step.host, sh(script), { timeoutMs: 15_000 });
    states = lines(stdout).map((l) => l.split(' '));
    const same = states.filter(([, start, , now]) => now === start);
    return same.length > 0 && same.every(([, , state]) => state === 'T' || state === 't');
  }, 10_000);
  if (!stopped)
    throw new HostFaultError(
      'FLEET_FAULT_NOT_APPLIED',
      step.host.name,
      `not every process is stopped: ${states.map(([p, , s]) => `${p} ${s ?? 'gone'}`).join(', ') || 'none listed'}`,
    );
  const seen = [`stopped ${states.map(([p]) => p).join(', ')}`];
  if (step.expect.rules.length)
    seen.push(`${(await verifyRules(exec, step.host, step.expect.tag, step.expect.rules)).length} rules`);
  return seen.join('; ');
}

/** Sweep: continues the processes every freeze marker lists, and removes the markers. */
async function sweep(exec: FleetExec, host: Host): Promise<string[]> {
  const script = [
    `for m in ${MARKER_DIR}/freeze-*; do`,
    continueMarked('"$m"'),
    '  [ -f "$m" ] && rm -f "$m" && echo "marker $m"',
    'done',
    'true',
  ].join('\n');
  const { stdout } = await exec.exec(host, sh(script), { timeoutMs: 30_000 });
  return lines(stdout);
}

export const freeze: HostFault<typeof freezeOptionsSchema, FreezeExpect> = {
  name: 'host.freeze',
  options: freezeOptionsSchema,
  plan,
  apply: runStepCommand(30_000),
  verify,
  revert: revertRecord,
  sweep,
};
