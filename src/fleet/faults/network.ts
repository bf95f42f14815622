/**
 * `host.network`: packet loss, added delay and a bandwidth limit on a host's traffic with chosen peers (and
 * ports). Loss is iptables (`-m statistic --mode random`, both directions, tagged like the partition's rules);
 * delay and bandwidth are tc on the device that routes to the peers, outgoing traffic only: an `htb` root qdisc
 * with handle fa17: whose class fa17:4 holds the shaping qdisc (fa18:, `tbf`, or `netem` for delay) and
 * receives, through u32 filters, only the packets for the chosen peers; htb sends unclassified packets on
 * directly (no default class), so the rest flows as before. (htb, not prio: it is the classful qdisc kernels
 * ship most often — the test bed's kernel has htb and tbf but neither prio nor netem.) The handle
 * marks the qdisc as faultline's; a marker file (/run/faultline/tc-<runId>-<faultId>) holding the device says
 * which fault made it, so a revert removes only its own and a sweep removes any fa17: root.
 *
 * Delay needs the kernel's netem qdisc, which not every kernel has; without it the fault fails with
 * FLEET_NETEM_UNAVAILABLE and leaves nothing behind.
 */
import { z } from 'zod';
import { InvalidOptionError } from '../../core/errors.js';
import { randomStream } from '../../core/random.js';
import { durationSchema, fraction, fractionSchema, ms } from '../../experiment/duration.js';
import { SshError } from '../errors.js';
import type { Host } from '../host.js';
import {
  type DropRule,
  deleteRules,
  dropBoth,
  insertRules,
  ipv4Of,
  isIpv4,
  verifyRules,
} from './iptables.js';
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
  revertRecord,
  sh,
} from './types.js';

/** The root qdisc handle that marks faultline's shaping (0xfa17: "fault"), and its shaping child. */
export const TC_ROOT = 'fa17:';
const TC_BAND = 'fa17:4';
const TC_CHILD = 'fa18:';

const BANDWIDTH_RE = /^\s*(\d+(?:\.\d+)?)\s*(bit|kbit|mbit|gbit|bps|kbps|mbps|gbps)\s*$/i;
const BANDWIDTH_UNITS: Record<string, number> = {
  bit: 1 / 8,
  kbit: 1000 / 8,
  mbit: 1e6 / 8,
  gbit: 1e9 / 8,
  bps: 1,
  kbps: 1000,
  mbps: 1e6,
  gbps: 1e9,
};

/** Bytes per second in a tc rate such as `1mbit` or `500kbps` (tc's units: bit for bits, bps for bytes). */
export function bandwidthBytes(text: string): number {
  const m = BANDWIDTH_RE.exec(text);
  return m ? Number(m[1]) * (BANDWIDTH_UNITS[(m[2] as string).toLowerCase()] ?? 0) : Number.NaN;
}

const lossSchema = z.union([
  fractionSchema,
  z.strictObject({ min: fractionSchema, max: fractionSchema }).describe('A seeded draw in [min, max].'),
]);

export const networkOptionsSchema = z
  .strictObject({
    peers: z
      .array(z.string().min(1))
      .optional()
      .describe(
        'Hosts (inventory names) or IPv4 addresses/CIDRs whose traffic is affected (default: every other host).',
      ),
    ports: z
      .array(z.number().int().min(1).max(65535))
      .min(1)
      .max(15)
      .optional()
      .describe("Only traffic with these ports of the peers (at most 15; iptables' multiport limit)."),
    protocol: z.enum(['tcp', 'udp']).default('tcp').describe('With ports: tcp (default) or udp.'),
    loss: lossSchema
      .optional()
      .describe('Drop this share of packets, both ways (iptables statistic): 30%, 0.3, or {min, max}.'),
    delay: durationSchema.optional().describe('Add this delay to outgoing packets (tc netem).'),
    jitter: durationSchema.optional().describe('With delay: vary it by up to this much.'),
    bandwidth: z
      .string()
      .regex(BANDWIDTH_RE, 'expected a tc rate such as 1mbit, 500kbit or 2mbps')
      .optional()
      .describe('Limit outgoing traffic to this rate (tc tbf, or netem with delay): 1mbit, 500kbit, 2mbps.'),
    device: z
      .string()
      .regex(/^[A-Za-z0-9._@-]{1,15}$/, 'expected an interface name')
      .optional()
      .describe('The interface to shape (default: the one that routes to the first peer).'),
  })
  .refine((o) => o.loss !== undefined || o.delay !== undefined || o.bandwidth !== undefined, {
    message: 'give at least one of loss, delay, bandwidth',
  })
  .refine((o) => o.jitter === undefined || o.delay !== undefined, {
    message: 'jitter goes with delay',
    path: ['jitter'],
  });
export type NetworkOptions = z.input<typeof networkOptionsSchema>;

export interface NetworkExpect {
  tag: string;
  marker: string;
  /** The iptables loss rules, when loss is asked for. */
  rules: DropRule[];
  /** The shaping qdisc's kind when delay or bandwidth is asked for. */
  qdisc?: 'netem' | 'tbf';
  filters: number;
}

/** The shaping qdisc: netem when delay is asked (it also limits the rate), else tbf. */
function shaper(delayMs: number | undefined, jitterMs: number | undefined, bandwidth?: string): string {
  if (delayMs !== undefined) {
    const jitter = jitterMs ? ` ${jitterMs}ms` : '';
    return `netem delay ${delayMs}ms${jitter}${bandwidth ? ` rate ${bandwidth}` : ''}`;
  }
  // burst: at least one timer tick's worth at 100 Hz, so the rate is reachable.
  const burst = Math.max(16_384, Math.ceil(bandwidthBytes(bandwidth as string) / 100));
  return `tbf rate ${bandwidth} burst ${burst} latency 200ms`;
}

function tcFilters(
  addresses: readonly string[],
  ports: readonly number[] | undefined,
  proto: string,
): string[] {
  const protoNumber = proto === 'udp' ? 17 : 6;
  const portMatches = ports?.length
    ? ports.map((p) => ` match ip protocol ${protoNumber} 0xff match ip dport ${p} 0xffff`)
    : [''];
  return addresses.flatMap((a) =>
    portMatches.map(
      (m) =>
        `tc filter add dev "$dev" parent ${TC_ROOT} protocol ip prio 1 u32 match ip dst ${a.includes('/') ? a : `${a}/32`}${m} flowid ${TC_BAND}`,
    ),
  );
}

/** Whether the device has faultline's root qdisc, as a shell condition. */
const hasRoot = (dev: string) => `tc qdisc show dev ${dev} 2>/dev/null | grep -q ' ${TC_ROOT} root'`;

function tcApply(
  marker: string,
  device: string | undefined,
  first: string,
  qdisc: string,
  filters: string[],
) {
  const route = first.replace(/\/.*/, '');
  return [
    'command -v tc >/dev/null || { echo "tc is not installed (iproute2)" >&2; exit 127; }',
    device ? `dev=${device}` : `dev=$(ip -o route get ${route} | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p')`,
    `[ -n "$dev" ] || { echo "no route to ${route}" >&2; exit 1; }`,
    `if ${hasRoot('"$dev"')}; then echo "$dev is already shaped by faultline: $(cat ${MARKER_DIR}/tc-* 2>/dev/null | tr '\\n' ' ')" >&2; exit 1; fi`,
    `mkdir -p ${MARKER_DIR}`,
    // the marker first: a revert after a crash right after the next line still finds the device
    `echo "$dev" > ${marker}`,
    `tc qdisc add dev "$dev" root handle ${TC_ROOT} htb`,
    `tc class add dev "$dev" parent ${TC_ROOT} classid ${TC_BAND} htb rate 100gbit`,
    `tc qdisc add dev "$dev" parent ${TC_BAND} handle ${TC_CHILD} ${qdisc} || { tc qdisc del dev "$dev" root; rm -f ${marker}; exit 3; }`,
    ...filters,
    'echo "dev $dev"',
  ].join('\n');
}

function tcRevert(marker: string): string {
  return [
    `if [ -f ${marker} ] && command -v tc >/dev/null; then`,
    `  dev=$(cat ${marker})`,
    `  if ${hasRoot('"$dev"')}; then tc qdisc del dev "$dev" root; fi`,
    'fi',
    `rm -f ${marker}`,
  ].join('\n');
}

function plan(input: PlanInput, options: unknown, field = 'with'): HostStep<NetworkExpect>[] {
  const o = parseOptions(networkOptionsSchema, options, field);
  const tag = faultTag(input);
  const marker = markerPath('tc', input);
  const random = randomStream(input.seed ?? 0).fork(`host.network/${input.faultId}`);
  const loss =
    o.loss === undefined
      ? undefined
      : typeof o.loss === 'object'
        ? drawLoss(fraction(o.loss.min), fraction(o.loss.max), random.at(0), `${field}.loss`)
        : fraction(o.loss);
  if (loss === 0) throw new InvalidOptionError(`${field}.loss`, 'must be more than 0%');
  const delayMs = o.delay === undefined ? undefined : Math.round(ms(o.delay, `${field}.delay`));
  const jitterMs = o.jitter === undefined ? undefined : Math.round(ms(o.jitter, `${field}.jitter`));
  const shaping = delayMs !== undefined || o.bandwidth !== undefined;
  const qdisc = shaping ? shaper(delayMs, jitterMs, o.bandwidth) : undefined;
  return input.targets.map((host) => {
    const addresses = peerAddresses(input, host, o.peers, `${field}.peers`);
    const rules =
      loss === undefined
        ? []
        : dropBoth(addresses, {
            probability: loss,
            // without ports, every protocol
            ...(o.ports ? { ports: o.ports, protocol: o.protocol } : {}),
          });
    const filters = shaping ? tcFilters(addresses, o.ports, o.protocol) : [];
    const revert = sh(
      rules.length ? `${tcRevert(marker)}\n${deleteRules(tag, false, rules)}` : tcRevert(marker),
    );
    const parts = ['set -e'];
    if (qdisc) parts.push(tcApply(marker, o.device, addresses[0] as string, qdisc, filters));
    if (rules.length) parts.push(insertRules(rules, tag));
    const effects = [
      loss === undefined ? '' : `lose ${Math.round(loss * 1e4) / 100}% of packets`,
      delayMs === undefined ? '' : `delay ${delayMs}ms${jitterMs ? `±${jitterMs}ms` : ''}`,
      o.bandwidth ? `limit to ${o.bandwidth}` : '',
    ].filter(Boolean);
    const portText = o.ports ? ` ports ${o.ports.join(',')}/${o.protocol}` : '';
    return {
      host,
      command: sh(parts.join('\n')),
      record: {
        type: 'host.network',
        host: host.name,
        what: `${effects.join(', ')} with ${addresses.join(', ')}${portText} (${tag})`,
        command: revert,
        ...(loss === undefined ? {} : { loss }),
      },
      expect: {
        tag,
        marker,
        rules,
        ...(qdisc ? { qdisc: qdisc.startsWith('netem') ? ('netem' as const) : ('tbf' as const) } : {}),
        filters: filters.length,
      },
    };
  });
}

function drawLoss(min: number, max: number, u: number, field: string): number {
  if (min > max) throw new InvalidOptionError(field, `min (${min}) is above max (${max})`);
  return Math.round((min + (max - min) * u) * 1e6) / 1e6;
}

/** The addresses a host's fault acts on: the named hosts' (itself left out) or the given IPv4s. */
function peerAddresses(input: PlanInput, self: Host, peers: string[] | undefined, field: string): string[] {
  const named = peers ?? input.fleet.filter((h) => h.name !== self.name).map((h) => h.name);
  const addresses = named.flatMap((p, i) => {
    if (isIpv4(p)) return [p];
    const [peer] = hostsByName(input.fleet, [p], field).map((h) => h);
    if (!peer) return [];
    return peer.name === self.name ? [] : [ipv4Of(peer, `${field}[${i}]`)];
  });
  if (addresses.length === 0)
    throw new InvalidOptionError(field, `${self.name} has no peer to act on (peers: ${named.join(', ')})`);
  return addresses;
}

async function apply(exec: FleetExec, step: HostStep<NetworkExpect>): Promise<void> {
  try {
    await exec.exec(step.host, step.command, { timeoutMs: 30_000 });
  } catch (err) {
    if (err instanceof SshError && /qdisc kind is unknown/.test(err.message) && step.expect.qdisc === 'netem')
      throw new HostFaultError(
        'FLEET_NETEM_UNAVAILABLE',
        step.host.name,
        "delay needs the kernel's netem qdisc (sch_netem), which this kernel does not have (tc: Specified qdisc kind is unknown); load it or use loss and bandwidth, which do not need it",
        { cause: err },
      );
    throw err;
  }
}

async function verify(exec: FleetExec, step: HostStep<NetworkExpect>): Promise<string> {
  const seen: string[] = [];
  const e = step.expect;
  if (e.rules.length) {
    const listed = await verifyRules(exec, step.host, e.tag, e.rules);
    seen.push(`${listed.length} loss rules`);
  }
  if (e.qdisc) {
    const script = [
      `dev=$(cat ${e.marker} 2>/dev/null) || { echo "no marker ${e.marker}" >&2; exit 1; }`,
      'echo "$dev"',
      'tc -j qdisc show dev "$dev"',
      'echo',
      `tc filter show dev "$dev" parent ${TC_ROOT} | grep -c 'flowid ${TC_BAND}' || true`,
    ].join('\n');
    const { stdout } = await exec.exec(step.host, sh(script), { timeoutMs: 15_000 });
    const [dev = '', json = '[]', count = '0'] = lines(stdout);
    const qdiscs = JSON.parse(json) as Array<{
      kind: string;
      handle: string;
      root?: boolean;
      parent?: string;
    }>;
    const root = qdiscs.find((q) => q.root && q.handle === TC_ROOT && q.kind === 'htb');
    const child = qdiscs.find((q) => q.handle === TC_CHILD && q.parent === TC_BAND && q.kind === e.qdisc);
    if (!root || !child || Number(count) !== e.filters)
      throw new HostFaultError(
        'FLEET_FAULT_NOT_APPLIED',
        step.host.name,
        `expected on ${dev} an htb ${TC_ROOT} root, a ${e.qdisc} ${TC_CHILD} under ${TC_BAND} and ${e.filters} filters; tc shows ${qdiscs.map((q) => `${q.kind} ${q.handle}`).join(', ')} and ${count} filters`,
      );
    seen.push(`${e.qdisc} on ${dev} with ${count} filters`);
  }
  return seen.join('; ');
}

/** Sweep: removes every faultline root qdisc (handle fa17:) and the tc marker files. */
async function sweepTc(exec: FleetExec, host: Host): Promise<string[]> {
  const script = [
    'command -v tc >/dev/null || exit 0',
    "for dev in $(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//'); do",
    `  if ${hasRoot('"$dev"')}; then tc qdisc del dev "$dev" root && echo "tc qdisc ${TC_ROOT} on $dev"; fi`,
    'done',
    `for m in ${MARKER_DIR}/tc-*; do [ -e "$m" ] && rm -f "$m" && echo "marker $m"; done; true`,
  ].join('\n');
  const { stdout } = await exec.exec(host, sh(script), { timeoutMs: 30_000 });
  return lines(stdout);
}

export const network: HostFault<typeof networkOptionsSchema, NetworkExpect> = {
  name: 'host.network',
  options: networkOptionsSchema,
  plan,
  apply,
  verify,
  revert: revertRecord,
  sweep: sweepTc,
};
