/**
 * Field overrides: `--set faults.kill-a-replica.every=10s` on the command line, `set:` in a suite entry. A path
 * walks the file's YAML tree after `extends:` is merged (so a base file's fields can be overridden too); a
 * segment on a list names the entry whose `name:` it is, or its index. The value replaces the node before
 * substitution and checking, so a bad value is reported by the same checks as one written in the file.
 *
 * Only the last segment may name a field the file does not set yet (`every` of a fault without one); a missing
 * step before it, or a last field the schema does not know, is an error naming the path — never a silent no-op.
 */
import { type Document, isMap, isPair, isScalar, isSeq } from 'yaml';

/** Where an override came from, for errors: the `--set` option, or a suite file's line. */
export interface OverrideSource {
  file: string;
  line?: number;
  column?: number;
  /** The field errors name, e.g. `--set faults.kill.every` or `runs.nightly.set.faults.kill.every`. */
  field: string;
}

/** One override: a dotted path and the value it sets (a YAML value: scalar, list or map). */
export interface FieldOverride {
  path: string;
  value: unknown;
  source: OverrideSource;
}

/** An override applied: the resolved path into the tree (list entries as indexes). */
export interface AppliedOverride {
  override: FieldOverride;
  resolved: (string | number)[];
}

export type OverrideProblem = { override: FieldOverride; message: string };

/**
 * Whether `--set key=value` overrides a field rather than a parameter: a dotted key always does; a plain key does
 * when it names a top-level field and no parameter of that name is declared (a declared parameter keeps its
 * meaning, so `--set duration=20s` on a file with a `duration` parameter is what it always was).
 */
export function isFieldKey(key: string, topLevel: ReadonlySet<string>, parameters: object): boolean {
  if (key.includes('.')) return true;
  return topLevel.has(key) && !(key in parameters);
}

function nameOf(item: unknown): string | undefined {
  if (!isMap(item)) return undefined;
  const n = item.get('name', true);
  return isScalar(n) ? String(n.value) : undefined;
}

/** Applies `overrides` to `doc` in place; returns what was applied and what could not be. */
export function applyOverrides(
  doc: Document,
  overrides: readonly FieldOverride[],
  what = 'the experiment',
): { applied: AppliedOverride[]; problems: OverrideProblem[] } {
  const applied: AppliedOverride[] = [];
  const problems: OverrideProblem[] = [];
  for (const o of overrides) {
    const segments = o.path.split('.');
    if (segments.some((s) => s === '')) {
      problems.push({ override: o, message: `'${o.path}' is not a field path (empty segment)` });
      continue;
    }
    let node: unknown = doc.contents;
    const resolved: (string | number)[] = [];
    let problem: string | undefined;
    for (const [i, seg] of segments.entries()) {
      const last = i === segments.length - 1;
      const here = resolved.length === 0 ? 'the file' : describe(segments.slice(0, i));
      if (isMap(node)) {
        if (last) {
          node.set(seg, doc.createNode(o.value));
          resolved.push(seg);
          break;
        }
        const child = node.get(seg, true);
        if (child === undefined || child === null) {
          const keys = node.items.flatMap((p) => (isPair(p) && isScalar(p.key) ? [String(p.key.value)] : []));
          problem = `'${o.path}' names no field of ${what}: ${here} has no '${seg}'${keys.length ? ` (it has: ${keys.join(', ')})` : ''}`;
          break;
        }
        resolved.push(seg);
        node = child;
      } else if (isSeq(node)) {
        let index = node.items.findIndex((item) => nameOf(item) === seg);
        if (index < 0 && /^\d+$/.test(seg) && Number(seg) < node.items.length) index = Number(seg);
        if (index < 0) {
          const names = node.items.flatMap((item) => nameOf(item) ?? []);
          problem = `'${o.path}' names no field of ${what}: ${here} has no entry named '${seg}'${names.length ? ` (named: ${names.join(', ')})` : ''}`;
          break;
        }
        if (last) {
          problem = `'${o.path}' names a whole entry of ${here}; set one of its fields`;
          break;
        }
        resolved.push(index);
        node = node.items[index];
      } else {
        problem = `'${o.path}' names no field of ${what}: ${here} is a value, not a map or a list`;
        break;
      }
    }
    if (problem !== undefined) problems.push({ override: o, message: problem });
    else applied.push({ override: o, resolved });
  }
  return { applied, problems };
}

function describe(segments: string[]): string {
  return segments.join('.');
}

/** The override whose resolved path is `path` or one of its ancestors (the one an error at `path` is about). */
export function overrideAt(
  applied: readonly AppliedOverride[],
  path: readonly PropertyKey[],
): AppliedOverride | undefined {
  return applied.find(
    (a) => a.resolved.length <= path.length && a.resolved.every((seg, i) => String(seg) === String(path[i])),
  );
}
