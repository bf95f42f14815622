/**
 * iptables rules as the partition, network-loss and freeze faults write them: DROP rules inserted at the top of
 * INPUT and OUTPUT, each carrying `-m comment --comment "faultline:<runId>:<faultId>"`. The comment is what
 * finds them again: a revert deletes the rules with its own comment, a sweep every rule whose comment starts with
 * `faultline:`, and verify lists them with `iptables -S`. IPv4 only.
 */
import { InvalidOptionError } from '../../core/errors.js';
import { shellQuote } from '../command-output.js';
import type { Host } from '../host.js';
import { type FleetExec, HostFaultError, lines, sh } from './types.js';

/** One DROP rule, for traffic with `address` (and, optionally, only some ports / a share of packets). */
export interface DropRule {
  chain: 'INPUT' | 'OUTPUT';
  /** An IPv4 address or CIDR: the source for INPUT, the destination for OUTPUT. */
  address?: string;
  protocol?: 'tcp' | 'udp';
  /** The peer's ports: destination ports on OUTPUT, source ports on INPUT. */
  ports?: readonly number[];
  /** Drop each packet with this probability (`-m statistic --mode random`); absent: every packet. */
  probability?: number;
}

const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(\/(\d|[12]\d|3[0-2]))?$/;

export function isIpv4(text: string): boolean {
  const m = IPV4_RE.exec(text);
  return m !== null && [1, 2, 3, 4].every((i) => Number(m[i]) <= 255);
}

/** A host's address as iptables needs it: IPv4 (names would be resolved once, when the rule is added). */
export function ipv4Of(host: Host, field: string): string {
  if (!isIpv4(host.address))
    throw new InvalidOptionError(
      field,
      `${host.name}'s address ${JSON.stringify(host.address)} is not an IPv4 address; network faults need one (ansible_host)`,
    );
  return host.address;
}

/** Rules against each peer in both directions. */
export function dropBoth(
  addresses: readonly string[],
  extra: Omit<DropRule, 'chain' | 'address'> = {},
): DropRule[] {
  return addresses.flatMap((address) => [
    { chain: 'INPUT' as const, address, ...extra },
    { chain: 'OUTPUT' as const, address, ...extra },
  ]);
}

/** The iptables arguments of a rule, without the chain operation. */
function ruleArgs(rule: DropRule, tag: string): string {
  const parts: string[] = [];
  if (rule.address) parts.push(rule.chain === 'INPUT' ? '-s' : '-d', rule.address);
  if (rule.ports?.length) {
    parts.push('-p', rule.protocol ?? 'tcp', '-m', 'multiport');
    parts.push(rule.chain === 'INPUT' ? '--sports' : '--dports', rule.ports.join(','));
  } else if (rule.protocol) parts.push('-p', rule.protocol);
  if (rule.probability !== undefined && rule.probability < 1)
    parts.push('-m', 'statistic', '--mode', 'random', '--probability', String(rule.probability));
  parts.push('-m', 'comment', '--comment', `"${tag}"`, '-j', 'DROP');
  return parts.join(' ');
}

/**
 * Shell lines inserting the rules (at the top, so they win over any ACCEPT), all through one
 * `iptables-restore --noflush`: one process and one ruleset update however many rules there are.
 */
export function insertRules(rules: readonly DropRule[], tag: string): string {
  return [
    'command -v iptables-restore >/dev/null || { echo "iptables is not installed" >&2; exit 127; }',
    "iptables-restore -w --noflush <<'FAULTLINE_RULES'",
    '*filter',
    ...rules.map((r) => `-I ${r.chain} ${ruleArgs(r, tag)}`),
    'COMMIT',
    'FAULTLINE_RULES',
  ].join('\n');
}

/** An extended regex matching the comment of exactly `tag`, or any tag starting with it when `prefix`. */
function commentRe(tag: string, prefix: boolean): string {
  const escaped = tag.replace(/[.]/g, '\\.');
  return `--comment "?${escaped}${prefix ? '[^" ]*' : ''}"?( |$)`;
}

/**
 * Shell lines deleting the rules with the tag (every `faultline:` rule when `prefix`), printing each deleted
 * rule. Idempotent: with none listed it does nothing. Given the rules the fault inserted, it deletes those at
 * once (one `iptables-restore`, all or none); otherwise, or when that fails (some are gone already), it reads
 * the rules back from `iptables -S` — so a rule added by any version of faultline (or by hand, with the
 * comment) is found — and deletes what it lists, one `iptables-restore` again (one by one should that fail,
 * say when another revert took some first).
 */
export function deleteRules(tag: string, prefix = false, known: readonly DropRule[] = []): string {
  const scan = [
    `rules=$(iptables -w -S | sed -n -E '/${commentRe(tag, prefix)}/s/^-A /-D /p')`,
    'if [ -z "$rules" ]; then :',
    `elif printf '*filter\\n%s\\nCOMMIT\\n' "$rules" | iptables-restore -w --noflush 2>/dev/null; then`,
    `  printf '%s\\n' "$rules" | sed 's/^/iptables /'`,
    'else',
    `  printf '%s\\n' "$rules" | while IFS= read -r rule; do eval "iptables -w $rule" && echo "iptables $rule"; done`,
    'fi',
  ];
  const deletes = known.map((r) => `-D ${r.chain} ${ruleArgs(r, tag)}`);
  const body =
    deletes.length === 0
      ? scan
      : [
          "if iptables-restore -w --noflush 2>/dev/null <<'FAULTLINE_RULES'",
          '*filter',
          ...deletes,
          'COMMIT',
          'FAULTLINE_RULES',
          'then',
          ...deletes.map((d) => `echo ${shellQuote(`iptables ${d}`)}`),
          'else',
          ...scan,
          'fi',
        ];
  // not indented: a here-document's lines are read as they are
  return ['if command -v iptables >/dev/null; then', ...body, 'fi'].join('\n');
}

/** The `iptables -S` lines carrying the tag (every faultline rule when `prefix`). */
export async function listRules(exec: FleetExec, host: Host, tag: string, prefix = false): Promise<string[]> {
  const { stdout } = await exec.exec(host, 'iptables -w -S', { timeoutMs: 15_000 });
  const re = new RegExp(commentRe(tag, prefix));
  return lines(stdout).filter((l) => re.test(l));
}

/** Checks that every rule is listed with the tag, and no other with it; resolves with the listed rules. */
export async function verifyRules(
  exec: FleetExec,
  host: Host,
  tag: string,
  rules: readonly DropRule[],
): Promise<string[]> {
  const listed = await listRules(exec, host, tag);
  const missing = rules.filter(
    (r) =>
      !listed.some(
        (l) =>
          l.startsWith(`-A ${r.chain} `) &&
          (!r.address || l.includes(` ${r.chain === 'INPUT' ? '-s' : '-d'} ${withMask(r.address)} `)),
      ),
  );
  if (missing.length > 0 || listed.length !== rules.length)
    throw new HostFaultError(
      'FLEET_FAULT_NOT_APPLIED',
      host.name,
      `expected ${rules.length} iptables rules tagged ${tag}, listed ${listed.length}` +
        (missing.length ? `; missing ${missing.map((r) => `${r.chain} ${r.address ?? ''}`).join(', ')}` : ''),
    );
  return listed;
}

const withMask = (address: string) => (address.includes('/') ? address : `${address}/32`);

/** Sweep: deletes every faultline rule on the host. */
export async function sweepRules(exec: FleetExec, host: Host): Promise<string[]> {
  const { stdout } = await exec.exec(host, sh(deleteRules('faultline:', true)), { timeoutMs: 30_000 });
  return lines(stdout);
}
