/**
 * Processes on a host, over SSH: find them (pid file, `pgrep -f` pattern or systemd unit), signal them and wait
 * until /proc on the host shows the effect, start a service again. Each operation is one POSIX shell script run
 * in one command, so a pause costs a round trip, not one per poll. Processes are named by pid *and* start time
 * (/proc/PID/stat field 22), so a pid reused by another process is never signalled.
 *
 * A `match` pattern reaches the host base64-encoded: the remote shell's own command line then does not contain
 * it, and `pgrep -f` cannot find the very shell that runs it.
 */

import { shellQuote } from './command-output.js';
import type { FleetConnections } from './connections.js';
import { SshError } from './errors.js';
import type { HostRef } from './host-ref.js';
import { OWN_SHELL_FN } from './shell.js';

/** How a service's processes are found on its host: exactly one of the three. */
export interface ProcessSelector {
  pidfile?: string;
  /** A pattern as `pgrep -f` takes it. */
  match?: string;
  /** A systemd unit: the processes of its cgroup (else its main pid). */
  systemd?: string;
}

/** One process on a host. */
export interface RemoteProcess {
  pid: number;
  /** /proc/PID/stat field 22: with the pid, names the process for good. */
  startTime: number;
  /** Its state letter (R, S, T, …) when listed. */
  state: string;
}

/**
 * Where a pause leaves a marker per stopped process, for `faultline recover --sweep`: one directory per host
 * ({@link pausedDirOf}), so a sweep of one host never continues what a pause left stopped for another host
 * that shares the filesystem (as the namespace test bed's hosts do, or hosts on one NFS /var/tmp).
 */
export const PAUSED_DIR = '/var/tmp/faultline-paused';

/** The directory of a host's pause markers: `/var/tmp/faultline-paused/<host name>`. */
export function pausedDirOf(host: string): string {
  return `${PAUSED_DIR}/${host.replace(/[^\w.@-]/g, '_')}`;
}

const POLL_MS = 50;

/** The selector in words, for messages: `pgrep -f 'etcd --name n1'`. */
export function describeSelector(s: ProcessSelector): string {
  if (s.pidfile !== undefined) return `pid file ${s.pidfile}`;
  if (s.match !== undefined) return `pgrep -f ${shellQuote(s.match)}`;
  return `systemd unit ${s.systemd}`;
}

/** Shell functions every script starts with. */
const PRELUDE = [
  OWN_SHELL_FN,
  // the state letter of process $1 if it is still the one started at $2 (else nothing)
  `stateof() { _st=$2; _s=$(cat /proc/$1/stat 2>/dev/null) || return 0; _s=\${_s##*) }; set -- $_s; [ "\${20}" = "$_st" ] && echo "$1"; return 0; }`,
].join('\n');

/** Where a unit's cgroup may be mounted, in the order looked at: v2, a hybrid host's v2, v1's systemd hierarchy. */
const CGROUP_ROOTS = ['/sys/fs/cgroup', '/sys/fs/cgroup/unified', '/sys/fs/cgroup/systemd'];

function selectionScript(s: ProcessSelector): string {
  if (s.pidfile !== undefined)
    return `[ -r ${shellQuote(s.pidfile)} ] && head -n1 ${shellQuote(s.pidfile)} | tr -dc '0-9'; echo`;
  if (s.match !== undefined) {
    const b64 = Buffer.from(s.match, 'utf8').toString('base64');
    return `_pat=$(echo '${b64}' | base64 -d); pgrep -f -- "$_pat" || true`;
  }
  const unit = shellQuote(s.systemd as string);
  return [
    `_cg=$(systemctl show -p ControlGroup --value -- ${unit} 2>/dev/null); _procs=`,
    // the unit's cgroup where the host mounts it: cgroup v2 (unified) at /sys/fs/cgroup, a hybrid host's v2 at
    // /sys/fs/cgroup/unified, a v1-only host's systemd hierarchy at /sys/fs/cgroup/systemd
    `case "$_cg" in (/?*) for _r in ${CGROUP_ROOTS.join(' ')}; do [ -r "$_r$_cg/cgroup.procs" ] && { _procs="$_r$_cg/cgroup.procs"; break; }; done;; esac`,
    `if [ -n "$_procs" ]; then cat "$_procs"`,
    `else _m=$(systemctl show -p MainPID --value -- ${unit} 2>/dev/null); [ "\${_m:-0}" != 0 ] && echo "$_m"; fi`,
  ].join('\n');
}

/**
 * A script printing `pid state starttime` per selected live process (zombies and faultline's own shells left
 * out: a pattern as broad as `sh` must not find the shell that runs it, or the pool's idle ones).
 */
function listBody(s: ProcessSelector): string {
  return [
    `_pids=$( { ${selectionScript(s)}\n} 2>/dev/null | tr -s ' \\n' '\\n\\n')`,
    'for _p in $_pids; do',
    '  ownshell $_p && continue',
    '  _s=$(cat /proc/$_p/stat 2>/dev/null) || continue',
    `  _s=\${_s##*) }; set -- $_s`,
    `  [ "$1" = Z ] || [ "$1" = X ] || echo "$_p $1 \${20}"`,
    'done',
  ].join('\n');
}

function parseList(stdout: string): RemoteProcess[] {
  const out: RemoteProcess[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^(\d+) (\S) (\d+)$/.exec(line.trim());
    if (m) out.push({ pid: Number(m[1]), state: m[2] as string, startTime: Number(m[3]) });
  }
  return out;
}

/** The live processes `selector` finds on the host (none: an empty list). */
export async function findProcesses(
  c: FleetConnections,
  host: HostRef,
  selector: ProcessSelector,
): Promise<RemoteProcess[]> {
  const r = await c.exec(host, `${PRELUDE}\n${listBody(selector)}`);
  return parseList(r.stdout);
}

/** The error text for a service instance with no live process on its host. */
export function noProcessMessage(host: HostRef, selector: ProcessSelector, instance: string): string {
  return `${host.name}: no process for ${describeSelector(selector)} (${instance})`;
}

/** The live processes of a service instance; rejects, naming host, selector and instance, when there are none. */
export async function findServiceProcesses(
  c: FleetConnections,
  host: HostRef,
  selector: ProcessSelector,
  instance: string,
): Promise<RemoteProcess[]> {
  const procs = await findProcesses(c, host, selector);
  if (procs.length === 0) throw new Error(noProcessMessage(host, selector, instance));
  return procs;
}

/** `pid:starttime` words for a script. */
const words = (procs: readonly { pid: number; startTime: number }[]) =>
  procs.map((p) => `${p.pid}:${p.startTime}`).join(' ');

/**
 * A loop that runs `check` (which sets `_left` to what is not there yet) until `_left` is empty, for at most
 * `timeoutMs`; then prints `left <what>` and exits 3.
 */
function waitLoop(check: string, timeoutMs: number): string {
  const rounds = Math.max(1, Math.ceil(timeoutMs / POLL_MS));
  return [
    '_i=0',
    'while :; do',
    `  _left=''; ${check}`,
    '  [ -z "$_left" ] && break',
    `  _i=$((_i+1)); [ $_i -ge ${rounds} ] && { echo "left$_left"; exit 3; }`,
    `  sleep ${POLL_MS / 1000}`,
    'done',
  ].join('\n');
}

const each = (procs: string, body: string) =>
  `for _t in ${procs}; do _p=\${_t%%:*}; _st=\${_t#*:}; ${body}; done`;

async function runLoop(
  c: FleetConnections,
  host: HostRef,
  script: string,
  timeoutMs: number,
): Promise<{ left: number[]; stdout: string }> {
  const r = await c.exec(host, `${PRELUDE}\n${script}`, { check: false, timeoutMs: timeoutMs + 15_000 });
  if (r.status === 0) return { left: [], stdout: r.stdout };
  const m = /^left((?: \d+)+)$/m.exec(r.stdout);
  if (r.status === 3 && m) return { left: (m[1] as string).trim().split(' ').map(Number), stdout: r.stdout };
  const why = r.stderr.trim().split('\n').slice(-2).join(' | ');
  throw new SshError(
    'FLEET_SSH_COMMAND_FAILED',
    host.name,
    `a process script exited ${r.status ?? `on ${r.signal}`}${why ? `: ${why}` : ''}`,
    { status: r.status },
  );
}

/**
 * Sends `signal` to each process still the one listed, then waits until each is gone (exited, a zombie, or its
 * pid taken by another); resolves with those still running after `timeoutMs`.
 */
export async function signalAndWaitGone(
  c: FleetConnections,
  host: HostRef,
  procs: readonly RemoteProcess[],
  signal: string,
  timeoutMs: number,
): Promise<number[]> {
  if (procs.length === 0) return [];
  const sig = signal.replace(/^SIG/, '');
  const list = words(procs);
  const script = [
    each(list, `[ -n "$(stateof $_p $_st)" ] && kill -s ${sig} $_p 2>/dev/null`),
    waitLoop(each(list, 'case "$(stateof $_p $_st)" in ""|Z|X) ;; *) _left="$_left $_p";; esac'), timeoutMs),
  ].join('\n');
  return (await runLoop(c, host, script, timeoutMs)).left;
}

/**
 * SIGSTOP to each process still the one listed — after writing its marker in the host's {@link pausedDirOf}
 * (`note` is its text) — then waits until each shows state T (or is gone). Resolves with the pids that did stop and those
 * still running after `timeoutMs`.
 */
export async function stopAndWait(
  c: FleetConnections,
  host: HostRef,
  procs: readonly RemoteProcess[],
  note: string,
  timeoutMs: number,
): Promise<{ stopped: number[]; left: number[] }> {
  const list = words(procs);
  const dir = shellQuote(pausedDirOf(host.name));
  const script = [
    `mkdir -p -m 700 ${PAUSED_DIR} ${dir} 2>/dev/null`,
    // markers only in directories of our own: a planted one must not make a sweep continue someone's process
    `[ -O ${PAUSED_DIR} ] && [ -O ${dir} ] && _mark=1 || _mark=0`,
    each(
      list,
      `[ -n "$(stateof $_p $_st)" ] || continue; [ $_mark = 1 ] && printf '%s\\n' ${shellQuote(note)} > ${dir}/$_p.$_st 2>/dev/null; kill -s STOP $_p 2>/dev/null`,
    ),
    waitLoop(
      each(list, 'case "$(stateof $_p $_st)" in ""|Z|X|T|t) ;; *) _left="$_left $_p";; esac'),
      timeoutMs,
    ),
    each(list, 'case "$(stateof $_p $_st)" in T|t) echo "stopped $_p";; esac'),
  ].join('\n');
  const r = await runLoop(c, host, script, timeoutMs);
  const stopped = [...r.stdout.matchAll(/^stopped (\d+)$/gm)].map((m) => Number(m[1]));
  return { stopped, left: r.left };
}

/**
 * SIGCONT to each process still the one listed, its marker removed; waits until none of them is stopped.
 * Resolves with those still stopped after `timeoutMs` (none: the pause is undone).
 */
export async function continueAndWait(
  c: FleetConnections,
  host: HostRef,
  procs: readonly { pid: number; startTime: number }[],
  timeoutMs: number,
): Promise<number[]> {
  if (procs.length === 0) return [];
  const list = words(procs);
  const script = [
    each(
      list,
      `[ -n "$(stateof $_p $_st)" ] && kill -s CONT $_p 2>/dev/null; rm -f ${shellQuote(pausedDirOf(host.name))}/$_p.$_st`,
    ),
    waitLoop(each(list, 'case "$(stateof $_p $_st)" in T|t) _left="$_left $_p";; esac'), timeoutMs),
  ].join('\n');
  return (await runLoop(c, host, script, timeoutMs)).left;
}

/**
 * Continues every process a marker in the host's own {@link pausedDirOf} names that is still the one marked
 * and stopped, and removes those markers (also those of processes gone since); another host's markers are left
 * alone. Resolves with the pids continued.
 */
export async function sweepPaused(c: FleetConnections, host: HostRef): Promise<number[]> {
  const dir = shellQuote(pausedDirOf(host.name));
  const script = [
    `[ -d ${dir} ] && [ -O ${PAUSED_DIR} ] && [ -O ${dir} ] || exit 0`,
    `for _f in ${dir}/*.*; do`,
    '  [ -f "$_f" ] || continue',
    `  _n=\${_f##*/}; _p=\${_n%%.*}; _st=\${_n#*.}`,
    '  case "$(stateof $_p $_st)" in T|t) kill -s CONT $_p 2>/dev/null && echo "continued $_p";; esac',
    '  rm -f "$_f"',
    'done',
    `rmdir ${dir} 2>/dev/null || true`,
  ].join('\n');
  const r = await c.exec(host, `${PRELUDE}\n${script}`);
  return [...r.stdout.matchAll(/^continued (\d+)$/gm)].map((m) => Number(m[1]));
}

/** The log a start command's output goes to on its host. */
export function startLogOf(instance: string): string {
  return `/tmp/faultline-start-${instance.replace(/[^\w.@-]/g, '_')}.log`;
}

/**
 * Runs a service's start command detached on its host (its own session, output to `log`), or `systemctl
 * <verb>` for a unit; then waits until the selector finds a process that is not one of `old`. Resolves with the
 * new processes; rejects naming the host when none shows within `timeoutMs`.
 */
export async function startAndWait(
  c: FleetConnections,
  host: HostRef,
  o: {
    selector: ProcessSelector;
    start?: string | undefined;
    systemdVerb?: 'start' | 'restart';
    old?: readonly RemoteProcess[];
    log: string;
    timeoutMs: number;
  },
): Promise<RemoteProcess[]> {
  let launch: string;
  if (o.start !== undefined)
    launch = `nohup setsid sh -c ${shellQuote(o.start)} >>${shellQuote(o.log)} 2>&1 </dev/null &`;
  else if (o.selector.systemd !== undefined)
    launch = `systemctl ${o.systemdVerb ?? 'start'} -- ${shellQuote(o.selector.systemd)}`;
  else
    throw new SshError(
      'FLEET_SSH_COMMAND_FAILED',
      host.name,
      `no way to start ${describeSelector(o.selector)} again: give the target a start command`,
    );
  await c.exec(host, launch, { timeoutMs: Math.max(o.timeoutMs, 30_000) });
  const old = new Set((o.old ?? []).map((p) => `${p.pid}:${p.startTime}`));
  const deadline = Date.now() + o.timeoutMs;
  // the host is another machine: there is no event to wait on, so the selector is polled
  for (;;) {
    const found = (await findProcesses(c, host, o.selector)).filter(
      (p) => !old.has(`${p.pid}:${p.startTime}`),
    );
    if (found.length > 0) return found;
    if (Date.now() >= deadline)
      throw new SshError(
        'FLEET_SSH_COMMAND_FAILED',
        host.name,
        `no process for ${describeSelector(o.selector)} within ${o.timeoutMs} ms of starting it${o.start === undefined ? '' : ` (its output: ${o.log})`}`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}
