/**
 * The shape every host fault shares. A fault is planned first, purely: one step per host it touches, each with
 * the shell command that applies it and a revert record holding the exact command that undoes it. The engine
 * journals the records, then applies, then verifies (a fault counts as applied only once its effect is seen on
 * the host); the revert runs the recorded command alone, so `recover` can undo a fault from the journal after
 * the process that applied it died. Every revert command is idempotent, and a sweep undoes whatever faultline
 * left on a host without any record.
 */
import type { z } from 'zod';
import { FaultlineError, InvalidOptionError } from '../../core/errors.js';
import type { SeedInput } from '../../core/random.js';
import type { Json } from '../../disruptors/types.js';
import { shellQuote } from '../command-output.js';
import type { Host } from '../host.js';
import type { ExecOptions, ExecResult } from '../pool.js';

/** What the faults need of the SSH pool: `SshPool` is one. */
export interface FleetExec {
  exec(host: Host, command: string, options?: ExecOptions): Promise<ExecResult>;
}

/** How to undo one fault on one host: JSON, journaled before the fault is applied. */
export interface HostRevertRecord {
  /** The operation, e.g. `host.partition`. */
  readonly type: string;
  /** The host's inventory name. */
  readonly host: string;
  /** What the fault does there, for people reading the journal. */
  readonly what: string;
  /** The exact command that undoes it, run on the host as it is; idempotent. */
  readonly command: string;
  readonly [field: string]: Json;
}

/** What a plan is computed from. */
export interface PlanInput {
  /** Every host of the inventory: where peers are looked up by name. */
  fleet: readonly Host[];
  /** The hosts the fault acts on. */
  targets: readonly Host[];
  /** Names what faultline creates (rule comments, files, markers), so a revert touches only its own. */
  runId: string;
  /** Unique within the run. */
  faultId: string;
  /** The run's seed, for the random choices a fault makes (which hosts, which split). */
  seed?: SeedInput;
}

/** The fault on one host. */
export interface HostStep<E = unknown> {
  host: Host;
  /** The command that applies it; one round trip. */
  command: string;
  record: HostRevertRecord;
  /** What verify expects to see on the host. */
  expect: E;
}

export interface SweepOptions {
  /** Directories where disk-fill files may lie (besides those recorded in the host's marker files). */
  paths?: readonly string[];
}

/** Undoes whatever faultline left on a host, without a record; resolves with what it removed. */
export type FleetSweep = (exec: FleetExec, host: Host, options?: SweepOptions) => Promise<string[]>;

export interface HostFault<S extends z.ZodType = z.ZodType, E = unknown> {
  /** The disruptor type it becomes, e.g. `host.partition`. */
  readonly name: string;
  /** Its options; `plan` validates with it. */
  readonly options: S;
  /** Pure: validates the options and computes one step per host the fault touches. */
  plan(input: PlanInput, options: unknown, field?: string): HostStep<E>[];
  /** Runs a step's command; rejects when it failed. */
  apply(exec: FleetExec, step: HostStep<E>): Promise<void>;
  /** Resolves (with what was seen) once the step's effect shows on the host; rejects when it does not. */
  verify(exec: FleetExec, step: HostStep<E>): Promise<string>;
  /** Runs the record's command. Idempotent: twice, or after a sweep, is fine. */
  revert(exec: FleetExec, host: Host, record: HostRevertRecord): Promise<void>;
  sweep: FleetSweep;
}

/** Host-side files faultline keeps: which device it shaped, which pids it froze, where it filled a disk. */
export const MARKER_DIR = '/run/faultline';

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The iptables comment of a fault's rules, also the key of its marker files and process tags. */
export function faultTag(input: Pick<PlanInput, 'runId' | 'faultId'>, field = 'fault'): string {
  if (!ID_RE.test(input.runId))
    throw new InvalidOptionError(
      `${field}.runId`,
      `must be 1-64 letters, digits, '.', '_' or '-'; got ${JSON.stringify(input.runId)}`,
    );
  if (!ID_RE.test(input.faultId))
    throw new InvalidOptionError(
      `${field}.faultId`,
      `must be 1-64 letters, digits, '.', '_' or '-'; got ${JSON.stringify(input.faultId)}`,
    );
  return `faultline:${input.runId}:${input.faultId}`;
}

/** A marker file's path for a fault: `/run/faultline/<kind>-<runId>-<faultId>`. */
export function markerPath(kind: string, input: Pick<PlanInput, 'runId' | 'faultId'>): string {
  return `${MARKER_DIR}/${kind}-${input.runId}-${input.faultId}`;
}

/**
 * A script run by POSIX sh whatever the login shell is (zsh, say, splits words differently). Its own command
 * line then holds the script, so scripts that look for processes by pattern must not match themselves.
 */
export function sh(script: string): string {
  return `sh -c ${shellQuote(script)}`;
}

/** Options through a schema, the first problem as an InvalidOptionError naming the field. */
export function parseOptions<S extends z.ZodType>(schema: S, options: unknown, field: string): z.output<S> {
  const parsed = schema.safeParse(options ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidOptionError([field, ...issue.path.map(String)].join('.'), issue.message);
  }
  return parsed.data;
}

/** The fleet host of each name, or an InvalidOptionError naming the field and the unknown name. */
export function hostsByName(fleet: readonly Host[], names: readonly string[], field: string): Host[] {
  return names.map((name, i) => {
    const host = fleet.find((h) => h.name === name);
    if (!host)
      throw new InvalidOptionError(
        `${field}[${i}]`,
        `no host ${JSON.stringify(name)} in the inventory (hosts: ${fleet.map((h) => h.name).join(', ')})`,
      );
    return host;
  });
}

/** Runs a record's revert command on its host (the same for every operation: the command says it all). */
export async function revertRecord(exec: FleetExec, host: Host, record: HostRevertRecord): Promise<void> {
  if (record.host !== host.name)
    throw new InvalidOptionError('host', `the record is for ${record.host}, not ${host.name}`);
  await exec.exec(host, record.command, { timeoutMs: 30_000 });
}

/** A fault that did not take effect on a host: the message starts with the host's name. */
export class HostFaultError extends FaultlineError {
  readonly host: string;

  constructor(code: string, host: string, message: string, options?: { cause?: unknown }) {
    super(code, `${host}: ${message}`, { cause: options?.cause, exitCode: 1 });
    this.name = 'HostFaultError';
    this.host = host;
  }
}

/** Polls `check` until it resolves true or `timeoutMs` passes (a remote state has no event to wait on). */
export async function pollUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (performance.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Non-empty output lines. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

/** The `apply` of a fault whose step is its command alone: runs it, within `timeoutMs`. */
export function runStepCommand(timeoutMs: number): HostFault['apply'] {
  return async (exec, step) => {
    await exec.exec(step.host, step.command, { timeoutMs });
  };
}
