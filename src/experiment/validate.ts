/**
 * The validator: experiment text in, a typed spec or a list of errors out — each naming file, line, column
 * and field. It never throws for bad input (a fuzz test holds it to that): YAML syntax errors, unresolved
 * `${…}`, schema errors and cross-field errors all come back as {@link ExperimentError}s.
 *
 * Positions come from the YAML tree: `parseDocument` with a `LineCounter`, and each error path is looked up
 * with `doc.getIn(path, true)`; a path that does not exist in the file (a missing field) points at the
 * nearest ancestor that does.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { type Document, isMap, isPair, isScalar, LineCounter, type Node, parse, parseDocument } from 'yaml';
import type { z } from 'zod';
import { checkAliases, MAX_EXPANDED_VALUES } from './aliases.js';
import { checkExperiment, type SpecIssue } from './check.js';
import { resolveExperimentHosts } from './hosts.js';
import {
  type AppliedOverride,
  applyOverrides,
  type FieldOverride,
  isFieldKey,
  overrideAt,
} from './overrides.js';
import { readRegularFile } from './read-file.js';
import { type ExperimentSpec, experimentSchema } from './schema.js';
import { type ParamValue, scalarFromText, substituteString, substituteTree } from './substitute.js';

/** One problem in an experiment file. `line`/`column` are 1-based; absent for problems not in the file. */
export interface ExperimentError {
  file: string;
  line?: number;
  column?: number;
  /** The field path, e.g. `faults[2].at`; empty for the document as a whole. */
  field: string;
  message: string;
}

/** Options for {@link validateExperiment}. */
export interface ValidateOptions {
  /** Shown in errors (default `experiment.yaml`). */
  file?: string;
  /**
   * `--set name=value`: a parameter's default, or — for a dotted name or a top-level field that is not a declared
   * parameter — a field override (see overrides.ts). Values are read as YAML scalars.
   */
  set?: Record<string, string>;
  /** Field overrides from elsewhere (a suite entry's `set:`), with where each came from for errors. */
  overrides?: readonly FieldOverride[];
  /** Environment for `${NAME}` (default: none — pass `process.env` explicitly). */
  env?: Record<string, string | undefined>;
  /**
   * Reads the file an `extends:` names, given its path (relative to `file`'s folder unless absolute). Default:
   * from disk, a regular file of at most 1 MiB.
   */
  readBase?: (path: string) => string;
  /** Reads the file `inventory:` names, given its absolute path (default: from disk, at most 1 MiB). */
  readInventory?: (path: string) => string;
}

/** What validation gives: the spec (with defaults and substitutions applied) or errors. */
export type ValidationResult =
  | { ok: true; spec: ExperimentSpec; parameters: Record<string, ParamValue> }
  | { ok: false; errors: ExperimentError[] };

export type Path = (string | number)[];

const MAX_SYNTAX_ERRORS = 3;

/** `faults[2].with.signal` from `['faults', 2, 'with', 'signal']`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

/** `file:line:col: field: message`, the CLI's one-line form. */
export function formatExperimentError(e: ExperimentError): string {
  const where = e.line === undefined ? e.file : `${e.file}:${e.line}:${e.column ?? 1}`;
  return e.field === '' ? `${where}: ${e.message}` : `${where}: ${e.field}: ${e.message}`;
}

export function rangeOf(node: unknown): [number, number, number] | undefined {
  const r = (node as Node | null | undefined)?.range;
  return Array.isArray(r) && typeof r[0] === 'number' ? r : undefined;
}

/** The offset the error at `path` should point at; `key` points at a map key (for unknown fields). */
export function offsetOf(doc: Document, path: Path, key?: string): number {
  if (key !== undefined) {
    const map = path.length === 0 ? doc.contents : doc.getIn(path, true);
    if (isMap(map)) {
      const pair = map.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
      const r = rangeOf(pair?.key);
      if (r) return r[0];
    }
  }
  for (let n = path.length; n >= 0; n--) {
    const sub = path.slice(0, n);
    const node = n === 0 ? doc.contents : doc.getIn(sub, true);
    const r = rangeOf(node);
    // An empty value (`at:` with nothing after it) has an empty range at the end of the line; point at its key.
    if (r && !(isScalar(node) && node.value === null && n > 0)) return r[0];
    if (n > 0) {
      const parent = n === 1 ? doc.contents : doc.getIn(path.slice(0, n - 1), true);
      if (isMap(parent)) {
        const last = path[n - 1];
        const pair = parent.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(last),
        );
        const kr = rangeOf(pair?.key);
        if (kr) return kr[0];
      }
    }
  }
  return 0;
}

function describeUnion(issue: z.core.$ZodIssue): { path: Path; message: string } {
  const path = issue.path as Path;
  if (issue.code !== 'invalid_union' || !('errors' in issue) || issue.errors.length === 0)
    return { path, message: issue.message };
  const branches = issue.errors as z.core.$ZodIssue[][];
  const types = branches.every(
    (b) => b.length === 1 && b[0]?.code === 'invalid_type' && b[0].path.length === 0,
  );
  if (types) {
    const expected = [...new Set(branches.map((b) => (b[0] as { expected: string }).expected))];
    return { path, message: `expected ${expected.join(' or ')}` };
  }
  // Report the branch that got furthest into the value: its first issue is the likely intent.
  let best: z.core.$ZodIssue[] = branches[0] ?? [];
  for (const b of branches) {
    const depth = (x: z.core.$ZodIssue[]) => Math.max(0, ...x.map((i) => i.path.length));
    if (depth(b) > depth(best)) best = b;
  }
  const first = best[0];
  if (!first) return { path, message: issue.message };
  const inner = describeUnion(first);
  return { path: [...path, ...inner.path], message: inner.message };
}

export function zodIssues(error: z.ZodError): Array<{ path: Path; key?: string; message: string }> {
  const out: Array<{ path: Path; key?: string; message: string }> = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        out.push({ path: [...(issue.path as Path), key], key, message: `unknown field '${key}'` });
      continue;
    }
    if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) {
      out.push({ path: issue.path as Path, message: `is required (${issue.expected})` });
      continue;
    }
    out.push(describeUnion(issue));
  }
  return out;
}

/** Validates experiment text. Never throws for bad input. */
export function validateExperiment(text: string, options: ValidateOptions = {}): ValidationResult {
  const file = options.file ?? 'experiment.yaml';
  const env = options.env ?? {};
  const lineCounter = new LineCounter();
  const errors: ExperimentError[] = [];
  const at = (offset: number, field: string, message: string) => {
    const { line, col } = lineCounter.linePos(offset);
    const same = (e: ExperimentError) =>
      e.line === line && e.column === col && e.field === field && e.message === message;
    if (!errors.some(same)) errors.push({ file, line, column: col, field, message });
  };

  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  // One syntax error often cascades into dozens; the first few are the useful ones.
  for (const e of doc.errors.slice(0, MAX_SYNTAX_ERRORS))
    at(e.pos[0], '', e.message.split('\n')[0] ?? e.message);
  if (doc.errors.length > MAX_SYNTAX_ERRORS)
    errors.push({
      file,
      field: '',
      message: `${doc.errors.length - MAX_SYNTAX_ERRORS} more YAML errors not shown`,
    });
  if (errors.length > 0) return { ok: false, errors };
  if (!isMap(doc.contents)) {
    at(
      rangeOf(doc.contents)?.[0] ?? 0,
      '',
      'an experiment file is a mapping (title:, duration:, targets:, …)',
    );
    return { ok: false, errors };
  }

  // extends: the base file's fields fill in what this one does not set; maps (targets, monitors, parameters)
  // merge name by name. Base nodes keep their own positions, so errors in them name the base file.
  const base = mergeBase(doc, file, options, at, errors);
  if (errors.length > 0) return { ok: false, errors };
  const atPath = (path: Path, offset: number, field: string, message: string) => {
    if (base?.owns(path)) {
      const { line, col } = base.lineCounter.linePos(offset);
      if (
        !errors.some(
          (e) => e.file === base.file && e.line === line && e.field === field && e.message === message,
        )
      )
        errors.push({ file: base.file, line, column: col, field, message });
    } else at(offset, field, message);
  };

  // Aliases, before anything expands them (the base file's nodes are in `doc` now, keeping their positions).
  const aliasProblem = checkAliases(doc);
  if (aliasProblem) {
    const { alias, path, message } = aliasProblem;
    atPath(path, rangeOf(alias)?.[0] ?? 0, formatPath(path), message);
    return { ok: false, errors };
  }

  // --set: a declared parameter's value, or a field override (see isFieldKey); unknown names are errors. Field
  // overrides go first, so one on `parameters.NAME` changes the default that parameter then reads.
  const declared = declaredParameters(doc);
  const fieldOverrides: FieldOverride[] = [...(options.overrides ?? [])];
  const parameterSets: [string, string][] = [];
  for (const [name, raw] of Object.entries(options.set ?? {})) {
    if (isFieldKey(name, TOP_LEVEL_FIELDS, declared)) {
      fieldOverrides.push({
        path: name,
        value: fieldValueFromText(raw),
        source: { file, field: `--set ${name}` },
      });
    } else if (!(name in declared)) {
      const names = Object.keys(declared);
      errors.push({
        file,
        field: `--set ${name}`,
        message: `unknown parameter '${name}'; ${names.length ? `declared: ${names.join(', ')}` : 'the file declares none'}`,
      });
    } else parameterSets.push([name, raw]);
  }

  // Field overrides replace nodes before substitution, so `${…}` in a value resolves like one in the file.
  const { applied, problems } = applyOverrides(doc, fieldOverrides);
  for (const p of problems) errors.push({ ...locationOf(p.override.source), message: p.message });
  if (errors.length > 0) return { ok: false, errors };

  // Parameters: defaults (which may use ${ENV}), then the --set values.
  const parameters: Record<string, ParamValue> = {};
  const envLookup = (name: string) => env[name];
  const paramsNode = doc.get('parameters', true);
  if (isMap(paramsNode)) {
    for (const pair of paramsNode.items) {
      if (!isPair(pair) || !isScalar(pair.key)) continue;
      const name = String(pair.key.value);
      let node: unknown = pair.value;
      if (isMap(node)) node = node.get('default', true);
      if (!isScalar(node)) continue;
      const v = node.value;
      if (typeof v === 'string') {
        const r = substituteString(v, envLookup);
        for (const m of r.missing)
          atPath(
            ['parameters', name],
            node.range?.[0] ?? 0,
            `parameters.${name}`,
            `\${${m}} is not an environment variable`,
          );
        parameters[name] = r.value;
      } else if (typeof v === 'number' || typeof v === 'boolean') parameters[name] = v;
    }
  }
  for (const [name, raw] of parameterSets) parameters[name] = scalarFromText(raw);

  // An error at (or under) an overridden path is about the override: it names where the override was written.
  const report = (path: Path, key: string | undefined, message: string) => {
    const o = overrideAt(applied, path);
    if (o === undefined) return atPath(path, offsetOf(doc, path, key), formatPath(path), message);
    errors.push({ ...locationOf(o.override.source), message: overrideMessage(o, path, key, message) });
  };

  const lookup = (name: string) => (name in parameters ? parameters[name] : env[name]);
  const subIssues = substituteTree(doc.contents, lookup, (p) => p.length === 1 && p[0] === 'parameters');
  for (const s of subIssues) atPath(s.path, rangeOf(s.node)?.[0] ?? 0, formatPath(s.path), s.message);
  if (errors.length > 0) return { ok: false, errors };

  let tree: unknown;
  try {
    // checkAliases bounded the expansion; yaml's own guard, at the same limit, stays as a second line
    tree = doc.toJS({ maxAliasCount: MAX_EXPANDED_VALUES });
  } catch (err) {
    at(rangeOf(doc.contents)?.[0] ?? 0, '', `cannot read the YAML: ${(err as Error).message}`);
    return { ok: false, errors };
  }
  const parsed = experimentSchema.safeParse(tree);
  if (!parsed.success) {
    for (const i of zodIssues(parsed.error)) report(i.path, i.key, i.message);
    return { ok: false, errors: sortErrors(errors) };
  }
  // hosts first: a target's instances are its hosts, and the checks count them
  const semantic: SpecIssue[] = resolveExperimentHosts(parsed.data, {
    file,
    ...(options.readInventory === undefined ? {} : { readInventory: options.readInventory }),
  });
  // without the inventory a target's hosts are unknown, and counting its instances would only add noise
  if (!semantic.some((i) => i.path[0] === 'inventory')) semantic.push(...checkExperiment(parsed.data));
  for (const i of semantic) report(i.path, undefined, i.message);
  if (errors.length > 0) return { ok: false, errors: sortErrors(errors) };
  return { ok: true, spec: parsed.data, parameters };
}

/** The parameters the file declares, by name (their values do not matter here). */
function declaredParameters(doc: Document): Record<string, true> {
  const node = doc.get('parameters', true);
  if (!isMap(node)) return {};
  return Object.fromEntries(
    node.items.flatMap((p) => (isPair(p) && isScalar(p.key) ? [[String(p.key.value), true] as const] : [])),
  );
}

/**
 * A field override's value from `--set` text: a YAML flow list or map (`[a, b]`, `{ rate: 10/s }`, which is how
 * a suite passes its entries' non-scalar `set:` values on), else a scalar as for parameters.
 */
export function fieldValueFromText(raw: string): unknown {
  const t = raw.trim();
  if (t.startsWith('[') || t.startsWith('{')) {
    try {
      return parse(t);
    } catch {
      return raw; // not YAML after all: the schema says what is wrong with the text
    }
  }
  return scalarFromText(raw);
}

/** The experiment's top-level fields: a plain `--set` key naming one of them overrides it. */
const TOP_LEVEL_FIELDS: ReadonlySet<string> = new Set(Object.keys(experimentSchema.shape));

function locationOf(source: FieldOverride['source']): Omit<ExperimentError, 'message'> {
  return {
    file: source.file,
    ...(source.line === undefined ? {} : { line: source.line, column: source.column ?? 1 }),
    field: source.field,
  };
}

function overrideMessage(o: AppliedOverride, path: Path, key: string | undefined, message: string): string {
  if (key !== undefined && path.length === o.resolved.length)
    return `'${o.override.path}' names no field of the experiment (${message})`;
  const below = path.slice(o.resolved.length);
  return below.length === 0 ? message : `at ${formatPath(below)}: ${message}`;
}

function sortErrors(errors: ExperimentError[]): ExperimentError[] {
  return errors.sort(
    (a, b) =>
      Number(a.file !== errors[0]?.file) - Number(b.file !== errors[0]?.file) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0),
  );
}

/** Fields whose entries merge name by name with the base file's; every other field is taken whole. */
const MERGED_MAPS = new Set(['targets', 'monitors', 'parameters', 'hosts']);

interface Base {
  file: string;
  lineCounter: LineCounter;
  /** Whether the node at `path` was copied from the base file. */
  owns(path: Path): boolean;
}

/**
 * Merges the `extends:` file into `doc` (in place). A problem reaching or reading the base file is reported by
 * `at`, on the `extends:` line of this file; a problem inside the base file names the base file.
 */
function mergeBase(
  doc: Document,
  file: string,
  options: ValidateOptions,
  at: (offset: number, field: string, message: string) => void,
  errors: ExperimentError[],
): Base | undefined {
  const ext = doc.get('extends', true);
  if (ext === undefined) return undefined;
  const here = offsetOf(doc, ['extends']);
  if (!isScalar(ext) || typeof ext.value !== 'string' || ext.value.trim() === '') {
    at(here, 'extends', 'expected the path of an experiment file');
    return undefined;
  }
  // An absolute path means that file; a relative one is relative to this file's folder.
  const path = isAbsolute(ext.value) ? ext.value : join(dirname(file), ext.value);
  const rel = relative(process.cwd(), path);
  const shown = rel === '' || rel.startsWith('..') ? path : rel;
  let text: string;
  try {
    text = (options.readBase ?? ((p: string) => readRegularFile(p)))(path);
  } catch (err) {
    at(here, 'extends', `cannot read ${shown}: ${(err as Error).message}`);
    return undefined;
  }
  const lineCounter = new LineCounter();
  const baseDoc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  for (const e of baseDoc.errors.slice(0, MAX_SYNTAX_ERRORS)) {
    const { line, col } = lineCounter.linePos(e.pos[0]);
    errors.push({
      file: shown,
      line,
      column: col,
      field: '',
      message: e.message.split('\n')[0] ?? e.message,
    });
  }
  if (errors.length > 0) return undefined;
  const baseAt = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { file: shown, line, column: col };
  };
  if (!isMap(baseDoc.contents)) {
    const where = baseAt(rangeOf(baseDoc.contents)?.[0] ?? 0);
    errors.push({ ...where, field: '', message: 'an experiment file is a mapping' });
    return undefined;
  }
  if (baseDoc.has('extends')) {
    errors.push({
      ...baseAt(offsetOf(baseDoc, ['extends'])),
      field: 'extends',
      message: 'a base file cannot extend another (one level only)',
    });
    return undefined;
  }
  const copied = new Set<string>(); // 'key' or 'key\0name'
  const child = doc.contents;
  if (!isMap(child)) return undefined;
  for (const pair of baseDoc.contents.items) {
    if (!isPair(pair) || !isScalar(pair.key)) continue;
    const key = String(pair.key.value);
    if (key === '$schema') continue;
    const mine = doc.get(key, true);
    if (mine === undefined) {
      child.items.push(pair);
      copied.add(key);
    } else if (MERGED_MAPS.has(key) && isMap(mine) && isMap(pair.value)) {
      // the base's order first (targets start in file order), an entry of this file replacing the base's
      // entry of the same name in place, then this file's new entries
      const own = new Map(
        mine.items.flatMap((e) => (isPair(e) && isScalar(e.key) ? [[String(e.key.value), e] as const] : [])),
      );
      const merged: typeof mine.items = [];
      for (const entry of pair.value.items) {
        if (!isPair(entry) || !isScalar(entry.key)) continue;
        const name = String(entry.key.value);
        const replacement = own.get(name);
        if (replacement !== undefined) {
          merged.push(replacement);
          own.delete(name);
        } else {
          merged.push(entry);
          copied.add(`${key}\0${name}`);
        }
      }
      mine.items = [...merged, ...own.values()];
    }
  }
  return {
    file: shown,
    lineCounter,
    owns: (p) => copied.has(String(p[0])) || copied.has(`${String(p[0])}\0${String(p[1])}`),
  };
}

/** Reads and validates a file; an unreadable file is one error, not an exception. */
export function validateExperimentFile(
  path: string,
  options: Omit<ValidateOptions, 'file'> = {},
): ValidationResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return {
      ok: false,
      errors: [{ file: path, field: '', message: `cannot read: ${(err as Error).message}` }],
    };
  }
  return validateExperiment(text, { ...options, file: path });
}
