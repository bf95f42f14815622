/**
 * Parsing of the human forms the CLI and specs accept: durations (`30s`, `500ms`, `2m`, `1h`) and rates
 * (`500/s`, `500`, `3000/m`). Bad input throws {@link InvalidOptionError} naming the field.
 */
import { InvalidOptionError } from '../core/errors.js';

const DURATION_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const RATE_UNITS: Record<string, number> = { ms: 1000, s: 1, m: 1 / 60, h: 1 / 3600 };

/**
 * Milliseconds in a duration such as `30s`, `1.5s`, `250ms`, `2m`, `1h`; a bare number is milliseconds.
 * @throws InvalidOptionError naming `field` when the text is not a non-negative duration.
 */
export function parseDuration(text: string | number, field = 'duration'): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text) || text < 0)
      throw new InvalidOptionError(field, `must be ≥ 0 ms, got ${text}`);
    return text;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|m|h)?\s*$/.exec(text);
  if (!m) throw new InvalidOptionError(field, `expected a duration such as 30s, 500ms or 2m, got '${text}'`);
  return Number(m[1]) * (DURATION_UNITS[m[2] ?? 'ms'] ?? 1);
}

/**
 * Requests per second in a rate such as `500/s`, `500`, `3000/m`.
 * @throws InvalidOptionError naming `field` when the text is not a positive rate.
 */
export function parseRate(text: string | number, field = 'rate'): number {
  let rate: number;
  if (typeof text === 'number') {
    rate = text;
  } else {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(ms|s|m|h))?\s*$/.exec(text);
    if (!m) throw new InvalidOptionError(field, `expected a rate such as 500/s or 3000/m, got '${text}'`);
    rate = Number(m[1]) * (RATE_UNITS[m[2] ?? 's'] ?? 1);
  }
  if (!Number.isFinite(rate) || rate <= 0)
    throw new InvalidOptionError(field, `must be > 0 per second, got ${text}`);
  return rate;
}

/** A positive integer option, or an {@link InvalidOptionError} naming `field`. */
export function parsePositiveInt(text: string | number, field: string): number {
  const n = typeof text === 'number' ? text : /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidOptionError(field, `must be a positive integer, got '${text}'`);
  return n;
}
