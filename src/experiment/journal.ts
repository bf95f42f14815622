/**
 * The run journal: an append-only NDJSON file, one event a line, each line fsync'd before the call returns.
 * A fault is journaled as `fault.applying` (with its revert record) before it takes effect and `fault.applied`
 * after, so whatever instant the runner dies at, `faultline recover` finds every fault that may be active and
 * knows how to undo it from the file alone.
 */
import { closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { FaultlineError } from '../core/errors.js';
import type { Json, RevertRecord } from '../disruptors/types.js';
import type { HostRef } from '../fleet/host-ref.js';

/** Every journal event; `at` is an ISO timestamp. */
export type JournalEvent = { at: string } & (
  | { event: 'phase'; phase: string }
  | {
      event: 'fault.applying';
      id: string;
      disruptor: string;
      instance: string;
      fault?: string;
      revert: RevertRecord;
    }
  | { event: 'fault.applied'; id: string; revert: RevertRecord; detail?: Record<string, Json> }
  | { event: 'fault.failed'; id: string; error: string }
  | { event: 'fault.reverted'; id: string; attempts: number }
  | { event: 'revert.failed'; id: string; error: string; attempts: number }
  | { event: 'monitor.breach'; monitor: string; value?: number | null; message?: string }
  | { event: 'monitor.recovered'; monitor: string }
  | { event: 'abort'; reason: string }
  | {
      event: 'run.started';
      title: string;
      seed: number;
      pid: number;
      /** The runner's start time (clock ticks since boot, /proc/<pid>/stat field 22), where known. */
      startTime?: number;
      /** The id in the run's run file (see halt.ts), which `recover` checks the journal against. */
      runId?: string;
      file?: string;
    }
  | { event: 'run.ended'; verdict: string; reason?: string }
  | {
      event: 'target.started';
      id: string;
      target: string;
      instance: string;
      pid: number;
      /** How to stop it, for `recover` after the runner died: an `owned.stop` record. */
      revert: RevertRecord;
    }
  | { event: 'target.stopped'; id: string; instance: string }
  /** The run's hosts and how it reached them (an experiment with hosts). */
  | { event: 'fleet'; hosts: HostRef[] }
  | { event: 'note'; message: string }
);

/** An event as passed to {@link Journal.append}: the journal stamps `at`. */
export type JournalInput = JournalEvent extends infer E
  ? E extends JournalEvent
    ? Omit<E, 'at'>
    : never
  : never;

/** A fault that may still be active: journaled as applying or applied, and not reverted. */
export interface PendingRevert {
  id: string;
  disruptor: string;
  instance: string;
  fault?: string;
  revert: RevertRecord;
  /** False when the runner died between `applying` and `applied` (or the injection failed). */
  applied: boolean;
}

/**
 * An open journal file. Create it with {@link openJournal}. A run's journal holds {@link JournalEvent}s; a suite's
 * journal (src/suite/journal.ts) is the same file discipline with events of its own.
 */
export class Journal<E extends { event: string; at: string } = JournalEvent> {
  readonly path: string;
  readonly #fd: number;
  readonly #now: () => Date;
  #closed = false;

  constructor(path: string, fd: number, now: () => Date) {
    this.path = path;
    this.#fd = fd;
    this.#now = now;
  }

  /**
   * Appends one event and fsyncs it. Synchronous on purpose: the fault must not take effect until its line
   * is on disk, and a single write of a whole line keeps lines whole if another process appends too.
   */
  append(event: E extends unknown ? Omit<E, 'at'> : never): E {
    if (this.#closed) throw new FaultlineError('FAULTLINE_JOURNAL_CLOSED', `journal ${this.path} is closed`);
    const full = { at: this.#now().toISOString(), ...event } as E;
    writeSync(this.#fd, `${JSON.stringify(full)}\n`);
    fsyncSync(this.#fd);
    return full;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
  }
}

/**
 * Opens (creating it and its directory if needed) a journal for appending. Mode 0600 whatever the umask or an
 * existing file's mode, and a directory it creates is 0755: the journal names endpoints, and `recover` acts on a
 * journal only when nobody else could have written it or its directory (see control/trusted-file.ts).
 */
export function openJournal<E extends { event: string; at: string } = JournalEvent>(
  path: string,
  options: { now?: () => Date } = {},
): Journal<E> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const fd = openSync(path, 'a', 0o600);
  try {
    fchmodSync(fd, 0o600); // the mode given to open applies only to a new file
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return new Journal<E>(path, fd, options.now ?? (() => new Date()));
}

/**
 * Reads a journal's events, from its path or from an open file descriptor (`name` then names it in errors). A
 * last line cut short (the writer died mid-write) is ignored; a bad line anywhere else is an error naming the
 * file and line.
 */
export function readJournal<E extends { event: string } = JournalEvent>(
  path: string | number,
  name = String(path),
): E[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new FaultlineError(
      'FAULTLINE_JOURNAL_UNREADABLE',
      `cannot read journal ${name}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const lines = text.split('\n');
  const events: E[] = [];
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    try {
      const e = JSON.parse(line) as E;
      if (typeof e !== 'object' || e === null || typeof e.event !== 'string') throw new Error('not an event');
      events.push(e);
    } catch {
      if (i === lines.length - 1) break; // no newline yet: the write never finished, so the event never happened
      throw new FaultlineError('FAULTLINE_JOURNAL_CORRUPT', `${name}:${i + 1}: not a journal event`);
    }
  }
  return events;
}

/**
 * Faults journaled as applying or applied and not reverted, last applied first (the order to undo them). Owned
 * processes the runner started and did not stop count too (`target.started` / `target.stopped`): they come
 * after the faults applied to them in this order, so a paused process is resumed before it is stopped.
 */
export function pendingReverts(events: readonly JournalEvent[]): PendingRevert[] {
  const open = new Map<string, PendingRevert>();
  for (const e of events) {
    if (e.event === 'target.started') {
      open.delete(e.id);
      open.set(e.id, {
        id: e.id,
        disruptor: 'owned.process',
        instance: e.instance,
        revert: e.revert,
        applied: true,
      });
    } else if (e.event === 'target.stopped') {
      open.delete(e.id);
    } else if (e.event === 'fault.applying') {
      const p: PendingRevert = {
        id: e.id,
        disruptor: e.disruptor,
        instance: e.instance,
        revert: e.revert,
        applied: false,
      };
      if (e.fault !== undefined) p.fault = e.fault;
      open.delete(e.id);
      open.set(e.id, p);
    } else if (e.event === 'fault.applied') {
      const p = open.get(e.id);
      if (p !== undefined) {
        p.applied = true;
        p.revert = e.revert;
      }
    } else if (e.event === 'fault.reverted') {
      open.delete(e.id);
    }
  }
  return [...open.values()].reverse();
}
