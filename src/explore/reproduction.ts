/**
 * The one-line reproduction: a seed and a fault schedule packed into a string a test can pin
 * (`FAULTLINE_REPLAY=…`). Deflated JSON in base64url, so it survives shells, CI logs and YAML unquoted.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { InvalidOptionError } from '../core/errors.js';
import { Trace, type TraceJSON } from '../core/trace.js';

type Packed = { v: 1; s: number; e: [string, number, string, string, Record<string, unknown>][] };

/** Packs a schedule into a reproduction string (without the `FAULTLINE_REPLAY=` prefix). */
export function encodeReproduction(trace: TraceJSON): string {
  const packed: Packed = {
    v: 1,
    s: trace.seed,
    e: trace.entries.map((e) => [e.site, e.index, e.rule, e.action, e.detail]),
  };
  return deflateRawSync(Buffer.from(JSON.stringify(packed))).toString('base64url');
}

/** Unpacks a reproduction string (with or without the `FAULTLINE_REPLAY=` prefix). */
export function decodeReproduction(text: string): TraceJSON {
  const body = text.trim().replace(/^FAULTLINE_REPLAY=/, '');
  let packed: Packed;
  try {
    packed = JSON.parse(inflateRawSync(Buffer.from(body, 'base64url')).toString('utf8')) as Packed;
  } catch {
    throw new InvalidOptionError(
      'FAULTLINE_REPLAY',
      'not a faultline reproduction string (it is printed by explore)',
    );
  }
  if (packed?.v !== 1 || !Array.isArray(packed.e) || typeof packed.s !== 'number') {
    throw new InvalidOptionError('FAULTLINE_REPLAY', 'not a faultline reproduction string (unknown version)');
  }
  return Trace.fromJSON({
    version: 1,
    seed: packed.s,
    calls: {},
    entries: packed.e.map(([site, index, rule, action, detail]) => ({ site, index, rule, action, detail })),
  }).toJSON();
}
