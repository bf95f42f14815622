/**
 * Toxic attributes as data: each toxic declares its attributes (name, kind, default, bounds, meaning) once, and
 * this module validates API input against that declaration, fills defaults the way Toxiproxy does (a missing
 * attribute is zero / empty), and merges partial updates onto current values. The same declaration renders the
 * docs table, so docs and validation cannot drift.
 */
import { badRequestBody } from './errors.js';

/** One attribute of a toxic. */
export type AttributeSpec =
  | { kind: 'integer'; default: number; min?: number; max?: number; unit?: string; description: string }
  | { kind: 'string'; default: string; description: string; pattern?: RegExp; patternHint?: string }
  | { kind: 'headers'; description: string };

/** A toxic's attribute declarations, by attribute name. */
export type AttributeSpecs = Record<string, AttributeSpec>;

/** The attribute values a set of specs produces. */
export type AttributeValues<S extends AttributeSpecs> = {
  [K in keyof S]: S[K] extends { kind: 'integer' }
    ? number
    : S[K] extends { kind: 'string' }
      ? string
      : Record<string, string>;
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The names in `raw` that `specs` does not declare, in input order. Toxiproxy's JSON decoding drops them
 * silently, so a typo (`latncy: 300`) gives a toxic that does nothing while every call succeeds; faultline
 * refuses them instead (the proxy API and the experiment validator both ask here).
 */
export function unknownAttributes(specs: AttributeSpecs, raw: Record<string, unknown>): string[] {
  return Object.keys(raw).filter((name) => !Object.hasOwn(specs, name));
}

/** What a toxic does accept, for an unknown-attribute message: `known: latency, jitter`. */
export function knownAttributes(specs: AttributeSpecs): string {
  const names = Object.keys(specs);
  return names.length === 0 ? 'this toxic has no attributes' : `known: ${names.join(', ')}`;
}

/**
 * Validates `raw` (the JSON `attributes` value) against `specs`, on top of `previous` values (an update) or the
 * defaults (a create). Unknown attributes are refused (see {@link unknownAttributes}). Throws a 400
 * {@link ProxyApiError} naming `attributes.<name>`.
 */
export function parseAttributes<S extends AttributeSpecs>(
  specs: S,
  raw: unknown,
  previous?: AttributeValues<S>,
): AttributeValues<S> {
  if (raw !== undefined && raw !== null && !isPlainObject(raw)) {
    throw badRequestBody('attributes', 'must be an object');
  }
  const input = (raw ?? {}) as Record<string, unknown>;
  const [unknown] = unknownAttributes(specs, input);
  if (unknown !== undefined) {
    throw badRequestBody(`attributes.${unknown}`, `unknown attribute (${knownAttributes(specs)})`);
  }
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const field = `attributes.${name}`;
    const has = Object.hasOwn(input, name) && input[name] !== null;
    if (!has) {
      out[name] = previous ? previous[name] : defaultOf(spec);
      continue;
    }
    const v = input[name];
    switch (spec.kind) {
      case 'integer': {
        if (typeof v !== 'number' || !Number.isFinite(v)) throw badRequestBody(field, 'must be a number');
        if (!Number.isInteger(v)) throw badRequestBody(field, 'must be an integer');
        const min = spec.min ?? 0;
        if (v < min) {
          throw badRequestBody(field, min === 0 ? 'must not be negative' : `must be at least ${min}`);
        }
        if (spec.max !== undefined && v > spec.max)
          throw badRequestBody(field, `must be at most ${spec.max}`);
        out[name] = v;
        break;
      }
      case 'string': {
        if (typeof v !== 'string') throw badRequestBody(field, 'must be a string');
        if (spec.pattern && v !== '' && !spec.pattern.test(v)) {
          throw badRequestBody(field, spec.patternHint ?? `must match ${spec.pattern}`);
        }
        out[name] = v;
        break;
      }
      case 'headers': {
        if (!isPlainObject(v)) throw badRequestBody(field, 'must be an object of header names to strings');
        const headers: Record<string, string> = {};
        for (const [k, hv] of Object.entries(v)) {
          if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k))
            throw badRequestBody(`${field}.${k}`, 'invalid header name');
          if (typeof hv !== 'string' && typeof hv !== 'number') {
            throw badRequestBody(`${field}.${k}`, 'must be a string');
          }
          const s = String(hv);
          if (/[\r\n\0]/.test(s)) throw badRequestBody(`${field}.${k}`, 'must not contain CR, LF or NUL');
          headers[k] = s;
        }
        out[name] = headers;
        break;
      }
    }
  }
  return out as AttributeValues<S>;
}

function defaultOf(spec: AttributeSpec): unknown {
  return spec.kind === 'headers' ? {} : spec.default;
}

/** The default values of every attribute (what a toxic created with no `attributes` has). */
export function defaultAttributes<S extends AttributeSpecs>(specs: S): AttributeValues<S> {
  return parseAttributes(specs, undefined);
}
