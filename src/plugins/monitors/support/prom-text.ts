/**
 * A parser for the Prometheus text exposition format (version 0.0.4), as exporters write it: `# HELP` and
 * `# TYPE` lines (kept as metadata), other comments (skipped), and samples `name{label="value",…} value
 * [timestamp]` with label values escaped (`\\`, `\"`, `\n`), `NaN`/`+Inf`/`-Inf` values and histogram and
 * summary series (`_bucket`, `_sum`, `_count`) as ordinary samples. Hand-written: the grammar is small and a
 * regular expression gets escaped quotes inside label values wrong.
 */
import { FaultlineError } from '../../../core/errors.js';

/** One sample line. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
}

/** A parsed exposition. */
export interface PromExposition {
  samples: PromSample[];
  /** `# TYPE` per metric family. */
  types: Record<string, string>;
  /** `# HELP` per metric family (unescaped). */
  help: Record<string, string>;
}

/** A line that does not follow the format; `line` is 1-based. */
export class PromParseError extends FaultlineError {
  readonly line: number;
  constructor(line: number, message: string) {
    super('FAULTLINE_PROM_PARSE', `metrics text line ${line}: ${message}`);
    this.line = line;
  }
}

const NAME_START = /[A-Za-z_:]/;
const NAME_CHAR = /[A-Za-z0-9_:]/;
const LABEL_START = /[A-Za-z_]/;
const LABEL_CHAR = /[A-Za-z0-9_]/;

/** Parses a number as the format writes it (Go's ParseFloat: also `NaN`, `+Inf`, `-Inf`). */
export function parsePromValue(text: string): number {
  switch (text) {
    case 'NaN':
      return Number.NaN;
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
  }
  const v = Number(text);
  if (text.trim() === '' || Number.isNaN(v)) throw new Error(`not a number: '${text}'`);
  return v;
}

function unescapeHelp(s: string): string {
  return s.replace(/\\(\\|n)/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));
}

/** Parses a whole exposition. @throws PromParseError naming the line. */
export function parsePromText(text: string): PromExposition {
  const out: PromExposition = { samples: [], types: {}, help: {} };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, '');
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (trimmed.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(trimmed);
      if (m) {
        const [, kind, name, rest = ''] = m as unknown as [string, string, string, string?];
        if (kind === 'HELP') out.help[name] = unescapeHelp(rest);
        else out.types[name] = rest.trim();
      }
      continue;
    }
    try {
      out.samples.push(parseSampleLine(trimmed));
    } catch (err) {
      throw new PromParseError(i + 1, (err as Error).message);
    }
  }
  return out;
}

function parseSampleLine(s: string): PromSample {
  let i = 0;
  if (!NAME_START.test(s[i] ?? '')) throw new Error(`expected a metric name at column ${i + 1}`);
  while (i < s.length && NAME_CHAR.test(s[i] as string)) i++;
  const name = s.slice(0, i);
  const labels: Record<string, string> = {};
  while (s[i] === ' ' || s[i] === '\t') i++;
  if (s[i] === '{') {
    i++;
    for (;;) {
      while (s[i] === ' ' || s[i] === '\t') i++;
      if (s[i] === '}') {
        i++;
        break;
      }
      const start = i;
      if (!LABEL_START.test(s[i] ?? '')) throw new Error(`expected a label name at column ${i + 1}`);
      while (i < s.length && LABEL_CHAR.test(s[i] as string)) i++;
      const label = s.slice(start, i);
      while (s[i] === ' ' || s[i] === '\t') i++;
      if (s[i] !== '=') throw new Error(`expected '=' after label ${label}`);
      i++;
      while (s[i] === ' ' || s[i] === '\t') i++;
      if (s[i] !== '"') throw new Error(`expected '"' to open the value of label ${label}`);
      i++;
      let value = '';
      for (;;) {
        const c = s[i];
        if (c === undefined) throw new Error(`unterminated value of label ${label}`);
        i++;
        if (c === '"') break;
        if (c === '\\') {
          const e = s[i];
          i++;
          if (e === 'n') value += '\n';
          else if (e === '\\' || e === '"') value += e;
          else throw new Error(`bad escape '\\${e ?? ''}' in label ${label}`);
        } else value += c;
      }
      if (label in labels) throw new Error(`label ${label} given twice`);
      labels[label] = value;
      while (s[i] === ' ' || s[i] === '\t') i++;
      if (s[i] === ',') i++;
      else if (s[i] !== '}') throw new Error(`expected ',' or '}' after label ${label}`);
    }
  }
  const rest = s
    .slice(i)
    .trim()
    .split(/[ \t]+/);
  if (rest.length < 1 || rest.length > 2 || rest[0] === '')
    throw new Error(`expected 'value [timestamp]' after ${name}`);
  const sample: PromSample = { name, labels, value: parsePromValue(rest[0] as string) };
  if (rest[1] !== undefined) {
    const ts = Number(rest[1]);
    if (!Number.isInteger(ts)) throw new Error(`bad timestamp '${rest[1]}'`);
    sample.timestampMs = ts;
  }
  return sample;
}

/** The samples named `name` whose labels include every one of `labels`. */
export function selectPromSamples(
  exposition: PromExposition,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): PromSample[] {
  const want = Object.entries(labels);
  return exposition.samples.filter((s) => s.name === name && want.every(([k, v]) => s.labels[k] === v));
}
