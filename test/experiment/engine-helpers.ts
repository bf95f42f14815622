/**
 * Helpers for engine tests: run an experiment file in-process (the library path the CLI is a shell over), and
 * read what a run left behind (journal, processes).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJournal } from '../../src/disruptors/index.js';
import { isSameProcess, processState } from '../../src/disruptors/proc.js';
import {
  type RunExperimentOptions,
  type RunExperimentResult,
  runExperiment,
} from '../../src/experiment/engine.js';
import { validateExperimentFile } from '../../src/experiment/validate.js';
import { LATENCY_PERCENTILES } from '../../src/kpi/measure.js';
import { LAG_WARNING } from '../../src/load/lag.js';
import type { ProxyServer } from '../../src/proxy/index.js';
import { startFailpointService, startProxyWithDb, startSleeper, stopAll } from '../disruptors/helpers.js';

const temporary: string[] = [];
process.once('exit', () => {
  for (const d of temporary) rmSync(d, { recursive: true, force: true });
});

/**
 * A fresh temporary directory, removed when the test process exits: every run writes a journal, a result and
 * a state directory, and a suite of hundreds of runs must not leave them behind.
 */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `faultline-${prefix}-`));
  temporary.push(dir);
  return dir;
}

/** Validates `file` (with `set`) and runs it in-process. The halt directory is private to the test. */
export async function runFile(
  file: string,
  options: RunExperimentOptions & { set?: Record<string, string> } = {},
): Promise<RunExperimentResult> {
  const v = validateExperimentFile(file, { set: options.set ?? {}, env: process.env });
  if (!v.ok) throw new Error(v.errors.map((e) => `${e.field}: ${e.message}`).join('\n'));
  return runExperiment(v.spec, {
    file,
    report: false,
    stateDir: tempDir('state'),
    outDir: tempDir('run'),
    ...options,
  });
}

/** What a starved load generator distorts: latencies, and the recovery judged on them. Error rates it does not. */
const LATENCY_KPIS = new Set([...Object.keys(LATENCY_PERCENTILES), 'max', 'time_to_recover']);

/** The parts of a result (the library's or result.json's) that {@link lagExcused} reads. */
export interface JudgedResult {
  verdict: string;
  reason?: string | undefined;
  warnings?: readonly string[] | undefined;
  assertions: readonly { kpi?: string; passed: boolean }[];
  steadyState?: { after?: { ok: boolean } | undefined };
}

/**
 * Whether a fail of a run against a sound system is the machine's, as the run itself says: it flagged its own load
 * generator ("could not keep up: latencies are not the system's", beside a CPU hog) and every assertion it broke
 * is a latency one. Errors, availability, the steady state and reverts are never excused.
 */
export function lagExcused(r: JudgedResult): boolean {
  const broken = r.assertions.filter((a) => !a.passed);
  return (
    r.verdict === 'fail' &&
    (r.warnings ?? []).some((w) => w.startsWith(LAG_WARNING)) &&
    broken.length > 0 &&
    broken.every((a) => a.kpi !== undefined && LATENCY_KPIS.has(a.kpi)) &&
    r.steadyState?.after?.ok !== false &&
    !/REVERT FAILED/.test(r.reason ?? '')
  );
}

/** The verdict a sound system gets: pass, or a fail the run blames on its own starved load generator. */
export function assertSoundVerdict(r: JudgedResult, message = r.reason ?? ''): void {
  if (r.verdict !== 'pass') assert.ok(lagExcused(r), `${r.verdict}: ${message}`);
}

/** Pids of every instance a journal says was started. */
export function startedPids(journalPath: string): number[] {
  return readJournal(journalPath).flatMap((e) => (e.event === 'target.started' ? [e.pid] : []));
}

/** Asserts no process a run started is still alive (they are stopped before the run resolves). */
export function assertAllStopped(journalPath: string): void {
  for (const pid of startedPids(journalPath))
    assert.equal(isSameProcess(pid), false, `pid ${pid} still runs`);
}

/** Asserts every fault the journal shows applied was reverted. */
export function assertAllReverted(journalPath: string): void {
  const events = readJournal(journalPath);
  const applied = new Set(events.flatMap((e) => (e.event === 'fault.applying' ? [e.id] : [])));
  const reverted = new Set(events.flatMap((e) => (e.event === 'fault.reverted' ? [e.id] : [])));
  assert.ok(applied.size > 0, 'some fault was applied');
  assert.deepEqual(
    [...applied].filter((id) => !reverted.has(id)),
    [],
    'every applied fault was reverted',
  );
}

/** True when `pid` is stopped (SIGSTOP). */
export function isPaused(pid: number): boolean {
  return processState(pid) === 'T';
}

/**
 * The most instances of each target that had a fault at the same time, replayed from the journal: an instance
 * counts from its `fault.applying` line (written before the fault takes effect) to its `fault.reverted` line
 * (written after it is undone), so this bounds what really happened from above.
 */
export function peakFromJournal(journalPath: string): Record<string, number> {
  const events = readJournal(journalPath);
  const byId = new Map<string, string>();
  const active = new Map<string, Map<string, number>>(); // target → instance → active faults
  const peak: Record<string, number> = {};
  for (const e of events) {
    if (e.event === 'fault.applying') {
      // a fault may be journaled again before it takes effect (its processes, once known): count it once
      if (byId.has(e.id)) continue;
      const target = e.instance.replace(/-\d+$/, '');
      byId.set(e.id, e.instance);
      const m = active.get(target) ?? new Map<string, number>();
      active.set(target, m);
      m.set(e.instance, (m.get(e.instance) ?? 0) + 1);
      peak[target] = Math.max(peak[target] ?? 0, m.size);
    } else if (e.event === 'fault.reverted') {
      const instance = byId.get(e.id);
      if (instance === undefined) continue;
      const m = active.get(instance.replace(/-\d+$/, '')) as Map<string, number>;
      const n = (m.get(instance) ?? 1) - 1;
      if (n === 0) m.delete(instance);
      else m.set(instance, n);
    }
  }
  return peak;
}

/**
 * What the crash fixture (test/fixtures/experiment/crash.yaml) acts on: a proxy with a `db` proxy, a failpoint
 * service and two sleeping workers whose pid files are in `dir`. `close` resumes the workers whatever failed (a
 * stopped process is never left behind) and stops everything.
 */
export interface CrashWorld {
  proxy: ProxyServer;
  api: string;
  endpoint: string;
  workers: number[];
  /** The fixture's parameters: pid_a, pid_b, api, endpoint. */
  parameters: Record<string, string>;
  close(): Promise<void>;
}

export async function startCrashWorld(dir: string): Promise<CrashWorld> {
  const { proxy, api } = await startProxyWithDb();
  const { endpoint } = await startFailpointService();
  const a = await startSleeper();
  const b = await startSleeper();
  const workers = [a.pid, b.pid];
  writeFileSync(join(dir, 'a.pid'), `${a.pid}\n`);
  writeFileSync(join(dir, 'b.pid'), `${b.pid}\n`);
  return {
    proxy,
    api,
    endpoint,
    workers,
    parameters: { pid_a: join(dir, 'a.pid'), pid_b: join(dir, 'b.pid'), api, endpoint },
    async close() {
      for (const pid of workers) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {}
      }
      await stopAll();
      await proxy.close();
    },
  };
}
