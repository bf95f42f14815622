/**
 * Target groups at run time: the processes an experiment starts and owns (`type: process`) or attaches to by pid
 * file (`type: attach`). An owned instance gets its ports (fixed base + index, or a free port), its command and
 * environment with placeholders expanded, a log file, and a process group of its own; it counts as started once
 * its readiness probe passes. Every start is journaled with a stop record before anything else can go wrong, so
 * `faultline recover` stops what a killed runner left running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FaultlineError } from '../core/errors.js';
import { ownedStopRecord, stopOwnedProcess } from '../disruptors/owned-process.js';
import { isSameProcess, processStartTime } from '../disruptors/proc.js';
import type { DisruptorInstance, RemoteService } from '../disruptors/types.js';
import type { FleetContext } from '../fleet/context.js';
import { SshError } from '../fleet/errors.js';
import { findProcesses, noProcessMessage } from '../fleet/remote-process.js';
import { type Clock, systemClock } from '../load/clock.js';
import { sampleOnce } from '../monitors/sampler.js';
import { monitorImplementations } from '../plugins/monitors/index.js';
import { hostNamesOf, instanceId } from './check.js';
import { type Duration, ms } from './duration.js';
import { freePort } from './free-port.js';
import type { Journal } from './journal.js';
import type { TargetSpec } from './schema.js';
import { expandDeep, type TemplateInstance, type TemplateTargets } from './templates.js';

/** One instance of a group. */
export interface TargetInstance extends TemplateInstance {
  /** The current process (changes on restart). */
  pid?: number;
  /** Whether its process is running (as far as exit events tell). */
  alive: boolean;
}

interface OwnedState {
  child: ChildProcess;
  exited: Promise<void>;
  startTime: number | undefined;
  journalId: string;
  stopping: boolean;
}

/** What groups share during a run. */
export interface TargetContext {
  journal: Journal;
  /** Where instance logs go (`<id>.log`). */
  logDir: string;
  /** Instances of the groups started so far, for `{{targets.…}}`. */
  started: TemplateTargets;
  clock?: Clock;
  /** Aborts waits for readiness. */
  signal?: AbortSignal;
  /** The run's hosts and SSH connections: needed by targets on hosts. */
  fleet?: FleetContext;
  /** Things worth telling the user (an instance exited, a restart). */
  onEvent?: (kind: string, message: string) => void;
  /**
   * An owned instance exited on its own (not stopped by the group). Called for every such exit; the caller
   * decides what it means — before the method, a system that lost a process after its ready check passed.
   */
  onExit?: (exit: InstanceExit) => void;
}

/** An owned instance that exited on its own, and where its output went. */
export interface InstanceExit {
  instance: string;
  pid: number;
  /** `with code 1`, `on SIGKILL`. */
  how: string;
  /** Its log file (`<logDir>/<instance>.log`). */
  log: string;
}

/** A shell is only used when the command needs one; a plain command line runs directly, so its pid is the program. */
const SHELL_META = /[^\w@%+=:,./\-\s]/;

function argvOf(command: string | string[]): string[] {
  if (Array.isArray(command)) return command;
  if (SHELL_META.test(command)) return ['/bin/sh', '-c', command];
  return command.trim().split(/\s+/);
}

const READY_POLL_MS = 100;

/** A group of instances. Create with {@link createTargetGroup}. */
export class TargetGroup {
  readonly name: string;
  readonly spec: TargetSpec;
  readonly instances: TargetInstance[];
  readonly #ctx: TargetContext;
  readonly #owned = new Map<number, OwnedState>();
  #starts = 0;

  constructor(name: string, spec: TargetSpec, instances: TargetInstance[], ctx: TargetContext) {
    this.name = name;
    this.spec = spec;
    this.instances = instances;
    this.#ctx = ctx;
  }

  get owned(): boolean {
    return this.spec.type === 'process';
  }

  /** The instance as disruptors see it. */
  disruptorInstance(index: number): DisruptorInstance {
    const i = this.instances[index] as TargetInstance;
    const startTime = this.#owned.get(index)?.startTime;
    const service = this.#serviceOf(i);
    return {
      id: i.id,
      ...(i.pid === undefined ? {} : { pid: i.pid }),
      ports: i.ports,
      ...(this.owned ? { owned: true } : {}),
      ...(startTime === undefined ? {} : { startTime }),
      ...(i.host === undefined ? {} : { host: i.host }),
      ...(service === undefined ? {} : { service }),
    };
  }

  /** A service instance's selector and start command, placeholders expanded for its host. */
  #serviceOf(inst: TargetInstance): RemoteService | undefined {
    const spec = this.spec;
    if (spec.type !== 'service') return undefined;
    const x = (v: string | undefined, field: string) =>
      v === undefined
        ? undefined
        : expandDeep(v, ['targets', this.name, field], { targets: this.#ctx.started, self: inst });
    const selector = {
      ...(spec.pidfile === undefined ? {} : { pidfile: x(spec.pidfile, 'pidfile') as string }),
      ...(spec.match === undefined ? {} : { match: x(spec.match, 'match') as string }),
      ...(spec.systemd === undefined ? {} : { systemd: x(spec.systemd, 'systemd') as string }),
    };
    const start = x(spec.start, 'start');
    return start === undefined ? { selector } : { selector, start };
  }

  /** Starts (or attaches to) every instance and waits until each is ready. */
  async start(): Promise<void> {
    if (this.spec.type === 'attach') {
      for (const inst of this.instances) await this.#waitReady(inst);
      return;
    }
    if (this.spec.type === 'service' || this.spec.type === 'host') {
      await this.#reachHosts();
      for (const inst of this.instances) await this.#waitReady(inst);
      return;
    }
    await Promise.all(
      this.instances.map(async (inst) => {
        this.#spawn(inst);
        await this.#waitReady(inst);
      }),
    );
  }

  /**
   * Starts an owned instance again (after a kill, or for `process.restart`); resolves once it is ready. Says
   * `target.restarted` only then: a process that was spawned but never got ready was not restarted, and one
   * whose wait was cut short because the run is stopping is said to be so. Rejects (and says nothing) when the
   * new process does not get ready: the caller reports that.
   */
  async restart(index: number): Promise<{ pid: number }> {
    const inst = this.instances[index] as TargetInstance;
    if (this.spec.type !== 'process')
      throw new FaultlineError('FAULTLINE_NOT_OWNED', `${inst.id} was not started by faultline`);
    await this.#stopInstance(index);
    this.#spawn(inst);
    const pid = inst.pid as number;
    try {
      await this.#waitReady(inst);
    } catch (err) {
      if (!(err instanceof FaultlineError && err.code === 'FAULTLINE_ABORTED')) throw err;
      this.#ctx.onEvent?.(
        'target.restarted',
        `${inst.id} started again (pid ${pid}); not waited for until ready: the run is stopping`,
      );
      return { pid };
    }
    this.#ctx.onEvent?.('target.restarted', `${inst.id} restarted (pid ${pid}) and ready`);
    return { pid };
  }

  /**
   * Every host answers (and, for a service, has the service's process): else the run is not ready, and the
   * message names each host that failed and why, all at once.
   */
  async #reachHosts(): Promise<void> {
    const fleet = this.#ctx.fleet as FleetContext;
    const problems = await Promise.all(
      this.instances.map(async (inst): Promise<string | undefined> => {
        const host = inst.host?.name as string;
        try {
          const service = this.#serviceOf(inst);
          if (service === undefined) {
            await fleet.exec(host, 'true');
            return undefined;
          }
          const found = await findProcesses(fleet.connections, fleet.ref(host), service.selector);
          if (found.length === 0) return noProcessMessage(fleet.ref(host), service.selector, inst.id);
          inst.alive = true;
          return undefined;
        } catch (err) {
          if (err instanceof SshError) return err.message;
          throw err;
        }
      }),
    );
    const failed = problems.filter((p): p is string => p !== undefined);
    if (failed.length > 0)
      throw new FaultlineError('FAULTLINE_TARGET_NOT_READY', `targets.${this.name}: ${failed.join('; ')}`);
  }

  /** Stops every owned instance, last first; attached processes are left alone. */
  async stop(): Promise<void> {
    for (let i = this.instances.length - 1; i >= 0; i--) await this.#stopInstance(i);
  }

  async #stopInstance(index: number): Promise<void> {
    const state = this.#owned.get(index);
    if (state === undefined || this.spec.type !== 'process') return;
    const inst = this.instances[index] as TargetInstance;
    state.stopping = true;
    // also when the leader is gone: a wrapper (`sh -c`, `npm start`) may have exited and left its server running
    await stopOwnedProcess(
      state.child.pid as number,
      {
        signal: this.spec.stop_signal,
        timeoutMs: ms(this.spec.stop_timeout, 'stop_timeout'),
        group: true,
        startTime: state.startTime,
        instance: inst.id,
      },
      inst.alive ? state.exited : undefined,
    );
    await state.exited;
    this.#ctx.journal.append({ event: 'target.stopped', id: state.journalId, instance: inst.id });
    this.#owned.delete(index);
  }

  #logOf(inst: TargetInstance): string {
    return join(this.#ctx.logDir, `${inst.id}.log`);
  }

  #spawn(inst: TargetInstance): void {
    const spec = this.spec;
    if (spec.type !== 'process') return;
    const path = ['targets', this.name];
    const expand = <T>(v: T, field: string) =>
      expandDeep(v, [...path, field], { targets: this.#ctx.started, self: inst });
    const argv = argvOf(expand(spec.command, 'command'));
    const env: NodeJS.ProcessEnv = { ...process.env, ...expand(spec.env ?? {}, 'env') };
    env.FAULTLINE_INSTANCE = inst.id;
    for (const [name, port] of Object.entries(inst.ports))
      env[`FAULTLINE_PORT_${name.toUpperCase().replace(/\W/g, '_')}`] = String(port);
    mkdirSync(this.#ctx.logDir, { recursive: true });
    const log = openSync(this.#logOf(inst), 'a');
    let child: ChildProcess;
    try {
      child = spawn(argv[0] as string, argv.slice(1), {
        cwd: spec.cwd === undefined ? undefined : expand(spec.cwd, 'cwd'),
        env,
        stdio: ['ignore', log, log],
        // a group of its own: stopping reaches what the command spawned, and a Ctrl-C meant for the runner
        // does not kill the system under test before the runner has rolled back
        detached: true,
      });
    } finally {
      closeSync(log);
    }
    if (child.pid === undefined) {
      throw new FaultlineError(
        'FAULTLINE_TARGET_START',
        `${path.join('.')}.command: cannot start ${JSON.stringify(argv[0])} for ${inst.id}`,
      );
    }
    const pid = child.pid;
    inst.pid = pid;
    inst.alive = true;
    const journalId = `target:${inst.id}:${++this.#starts}`;
    const timeoutMs = ms(spec.stop_timeout, 'stop_timeout');
    this.#ctx.journal.append({
      event: 'target.started',
      id: journalId,
      target: this.name,
      instance: inst.id,
      pid,
      revert: ownedStopRecord(pid, { signal: spec.stop_signal, timeoutMs, group: true, instance: inst.id }),
    });
    const state: OwnedState = {
      child,
      startTime: processStartTime(pid),
      journalId,
      stopping: false,
      exited: new Promise<void>((resolve) => {
        child.on('exit', (code, signal) => {
          if (inst.pid === pid) inst.alive = false;
          if (!state.stopping) {
            const how = signal ? `on ${signal}` : `with code ${code}`;
            this.#ctx.onEvent?.('target.exited', `${inst.id} (pid ${pid}) exited ${how}`);
            this.#ctx.onExit?.({ instance: inst.id, pid, how, log: this.#logOf(inst) });
          }
          resolve();
        });
      }),
    };
    child.on('error', () => {}); // reported through exit; spawn errors surface as ENOENT exits
    this.#owned.set(inst.index, state);
  }

  async #waitReady(inst: TargetInstance): Promise<void> {
    const spec = this.spec;
    const clock = this.#ctx.clock ?? systemClock;
    if (spec.ready === undefined) return;
    const probeSpec = expandDeep(
      spec.ready as typeof spec.ready & { within: Duration },
      ['targets', this.name, 'ready'],
      {
        targets: this.#ctx.started,
        self: inst,
      },
    );
    const monitor = monitorImplementations.create(probeSpec as unknown as { type: string }, {
      ...(this.#ctx.fleet === undefined ? {} : { fleet: this.#ctx.fleet }),
      ...(inst.host === undefined ? {} : { hosts: [inst.host.name] }),
    });
    const withinMs = ms(probeSpec.within, 'within');
    const timeoutMs = ms(probeSpec.timeout, 'timeout');
    const deadline = clock.nowMs() + withinMs;
    const stop = this.#ctx.signal ?? new AbortController().signal;
    let last = 'no sample yet';
    try {
      for (;;) {
        if (stop.aborted)
          throw new FaultlineError('FAULTLINE_ABORTED', `stopped while waiting for ${inst.id}`);
        if (!inst.alive && this.owned) {
          throw new FaultlineError(
            'FAULTLINE_TARGET_START',
            `${inst.id} exited before it was ready (see its log: ${this.#logOf(inst)})`,
          );
        }
        if (inst.pid !== undefined && !this.owned && !isSameProcess(inst.pid))
          throw new FaultlineError(
            'FAULTLINE_TARGET_START',
            `${inst.id}: process ${inst.pid} is not running`,
          );
        const { sample, settled } = await sampleOnce(monitor, timeoutMs, clock, stop);
        await settled;
        if (sample?.ok) return;
        last = sample?.error ?? sample?.detail ?? 'down';
        if (clock.nowMs() >= deadline) {
          throw new FaultlineError(
            'FAULTLINE_TARGET_NOT_READY',
            `${inst.id} not ready within ${probeSpec.within}: ${last}`,
          );
        }
        await new Promise((r) => setTimeout(r, READY_POLL_MS));
      }
    } finally {
      await monitor.close?.();
    }
  }
}

function readPidFile(file: string, field: string): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new FaultlineError(
      'FAULTLINE_TARGET_START',
      `${field}: cannot read ${file}: ${(err as Error).message}`,
    );
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0)
    throw new FaultlineError('FAULTLINE_TARGET_START', `${field}: ${file} does not hold a process id`);
  if (!isSameProcess(pid))
    throw new FaultlineError(
      'FAULTLINE_TARGET_START',
      `${field}: process ${pid} (from ${file}) is not running`,
    );
  return pid;
}

/**
 * Resolves a group's instances (ports, pids); {@link TargetGroup.start} starts them. Two steps so the caller
 * holds the group — and can stop what did start — when starting fails half way.
 */
export async function createTargetGroup(
  name: string,
  spec: TargetSpec,
  ctx: TargetContext,
): Promise<TargetGroup> {
  const instances: TargetInstance[] = [];
  if (spec.type === 'service' || spec.type === 'host') {
    const fleet = ctx.fleet;
    if (fleet === undefined)
      throw new FaultlineError(
        'FAULTLINE_TARGET_START',
        `targets.${name}: a target on hosts needs the run's hosts`,
      );
    hostNamesOf(spec).forEach((host, index) => {
      instances.push({
        id: instanceId(name, spec, index),
        index,
        ports: {},
        alive: true,
        host: fleet.ref(host),
      });
    });
  } else if (spec.type === 'attach') {
    spec.pid_files.forEach((file, index) => {
      const pid = readPidFile(file, `targets.${name}.pid_files[${index}]`);
      instances.push({ id: `${name}-${index}`, index, pid, ports: {}, alive: true });
    });
  } else {
    for (let index = 0; index < spec.count; index++) {
      const ports: Record<string, number> = {};
      for (const [port, base] of Object.entries(spec.ports ?? {}))
        ports[port] = base === 0 ? await freePort() : base + index;
      instances.push({ id: `${name}-${index}`, index, ports, alive: false });
    }
  }
  return new TargetGroup(name, spec, instances, ctx);
}
