/**
 * The suite validator: suite text in, a typed suite (with each entry's experiment validated under its overrides)
 * or errors naming file:line and field — the same machinery and error shape as experiments. An override that
 * names no field of its experiment is reported on the suite's `set:` line, naming the path.
 */
import { dirname, isAbsolute, join } from 'node:path';
import { isMap, LineCounter, parseDocument } from 'yaml';
import { applyOverrides, type FieldOverride } from '../experiment/overrides.js';
import { readRegularFile } from '../experiment/read-file.js';
import type { ExperimentSpec } from '../experiment/schema.js';
import {
  type ExperimentError,
  formatPath,
  offsetOf,
  type Path,
  rangeOf,
  validateExperiment,
  zodIssues,
} from '../experiment/validate.js';
import { findCycle } from './plan.js';
import { type SuiteSpec, suiteSchema } from './schema.js';

export interface SuiteValidateOptions {
  file?: string;
  /** `--set path=value` on the suite itself (`parallel`, `runs.NAME.repeat`, `schedule.times`). */
  set?: Record<string, unknown>;
  env?: Record<string, string | undefined>;
  /** Reads an experiment file (default: from disk, a regular file of at most 1 MiB). */
  readFile?: (path: string) => string;
}

export type SuiteValidation =
  | { ok: true; suite: SuiteSpec; experiments: Map<string, ExperimentSpec> }
  | { ok: false; errors: ExperimentError[] };

export function validateSuite(text: string, options: SuiteValidateOptions = {}): SuiteValidation {
  const file = options.file ?? 'suite.yaml';
  const lineCounter = new LineCounter();
  const errors: ExperimentError[] = [];
  const at = (offset: number, field: string, message: string) => {
    const { line, col } = lineCounter.linePos(offset);
    errors.push({ file, line, column: col, field, message });
  };
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  for (const e of doc.errors.slice(0, 3)) at(e.pos[0], '', e.message.split('\n')[0] ?? e.message);
  if (errors.length > 0) return { ok: false, errors };
  if (!isMap(doc.contents)) {
    at(rangeOf(doc.contents)?.[0] ?? 0, '', 'a suite file is a mapping (title:, runs:, …)');
    return { ok: false, errors };
  }
  const sets: FieldOverride[] = Object.entries(options.set ?? {}).map(([path, value]) => ({
    path,
    value,
    source: { file, field: `--set ${path}` },
  }));
  for (const p of applyOverrides(doc, sets, 'the suite').problems)
    errors.push({ file, field: p.override.source.field, message: p.message });
  if (errors.length > 0) return { ok: false, errors };

  const parsed = suiteSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    for (const i of zodIssues(parsed.error)) at(offsetOf(doc, i.path, i.key), formatPath(i.path), i.message);
    return { ok: false, errors: byLine(errors) };
  }
  const suite = parsed.data;
  const runAt = (path: Path, message: string) => at(offsetOf(doc, path), formatPath(path), message);

  const seen = new Set<string>();
  for (const [i, r] of suite.runs.entries()) {
    if (seen.has(r.name)) runAt(['runs', i, 'name'], `a second entry named '${r.name}'`);
    seen.add(r.name);
  }
  for (const [i, r] of suite.runs.entries())
    for (const [j, d] of r.depends_on.entries()) {
      if (!seen.has(d))
        runAt(['runs', i, 'depends_on', j], `unknown entry '${d}'; entries: ${[...seen].join(', ')}`);
      else if (d === r.name) runAt(['runs', i, 'depends_on', j], 'an entry cannot depend on itself');
    }
  if (errors.length > 0) return { ok: false, errors: byLine(errors) };
  const cycle = findCycle(suite.runs.map((r) => ({ name: r.name, dependsOn: r.depends_on })));
  if (cycle) {
    const i = suite.runs.findIndex((r) => r.name === cycle[0]);
    runAt(['runs', i, 'depends_on'], `dependency cycle: ${cycle.join(' → ')}`);
    return { ok: false, errors };
  }

  // Each entry's experiment, validated under its overrides; errors inside an experiment name that file.
  const experiments = new Map<string, ExperimentSpec>();
  const read = options.readFile ?? ((p: string) => readRegularFile(p));
  for (const [i, r] of suite.runs.entries()) {
    const path = isAbsolute(r.experiment) ? r.experiment : join(dirname(file), r.experiment);
    let experimentText: string;
    try {
      experimentText = read(path);
    } catch (err) {
      runAt(['runs', i, 'experiment'], `cannot read ${path}: ${(err as Error).message}`);
      continue;
    }
    const overrides: FieldOverride[] = Object.entries(r.set).map(([key, value]) => {
      const { line, col } = lineCounter.linePos(offsetOf(doc, ['runs', i, 'set'], key));
      return { path: key, value, source: { file, line, column: col, field: `runs.${r.name}.set` } };
    });
    const result = validateExperiment(experimentText, {
      file: path,
      overrides,
      env: { ...(options.env ?? {}), ...r.env },
      readBase: read,
    });
    if (result.ok) experiments.set(r.name, result.spec);
    else errors.push(...result.errors);
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, suite, experiments };
}

function byLine(errors: ExperimentError[]): ExperimentError[] {
  return errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

/** Reads and validates a suite file; an unreadable file is one error, not an exception. */
export function validateSuiteFile(
  path: string,
  options: Omit<SuiteValidateOptions, 'file'> = {},
): SuiteValidation {
  let text: string;
  try {
    text = readRegularFile(path);
  } catch (err) {
    return {
      ok: false,
      errors: [{ file: path, field: '', message: `cannot read: ${(err as Error).message}` }],
    };
  }
  return validateSuite(text, { ...options, file: path });
}
