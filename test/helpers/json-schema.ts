/**
 * A small JSON Schema (draft-7) validator for tests: the keywords zod's `toJSONSchema` emits, checked exactly.
 * A keyword it does not know is an error, never skipped, so a schema that grows past this subset fails loudly
 * instead of passing everything. (A maintained validator such as ajv would replace it; the project has none.)
 */

type Schema = boolean | { [keyword: string]: unknown };

/** Keywords that describe and never constrain. */
const ANNOTATIONS = new Set([
  '$schema',
  '$id',
  'title',
  'description',
  'default',
  'examples',
  'definitions',
  '$comment',
]);

const CHECKED = new Set([
  '$ref',
  'type',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'items',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'anyOf',
  'oneOf',
  'allOf',
  'not',
]);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function hasType(v: unknown, type: string): boolean {
  if (type === 'integer') return typeof v === 'number' && Number.isInteger(v);
  if (type === 'number') return typeof v === 'number' && Number.isFinite(v);
  return typeOf(v) === type;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeOf(v) === 'object';
}

/** Deep equality of JSON values (for enum and const). */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeOf(a) !== typeOf(b) || typeof a !== 'object' || a === null) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return (
    ka.length === kb.length &&
    ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}

/** Resolves `#` and `#/definitions/NAME` (JSON pointers inside the root document). */
function resolve(root: Schema, ref: string): Schema {
  if (!ref.startsWith('#')) throw new Error(`$ref ${ref}: only refs inside the document are supported`);
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = (node as Record<string, unknown>)[key];
    if (node === undefined) throw new Error(`$ref ${ref}: not found`);
  }
  return node as Schema;
}

/**
 * Every place `value` breaks `schema`, as `path: what` lines (empty when it conforms). Throws on a keyword the
 * helper cannot check.
 */
export function validateJsonSchema(schema: Schema, value: unknown): string[] {
  const errors: string[] = [];
  check(schema, schema, value, '$', errors);
  return errors;
}

function check(root: Schema, schema: Schema, v: unknown, path: string, errors: string[]): void {
  if (schema === true) return;
  if (schema === false) {
    errors.push(`${path}: not allowed`);
    return;
  }
  for (const k of Object.keys(schema))
    if (!ANNOTATIONS.has(k) && !CHECKED.has(k)) throw new Error(`${path}: unsupported keyword ${k}`);
  const s = schema as Record<string, unknown>;
  const sub = (x: Schema, at: string): string[] => {
    const e: string[] = [];
    check(root, x, v, at, e);
    return e;
  };
  if (typeof s.$ref === 'string') check(root, resolve(root, s.$ref), v, path, errors);
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    if (!types.some((t) => hasType(v, t))) {
      errors.push(`${path}: expected ${types.join(' or ')}, got ${typeOf(v)}`);
      return;
    }
  }
  if (Array.isArray(s.enum) && !s.enum.some((x) => same(x, v)))
    errors.push(`${path}: ${JSON.stringify(v)} is not one of ${JSON.stringify(s.enum)}`);
  if ('const' in s && !same(s.const, v))
    errors.push(`${path}: expected ${JSON.stringify(s.const)}, got ${JSON.stringify(v)}`);
  if (typeof v === 'number') {
    if (typeof s.minimum === 'number' && v < s.minimum) errors.push(`${path}: ${v} < ${s.minimum}`);
    if (typeof s.maximum === 'number' && v > s.maximum) errors.push(`${path}: ${v} > ${s.maximum}`);
    if (typeof s.exclusiveMinimum === 'number' && v <= s.exclusiveMinimum)
      errors.push(`${path}: ${v} ≤ ${s.exclusiveMinimum}`);
    if (typeof s.exclusiveMaximum === 'number' && v >= s.exclusiveMaximum)
      errors.push(`${path}: ${v} ≥ ${s.exclusiveMaximum}`);
  }
  if (typeof v === 'string') {
    const length = [...v].length;
    if (typeof s.minLength === 'number' && length < s.minLength)
      errors.push(`${path}: shorter than ${s.minLength}`);
    if (typeof s.maxLength === 'number' && length > s.maxLength)
      errors.push(`${path}: longer than ${s.maxLength}`);
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(v))
      errors.push(`${path}: does not match ${s.pattern}`);
  }
  if (Array.isArray(v)) {
    if (typeof s.minItems === 'number' && v.length < s.minItems)
      errors.push(`${path}: fewer than ${s.minItems} items`);
    if (typeof s.maxItems === 'number' && v.length > s.maxItems)
      errors.push(`${path}: more than ${s.maxItems} items`);
    if (s.items !== undefined) {
      if (Array.isArray(s.items)) throw new Error(`${path}: tuple items are not supported`);
      v.forEach((x, i) => {
        check(root, s.items as Schema, x, `${path}[${i}]`, errors);
      });
    }
  }
  if (isObject(v)) {
    const props = (s.properties ?? {}) as Record<string, Schema>;
    for (const name of (s.required ?? []) as string[])
      if (!(name in v)) errors.push(`${path}: missing required field ${name}`);
    for (const [name, x] of Object.entries(v)) {
      const at = `${path}.${name}`;
      if (s.propertyNames !== undefined) check(root, s.propertyNames as Schema, name, `${at} (name)`, errors);
      if (name in props) check(root, props[name] as Schema, x, at, errors);
      else if (s.additionalProperties !== undefined)
        check(root, s.additionalProperties as Schema, x, at, errors);
    }
  }
  if (Array.isArray(s.allOf)) for (const x of s.allOf as Schema[]) check(root, x, v, path, errors);
  if (Array.isArray(s.anyOf)) {
    const tries = (s.anyOf as Schema[]).map((x) => sub(x, path));
    if (!tries.some((e) => e.length === 0))
      errors.push(`${path}: matches none of anyOf (${tries.map((e) => e[0]).join(' | ')})`);
  }
  if (Array.isArray(s.oneOf)) {
    const tries = (s.oneOf as Schema[]).map((x) => sub(x, path));
    const matched = tries.filter((e) => e.length === 0).length;
    if (matched === 0) errors.push(`${path}: matches none of oneOf (${tries.map((e) => e[0]).join(' | ')})`);
    else if (matched > 1) errors.push(`${path}: matches ${matched} of oneOf, expected exactly one`);
  }
  if (s.not !== undefined && sub(s.not as Schema, path).length === 0) errors.push(`${path}: matches not`);
}
