/**
 * What a pending revert does, in words, for `faultline recover`: "continued process 1234 (api-0) paused by fault
 * pause-api" rather than a record id, so whoever runs it after a crash can see what was left behind and undone.
 * Every revert record type the runtimes write is described here; an unknown type still gets a generic line.
 */

import { isHostRef } from '../fleet/host-ref.js';
import type { PendingRevert } from './journal.js';

/** One revert in words: as a plan (`--dry-run`), as done, and as the thing that failed. */
export interface RevertWords {
  /** e.g. `would continue process 1234 (api-0, paused by pause-api)` */
  would: string;
  /** e.g. `continued process 1234 (api-0) paused by fault pause-api` */
  done: string;
  /** e.g. `continue process 1234 (api-0) paused by fault pause-api`, after `FAILED to` */
  todo: string;
}

/**
 * A journal value as one printable line: control characters (a newline in a command, say) are escaped so a
 * record cannot add lines of its own to what recover prints.
 */
export function printable(value: unknown): string {
  const s = typeof value === 'string' ? value : JSON.stringify(value ?? null);
  return s.replace(/\p{Cc}/gu, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** An argv as a shell would read it back, for display only (recover runs argv commands without a shell). */
function commandLine(command: unknown): string {
  if (!Array.isArray(command)) return printable(command);
  return command
    .map((a) => {
      const s = printable(a);
      return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
    })
    .join(' ');
}

/** Three forms of a sentence whose verb is the only part that changes. */
function verb(would: string, done: string, todo: string, rest: string, wouldRest = rest): RevertWords {
  return { would: `would ${would} ${wouldRest}`, done: `${done} ${rest}`, todo: `${todo} ${rest}` };
}

/** A revert that has nothing to do (the fault cannot be undone, or needed no undoing). */
function nothing(what: string): RevertWords {
  return {
    would: `would do nothing: ${what}`,
    done: `nothing to undo: ${what}`,
    todo: `record that ${what}`,
  };
}

/** Describes what reverting `p` does. */
export function describeRevert(p: PendingRevert): RevertWords {
  const r = p.revert;
  const fault = printable(p.fault ?? p.id);
  const instance = printable(p.instance);
  switch (r.type) {
    case 'process.pause':
      return verb(
        'continue',
        'continued',
        'continue',
        `process ${printable(r.pid)} (${instance}) paused by fault ${fault}`,
        `process ${printable(r.pid)} (${instance}, paused by ${fault})`,
      );
    case 'owned.stop': {
      const how = `${printable(r.signal ?? 'SIGTERM')}${r.group === true ? ' to its process group' : ''}`;
      return verb(
        'stop',
        'stopped',
        'stop',
        `process ${printable(r.pid)} (${instance}) that the run started, with ${how}`,
        `process ${printable(r.pid)} (${instance}, started by the run) with ${how}`,
      );
    }
    case 'proxy.toxic':
      return verb(
        'delete',
        'deleted',
        'delete',
        `toxic ${p.fault === undefined ? printable(r.toxic) : fault} on proxy ${printable(r.proxy)} at ${printable(r.api)}`,
      );
    case 'failpoint': {
      const at = isHostRef(r.host) ? `${printable(r.endpoint)} ${onHost(r)}` : printable(r.endpoint);
      const where = `at ${at} (fault ${fault} on ${instance})`;
      // journaled before the earlier term was read: nothing had been set yet
      if (r.unread === true) return nothing(`failpoint ${printable(r.name)} was not set yet ${where}`);
      if (typeof r.previous === 'string')
        return verb(
          'restore',
          'restored',
          'restore',
          `failpoint ${printable(r.name)} to ${printable(JSON.stringify(r.previous))} ${where}`,
        );
      return verb('clear', 'cleared', 'clear', `failpoint ${printable(r.name)} ${where}`);
    }
    case 'command':
      if (r.command === null || r.command === undefined)
        return nothing(`fault ${fault} on ${instance} has no revert command`);
      return {
        would: `would run: ${commandLine(r.command)}`,
        done: `ran: ${commandLine(r.command)}`,
        todo: `run: ${commandLine(r.command)}`,
      };
    case 'http': {
      const call = r.call as { method?: unknown; url?: unknown } | null | undefined;
      if (call === null || call === undefined || typeof call !== 'object')
        return nothing(`fault ${fault} on ${instance} has no revert call`);
      return verb(
        'call',
        'called',
        'call',
        `${printable(call.method ?? 'GET').toUpperCase()} ${printable(call.url)} (fault ${fault} on ${instance})`,
      );
    }
    case 'process.kill':
      return nothing(
        `fault ${fault} sent ${printable(r.signal)} to process ${printable(r.pid)} (${instance})`,
      );
    case 'process.restart':
      return nothing(`fault ${fault} restarted process ${printable(r.pid)} (${instance})`);
    case 'host.process.pause': {
      const procs = Array.isArray(r.processes) ? r.processes : [];
      const pids = procs.map((p) => printable((p as { pid?: unknown })?.pid)).join(', ');
      if (pids === '')
        return nothing(`fault ${fault} on ${instance} had not stopped anything yet (${onHost(r)})`);
      return verb(
        'continue',
        'continued',
        'continue',
        `process ${pids} (${instance}) ${onHost(r)} paused by fault ${fault}`,
        `process ${pids} (${instance} ${onHost(r)}, paused by ${fault})`,
      );
    }
    case 'host.process.kill': {
      const killed = `fault ${fault} sent ${printable(r.signal)} to ${instance} ${onHost(r)}`;
      if (r.restart === null || r.restart === undefined) return nothing(killed);
      return verb('start', 'started', 'start', `${instance} ${onHost(r)} again (${killed})`);
    }
    case 'host.process.restart':
      return nothing(`fault ${fault} restarted ${instance} ${onHost(r)}`);
    case 'host.command':
      if (typeof r.command !== 'string')
        return nothing(`fault ${fault} on ${instance} has no revert command (${onHost(r)})`);
      return {
        would: `would run ${onHost(r)}: ${printable(r.command)}`,
        done: `ran ${onHost(r)}: ${printable(r.command)}`,
        todo: `run ${onHost(r)}: ${printable(r.command)}`,
      };
    case 'host.partition':
    case 'host.network':
    case 'host.disk-fill':
    case 'host.stress':
    case 'host.freeze':
      return hostFaultWords(r, fault, instance);
    default:
      return verb(
        'revert',
        'reverted',
        'revert',
        `fault ${fault} (${printable(p.disruptor)} on ${instance}, a ${printable(r.type)} record)`,
      );
  }
}

/** `on host n1 (10.0.0.1)` from a record's journaled host. */
function onHost(r: { [k: string]: unknown }): string {
  const h = r.host as { name?: unknown; address?: unknown } | undefined;
  if (h === undefined || h === null || typeof h !== 'object') return 'on an unnamed host';
  return `on host ${printable(h.name)} (${printable(h.address)})`;
}

/** A host fault of src/fleet/faults: what it did on each host, as its records say (`what`). */
function hostFaultWords(r: { [k: string]: unknown }, fault: string, instance: string): RevertWords {
  const records = Array.isArray(r.records) ? (r.records as Array<{ host?: unknown; what?: unknown }>) : [];
  if (records.length === 0)
    return nothing(
      `fault ${fault} (${printable(r.type)} on ${instance}) was journaled before it was planned`,
    );
  const hosts = Array.isArray(r.hosts) ? (r.hosts as Array<{ name?: unknown; address?: unknown }>) : [];
  const each = records.map((rec) => {
    const h = hosts.find((x) => x?.name === rec.host);
    return `on host ${printable(rec.host)}${h ? ` (${printable(h.address)})` : ''}: ${printable(rec.what)}`;
  });
  return verb('undo', 'undid', 'undo', `fault ${fault} (${printable(r.type)}) ${each.join('; ')}`);
}
