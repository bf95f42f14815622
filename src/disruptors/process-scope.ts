/**
 * Which processes a process fault acts on (its `scope`), signalling them, and checking from /proc that the
 * signal had its effect before a fault counts as applied.
 *
 * - `pid`: the instance's process alone (the default for attached targets).
 * - `group`: its process group (the default for owned targets, which lead a group of their own): a wrapper
 *   (`sh -c`, `npm start`, a launcher) and the server it spawned get the signal together. The group is signalled
 *   with one kill(-pgid), which the kernel applies to every member at once, so a fork racing it cannot escape.
 * - `tree`: the process and its descendants, walked through /proc parent links. The tree is frozen first
 *   (SIGSTOP until a walk finds nothing new), so a child forked meanwhile is not missed, and killing a parent does
 *   not orphan its children out of the walk.
 *
 * A recorded process is named by pid and start time, so a pid reused by the time a revert (or `recover`) runs
 * is never signalled. A recorded group is signalled only with proof it is still the one recorded: its leader
 * runs with the recorded start time, or one of its members is a recorded process, or (an owned group whose
 * leader has exited) a member started after the leader and carries the instance's `FAULTLINE_INSTANCE`.
 */
import { constants } from 'node:os';
import type { z } from 'zod';
import { InvalidOptionError } from '../core/errors.js';
import type { processScopeSchema } from '../experiment/common.js';
import {
  environValue,
  hasProc,
  isGone,
  listProcesses,
  type ProcStat,
  readStat,
  requirePid,
  selfStat,
  send,
  signalDisposition,
  waitUntil,
} from './proc.js';
import type { DisruptorInstance, Json } from './types.js';

export type ProcessScope = z.output<typeof processScopeSchema>;

/** The scope a fault uses when its options name none: the group for owned instances, the pid for attached ones. */
export function defaultScope(instance: DisruptorInstance): ProcessScope {
  return instance.owned === true ? 'group' : 'pid';
}

/** How long a signal may take to show its effect in /proc before the fault counts as not applied. */
export const EFFECT_TIMEOUT_MS = 5000;
// another process's state has no event this process can wait on: /proc is polled, briefly
const POLL_MS = 2;

/** The processes a fault acts on, as found when it is injected. */
export interface ScopeTargets {
  scope: ProcessScope;
  /** The instance's pid. */
  pid: number;
  /** The group signalled (`group` scope). */
  pgid?: number;
  /** The group leader's start time, the proof a later revert checks (`group` scope, when known). */
  groupStart?: number;
  /** Live processes in scope (the instance's own process first when it runs). */
  members: ProcStat[];
}

/** A recorded process: `[pid, startTime]`. */
export type ProcessRef = [number, number];

export const refsOf = (members: readonly ProcStat[]): ProcessRef[] =>
  members.map((m) => [m.pid, m.startTime]);

function notRunning(pid: number, instance: DisruptorInstance): Error {
  return new Error(`process ${pid} (instance ${instance.id}) is not running`);
}

/** The live descendants of `roots` in `procs` (not the roots themselves). */
export function descendants(roots: Iterable<number>, procs: readonly ProcStat[]): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  for (const p of procs) {
    if (isGone(p.state)) continue;
    const list = children.get(p.ppid);
    if (list === undefined) children.set(p.ppid, [p]);
    else list.push(p);
  }
  const seen = new Set<number>(roots);
  const queue = [...seen];
  const out: ProcStat[] = [];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift() as number) ?? []) {
      if (seen.has(c.pid)) continue;
      seen.add(c.pid);
      out.push(c);
      queue.push(c.pid);
    }
  }
  return out;
}

/** What proves a recorded group is still the one recorded (see the module comment). */
export interface GroupProof {
  /** The group leader's start time when it was recorded. */
  leaderStart?: number | undefined;
  /** Processes recorded as members. */
  known?: readonly ProcessRef[] | undefined;
  /** An owned instance's id: its processes carry `FAULTLINE_INSTANCE=<id>`. */
  instance?: string | undefined;
}

/** The live members of group `pgid` when it is provably the recorded one; [] when it is not (or is empty). */
export function verifiedGroup(pgid: number, proof: GroupProof, procs = listProcesses()): ProcStat[] {
  const inGroup = procs.filter((p) => p.pgrp === pgid);
  const live = inGroup.filter((p) => !isGone(p.state));
  const leader = procs.find((p) => p.pid === pgid);
  let ours = false;
  if (proof.leaderStart !== undefined && leader !== undefined) {
    // a pid is not handed out again while a group of that number has members, so another process with the
    // leader's pid means the recorded group is gone and this one is someone else's
    if (leader.startTime !== proof.leaderStart) return [];
    ours = true; // running, or a zombie not yet reaped: its group is the recorded one
  }
  if (!ours && proof.known !== undefined) {
    const known = proof.known;
    ours = live.some((p) => known.some(([pid, start]) => pid === p.pid && start === p.startTime));
  }
  if (!ours && proof.instance !== undefined && proof.leaderStart !== undefined) {
    const after = proof.leaderStart;
    ours = live.some(
      (p) => p.startTime >= after && environValue(p.pid, 'FAULTLINE_INSTANCE') === proof.instance,
    );
  }
  return ours ? live : [];
}

/**
 * The processes `scope` names for `instance`, alive now. Rejects when none runs, and refuses a scope that would
 * reach faultline itself (an attached process in faultline's own group, or one faultline descends from).
 */
export function resolveScope(instance: DisruptorInstance, scope: ProcessScope): ScopeTargets {
  const pid = requirePid(instance.pid, instance.id);
  if (!hasProc()) {
    if (scope !== 'pid')
      throw new InvalidOptionError('with.scope', `scope ${scope} needs /proc (Linux); use scope: pid`);
    return { scope, pid, members: [] };
  }
  const self = selfStat();
  const st = readStat(pid);
  const alive = st !== undefined && !isGone(st.state);
  const own = alive ? [st] : [];
  if (scope === 'pid') {
    if (!alive) throw notRunning(pid, instance);
    return { scope, pid, members: own };
  }
  const procs = listProcesses();
  if (scope === 'tree') {
    if (!alive) throw notRunning(pid, instance);
    const members = [st, ...descendants([pid], procs)];
    if (self !== undefined && members.some((m) => m.pid === self.pid))
      throw new InvalidOptionError('with.scope', `faultline itself runs in the tree of process ${pid}`);
    return { scope, pid, members };
  }
  // group: an owned instance leads its group, which lives on when the leader exits before what it spawned
  const pgid = alive ? st.pgrp : instance.owned === true ? pid : undefined;
  if (pgid === undefined) throw notRunning(pid, instance);
  if (self !== undefined && pgid === self.pgrp)
    throw new InvalidOptionError(
      'with.scope',
      `process ${pid} is in faultline's own process group ${pgid}; use scope: pid or tree`,
    );
  let members: ProcStat[];
  let groupStart: number | undefined;
  if (instance.owned === true) {
    groupStart = instance.startTime ?? (alive ? st.startTime : undefined);
    members = verifiedGroup(pgid, { leaderStart: groupStart, instance: instance.id }, procs);
  } else {
    // attached: the group is the one the live process is in right now
    members = procs.filter((p) => p.pgrp === pgid && !isGone(p.state));
    const leader = procs.find((p) => p.pid === pgid);
    if (leader !== undefined) groupStart = leader.startTime;
  }
  if (members.length === 0) throw notRunning(pid, instance);
  members.sort((a, b) => (a.pid === pid ? -1 : b.pid === pid ? 1 : 0));
  return { scope, pid, pgid, ...(groupStart === undefined ? {} : { groupStart }), members };
}

/** Still the recorded process, and not a zombie. */
export function stillRuns(p: { pid: number; startTime: number }): boolean {
  const s = readStat(p.pid);
  return s !== undefined && s.startTime === p.startTime && !isGone(s.state);
}

const isStopped = (state: string) => state === 'T' || state === 't';

/** Gone, or stopped (SIGSTOP has taken effect). */
export function stoppedOrGone(p: { pid: number; startTime: number }): boolean {
  const s = readStat(p.pid);
  return s === undefined || s.startTime !== p.startTime || isGone(s.state) || isStopped(s.state);
}

/** Waits (bounded) until `done` holds for every process; the ones it does not hold for at the deadline. */
export async function waitForEach<P extends { pid: number; startTime: number }>(
  procs: readonly P[],
  done: (p: P) => boolean,
  timeoutMs = EFFECT_TIMEOUT_MS,
): Promise<P[]> {
  let left = [...procs];
  await waitUntil(
    () => {
      left = left.filter((p) => !done(p));
      return left.length === 0;
    },
    timeoutMs,
    POLL_MS,
  );
  return left;
}

/**
 * Stops a tree with SIGSTOP, walking it again after each round until a walk finds nothing new: a child forked
 * before its parent stopped shows up in the next walk. `beforeStop` is told every process found so far before
 * each round is stopped (to journal them). Resolves to every process stopped (the root first).
 */
export async function freezeTree(
  members: readonly ProcStat[],
  beforeStop?: (all: ProcStat[]) => void,
): Promise<ProcStat[]> {
  const frozen = new Map<number, ProcStat>();
  let fresh = [...members];
  // a tree that keeps forking faster than it can be stopped is bounded by the rounds, not waited on forever
  for (let round = 0; round < 50 && fresh.length > 0; round++) {
    beforeStop?.([...frozen.values(), ...fresh]);
    for (const p of fresh) {
      if (stillRuns(p) && send(p.pid, 'SIGSTOP')) frozen.set(p.pid, p);
    }
    await waitForEach([...frozen.values()], stoppedOrGone);
    fresh = descendants(frozen.keys(), listProcesses()).filter((p) => !frozen.has(p.pid));
  }
  return [...frozen.values()];
}

/** Sends `signal` to each process that is still the recorded one. */
export function sendEach(procs: readonly ProcStat[], signal: NodeJS.Signals): void {
  for (const p of procs) if (stillRuns(p)) send(p.pid, signal);
}

/**
 * Sends `signal` to the scope: the group at once, the tree frozen first (and continued after, so a catchable
 * signal is handled), the pid alone. Resolves to the processes that got it.
 */
export async function signalScope(t: ScopeTargets, signal: NodeJS.Signals): Promise<ProcStat[]> {
  if (t.scope === 'group') {
    send(-(t.pgid as number), signal);
    return t.members;
  }
  if (t.scope === 'tree') {
    const frozen = await freezeTree(t.members);
    sendEach(frozen, signal);
    if (signal !== 'SIGKILL' && signal !== 'SIGSTOP') sendEach(frozen, 'SIGCONT');
    return frozen;
  }
  send(t.pid, signal);
  return t.members;
}

/** Processes that take `signal`'s default action (termination), handle it, or ignore it. */
export function byDisposition(
  procs: readonly ProcStat[],
  signal: NodeJS.Signals,
): { terminate: ProcStat[]; handle: ProcStat[]; ignore: ProcStat[] } {
  const out = { terminate: [] as ProcStat[], handle: [] as ProcStat[], ignore: [] as ProcStat[] };
  const bit = 1n << BigInt((constants.signals[signal] as number) - 1);
  for (const p of procs) {
    const d = signal === 'SIGKILL' ? undefined : signalDisposition(p.pid);
    if (d !== undefined && (d.ignored & bit) !== 0n) out.ignore.push(p);
    else if (d !== undefined && (d.caught & bit) !== 0n) out.handle.push(p);
    else out.terminate.push(p);
  }
  return out;
}

/** JSON fields a revert record keeps about the scope. */
export function scopeRecord(t: ScopeTargets, members: readonly ProcStat[]): Record<string, Json> {
  return {
    scope: t.scope,
    members: refsOf(members),
    ...(t.pgid === undefined ? {} : { pgid: t.pgid }),
    ...(t.groupStart === undefined ? {} : { groupStart: t.groupStart }),
  };
}

/** The recorded processes in a record's `members` field (malformed entries are left out). */
export function recordedRefs(value: Json | undefined): ProcessRef[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((v) =>
    Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'number'
      ? [[v[0], v[1]] as ProcessRef]
      : [],
  );
}

export const pidList = (procs: readonly { pid: number }[]): number[] => procs.map((p) => p.pid);
