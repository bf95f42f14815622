/**
 * What the `host.*` disruptors share: the instance's host and service (an error naming the instance when the
 * target is not on a host), the record fields that let a revert reach the host again from the journal alone,
 * and reading those back.
 */
import { InvalidOptionError } from '../core/errors.js';
import { type HostRef, isHostRef } from '../fleet/host-ref.js';
import { type ProcessSelector, startLogOf } from '../fleet/remote-process.js';
import type { DisruptorInstance, Json, RemoteService } from './types.js';

/** The instance's host. @throws InvalidOptionError when the instance is not on a host. */
export function requireHost(instance: DisruptorInstance, disruptor: string): HostRef {
  if (instance.host === undefined)
    throw new InvalidOptionError(
      'target',
      `${disruptor} acts on a host over SSH, but instance ${instance.id} is not on one (use a service or host target)`,
    );
  return instance.host;
}

/** The instance's service. @throws InvalidOptionError when the instance is not a service on a host. */
export function requireService(
  instance: DisruptorInstance,
  disruptor: string,
): { host: HostRef; service: RemoteService } {
  const host = requireHost(instance, disruptor);
  if (instance.service === undefined)
    throw new InvalidOptionError(
      'target',
      `${disruptor} acts on a service's processes, but ${instance.id} is a host (use a service target)`,
    );
  return { host, service: instance.service };
}

/** The host a journaled record names. @throws Error when the record has none (a record from elsewhere). */
export function recordHost(record: { [k: string]: unknown }): HostRef {
  if (!isHostRef(record.host)) throw new Error(`a ${String(record.type)} record without a valid host`);
  return record.host;
}

/** A selector as JSON (absent fields left out). */
export function selectorRecord(s: ProcessSelector): { [k: string]: Json } {
  const out: { [k: string]: Json } = {};
  if (s.pidfile !== undefined) out.pidfile = s.pidfile;
  if (s.match !== undefined) out.match = s.match;
  if (s.systemd !== undefined) out.systemd = s.systemd;
  return out;
}

/** How to start the service again, as a record holds it; null when there is no way. */
export function startRecord(instance: string, service: RemoteService): { [k: string]: Json } | null {
  if (service.start === undefined && service.selector.systemd === undefined) return null;
  return {
    selector: selectorRecord(service.selector),
    ...(service.start === undefined ? {} : { start: service.start }),
    log: startLogOf(instance),
  };
}

/** A start record read back. */
export function readStartRecord(
  v: unknown,
): { selector: ProcessSelector; start?: string; log: string } | null {
  if (typeof v !== 'object' || v === null) return null;
  const r = v as { selector?: ProcessSelector; start?: unknown; log?: unknown };
  if (typeof r.selector !== 'object' || r.selector === null || typeof r.log !== 'string') return null;
  return {
    selector: r.selector,
    ...(typeof r.start === 'string' ? { start: r.start } : {}),
    log: r.log,
  };
}

/** `[{pid, startTime}]` read back from a record. */
export function readProcesses(v: unknown): { pid: number; startTime: number }[] {
  if (!Array.isArray(v)) return [];
  return v.filter(
    (p): p is { pid: number; startTime: number } =>
      typeof p === 'object' && p !== null && Number.isInteger(p.pid) && Number.isInteger(p.startTime),
  );
}

/** Pids for messages. */
export const pidsOf = (procs: readonly { pid: number }[]) => procs.map((p) => p.pid);
