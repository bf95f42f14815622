/**
 * `host.stress`: CPU and memory pressure with stress-ng for a duration. stress-ng runs under a wrapper shell
 * that leads its own session and process group and carries the tag `faultline-stress:<runId>:<faultId>` in its
 * command line (stress-ng renames its workers, so the tag cannot live in their argv): the revert finds the
 * wrapper by the tag and kills its whole group; a sweep kills every tagged group. Processes are looked for in the
 * host's own network namespace only (on the namespace test bed, hosts share one pid namespace).
 * stress-ng's own `--timeout` ends the stress even when nothing reverts it.
 */
import { z } from 'zod';
import { durationSchema, ms } from '../../experiment/duration.js';
import { shellQuote } from '../command-output.js';
import type { Host } from '../host.js';
import { parseSize, sizeSchema } from './disk-fill.js';
import {
  type FleetExec,
  faultTag,
  type HostFault,
  HostFaultError,
  type HostStep,
  lines,
  type PlanInput,
  parseOptions,
  pollUntil,
  revertRecord,
  runStepCommand,
  sh,
} from './types.js';

export const STRESS_TAG = 'faultline-stress';

export const stressOptionsSchema = z
  .strictObject({
    cpu: z.number().int().min(0).max(1024).optional().describe('CPU workers (0: one per CPU).'),
    cpuLoad: z.number().int().min(1).max(100).optional().describe('Percent load each CPU worker aims at.'),
    memory: sizeSchema.optional().describe('Bytes each memory worker keeps touching, e.g. 256MiB.'),
    vm: z
      .number()
      .int()
      .min(1)
      .max(64)
      .optional()
      .describe('Memory workers (default 1 when memory is given).'),
    duration: durationSchema.describe('How long stress-ng runs at most (its --timeout).'),
  })
  .refine((o) => o.cpu !== undefined || o.memory !== undefined, { message: 'give cpu, memory or both' })
  .refine((o) => o.vm === undefined || o.memory !== undefined, {
    message: 'vm goes with memory',
    path: ['vm'],
  });
export type StressOptions = z.input<typeof stressOptionsSchema>;

export interface StressExpect {
  /** pgrep pattern of the wrapper; the bracket keeps it from matching the shells that search for it. */
  pattern: string;
  /** CPU workers ('per-cpu': one per CPU of the host) and memory workers. */
  cpu: number | 'per-cpu';
  vm: number;
}

/** The pgrep -f pattern of a tag, not matching its own text. */
const patternOf = (tag: string) => `${STRESS_TAG}[:]${tag.slice('faultline:'.length).replace(/\./g, '\\.')}`;

/** Shell: the pids of tagged wrappers in this host's network namespace. */
const findWrappers = (pattern: string) => `pgrep --ns $$ --nslist net -f ${shellQuote(pattern)}`;

/**
 * Shell: kills each tagged group and waits (up to 5 s) until none of its processes is left but zombies, so a
 * revert that resolved means the stress is over.
 */
function killGroups(pattern: string): string {
  return [
    `groups=$(${findWrappers(pattern)} | tr '\\n' ' ')`,
    'for g in $groups; do kill -KILL "-$g" 2>/dev/null && echo "stress group $g"; done',
    'for _ in $(seq 50); do',
    `  left=$(ps -eo pgid=,stat= | awk -v gs=" $groups" 'index(gs, " " $1 " ") && $2 !~ /^Z/' | wc -l)`,
    '  [ "$left" -eq 0 ] && break',
    '  sleep 0.1',
    'done',
    'true',
  ].join('\n');
}

function plan(input: PlanInput, options: unknown, field = 'with'): HostStep<StressExpect>[] {
  const o = parseOptions(stressOptionsSchema, options, field);
  const tag = faultTag(input);
  const seconds = Math.max(1, Math.ceil(ms(o.duration, `${field}.duration`) / 1000));
  const vm = o.memory === undefined ? 0 : (o.vm ?? 1);
  const args = ['stress-ng'];
  if (o.cpu !== undefined) args.push('--cpu', String(o.cpu));
  if (o.cpuLoad !== undefined) args.push('--cpu-load', String(o.cpuLoad));
  if (o.memory !== undefined) args.push('--vm', String(vm), '--vm-bytes', String(parseSize(o.memory)));
  args.push('--timeout', `${seconds}s`, '--quiet');
  const ids = tag.slice('faultline:'.length);
  const wrapperTag = `${STRESS_TAG}:${ids}`;
  // The tag is put together by the shell ("$t:<ids>"): written out here it would be in this script's own
  // command line, which the check for a running wrapper would then find.
  const wrapper = `${args.join(' ')}; : $t:${ids}`;
  const pattern = patternOf(tag);
  const command = sh(
    [
      'command -v stress-ng >/dev/null || { echo "stress-ng is not installed" >&2; exit 127; }',
      `t=${STRESS_TAG}`,
      `if ${findWrappers(pattern)} >/dev/null; then echo "$t:${ids} already runs" >&2; exit 1; fi`,
      // its own session: not in the SSH session's process group, and the channel closes at once
      `setsid sh -c "${wrapper}" </dev/null >/dev/null 2>&1 &`,
    ].join('\n'),
  );
  const revert = sh(killGroups(pattern));
  return input.targets.map((host) => ({
    host,
    command,
    record: {
      type: 'host.stress',
      host: host.name,
      what: `${args.join(' ')} (${wrapperTag})`,
      command: revert,
    },
    expect: { pattern, cpu: o.cpu === 0 ? 'per-cpu' : (o.cpu ?? 0), vm },
  }));
}

/** Shell: "<group> <live stress-ng workers> <cpus>" for each tagged group. */
const census = (pattern: string) =>
  sh(
    [
      `for g in $(${findWrappers(pattern)}); do`,
      `  n=$(ps -eo pgid=,stat=,comm= | awk -v g="$g" '$1 == g && $2 !~ /^Z/ && $3 ~ /^stress-ng-/' | wc -l)`,
      '  echo "$g $n $(nproc)"',
      'done',
    ].join('\n'),
  );

async function verify(exec: FleetExec, step: HostStep<StressExpect>): Promise<string> {
  let seen = '';
  const running = await pollUntil(async () => {
    const { stdout } = await exec.exec(step.host, census(step.expect.pattern), { timeoutMs: 15_000 });
    const [group, workers, cpus] = (lines(stdout)[0] ?? '').split(' ').map(Number);
    if (group === undefined || workers === undefined || cpus === undefined) return false;
    const expected = (step.expect.cpu === 'per-cpu' ? cpus : step.expect.cpu) + step.expect.vm;
    seen = `stress-ng group ${group} with ${workers} workers`;
    return workers >= expected;
  }, 15_000);
  if (!running)
    throw new HostFaultError(
      'FLEET_FAULT_NOT_APPLIED',
      step.host.name,
      `stress-ng is not running with its workers (${seen || 'no tagged process'})`,
    );
  return seen;
}

/** Sweep: kills every tagged stress group in the host's network namespace. */
async function sweep(exec: FleetExec, host: Host): Promise<string[]> {
  const { stdout } = await exec.exec(host, sh(killGroups(`${STRESS_TAG}[:]`)), { timeoutMs: 30_000 });
  return lines(stdout);
}

export const stress: HostFault<typeof stressOptionsSchema, StressExpect> = {
  name: 'host.stress',
  options: stressOptionsSchema,
  plan,
  apply: runStepCommand(30_000),
  verify,
  revert: revertRecord,
  sweep,
};
