// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${name} is the experiment file's own syntax
/**
 * The published JSON Schema (schema/experiment.schema.json) checks a file as an editor sees it: as written. The
 * zod schema checks it after `extends:` merging and `${…}` substitution, so the JSON Schema generated from it is
 * bent here in three ways, and is otherwise as strict (unknown fields, wrong types and bad text still fail):
 *
 * - Wherever substitution reaches (every value but `parameters` and `extends`), a placeholder is accepted too.
 *   A value that is exactly one `${name}` takes the parameter's type, so it may stand for any scalar; text with
 *   a `${name}` in it stays text, so it is accepted only where some text is.
 * - A union told apart by a constant (`type:`, `disruptor:`) becomes `anyOf`: the constant may be a placeholder,
 *   and then more than one branch may fit. Without placeholders the constants still let only one branch match.
 * - Top-level fields are not required: a file may be the base that another one `extends:` (examples/demo/system.yaml
 *   has neither title nor duration), and any field may come from the base. `faultline validate` checks them
 *   after merging.
 */
import { PLACEHOLDER_SOURCE } from './substitute.js';

/** A JSON Schema node (draft-7). */
export type JsonSchema = { [keyword: string]: unknown };

/** A value that is one placeholder and nothing else. */
export const WHOLE_PLACEHOLDER_PATTERN = `^${PLACEHOLDER_SOURCE}$`;
/** Text with a placeholder in it; `$${` (a literal `${`) is not one, so the `$` must not follow another `$`. */
export const TEXT_PLACEHOLDER_PATTERN = `(^|[^$])${PLACEHOLDER_SOURCE}`;

const WHOLE_REF = '#/definitions/placeholder';
const TEXT_REF = '#/definitions/text_with_placeholder';

const DEFINITIONS = {
  placeholder: {
    description: 'A ${name} parameter or environment variable, substituted before the file is checked.',
    type: 'string',
    pattern: WHOLE_PLACEHOLDER_PATTERN,
  },
  text_with_placeholder: {
    description: 'Text with a ${name} in it, substituted before the file is checked.',
    type: 'string',
    pattern: TEXT_PLACEHOLDER_PATTERN,
  },
};

/** Top-level fields substitution does not reach: parameters resolve on their own, extends is read before. */
const NOT_SUBSTITUTED = new Set(['parameters', 'extends']);

/** Keywords that only describe a node; they stay on it when its checks move into an `anyOf`. */
const ANNOTATIONS = new Set(['title', 'description', 'default', 'examples']);

/** Keywords this module does not walk into; met in generated output, they fail generation instead of being missed. */
const UNHANDLED = ['allOf', 'not', 'if', 'then', 'else', 'patternProperties', 'dependencies', '$ref'];

const isSchema = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The generated experiment schema, made to accept the file as written (see above). Does not modify `generated`. */
export function asWritten(generated: JsonSchema): JsonSchema {
  const root = structuredClone(generated);
  if (root.definitions !== undefined) throw new Error('generated schema has definitions; merge them here');
  const properties = root.properties;
  if (!isSchema(properties)) throw new Error('generated schema has no properties');
  for (const [name, node] of Object.entries(properties))
    if (isSchema(node) && !NOT_SUBSTITUTED.has(name)) properties[name] = relax(node);
  delete root.required;
  root.description =
    'A faultline experiment file, or a base file that experiments extend. A ${name} placeholder is accepted wherever substitution reaches; title and duration are checked by faultline validate, once extends: is merged.';
  root.definitions = DEFINITIONS;
  return root;
}

/** `node` with its values (and theirs, down the tree) also accepting placeholders. Mutates `node`. */
function relax(node: JsonSchema, unionBranch = false): JsonSchema {
  for (const keyword of UNHANDLED)
    if (keyword in node) throw new Error(`cannot allow placeholders under ${keyword}`);
  if (isSchema(node.properties)) {
    const props = node.properties;
    for (const [name, sub] of Object.entries(props)) if (isSchema(sub)) props[name] = relax(sub);
  }
  if (isSchema(node.additionalProperties)) node.additionalProperties = relax(node.additionalProperties);
  if (isSchema(node.items)) node.items = relax(node.items);
  else if (Array.isArray(node.items)) node.items = node.items.map((i: JsonSchema) => relax(i));
  // propertyNames stay as they are: keys are never substituted.
  if (Array.isArray(node.oneOf)) {
    node.anyOf = node.oneOf;
    delete node.oneOf;
  }
  if (Array.isArray(node.anyOf)) node.anyOf = node.anyOf.map((b: JsonSchema) => relax(b, true));
  // A union gets one placeholder branch for all its branches.
  if (unionBranch) return node;

  const s = scalars(node);
  if ((!s.text && !s.other) || s.placeholderPasses) return node;
  const alternative = { $ref: s.text ? TEXT_REF : WHOLE_REF };
  const annotations: JsonSchema = {};
  const checks: JsonSchema = {};
  for (const [k, v] of Object.entries(node)) (ANNOTATIONS.has(k) ? annotations : checks)[k] = v;
  if (Object.keys(checks).length === 1 && Array.isArray(checks.anyOf))
    return { ...annotations, anyOf: [...checks.anyOf, alternative] };
  return { ...annotations, anyOf: [checks, alternative] };
}

interface Scalars {
  /** Some string passes the node (after substitution, text with a placeholder in it may become it). */
  text: boolean;
  /** Some number, boolean or null passes the node (a whole placeholder may become it). */
  other: boolean;
  /** A placeholder passes the node as it is (a plain string field). */
  placeholderPasses: boolean;
}

function scalars(node: JsonSchema): Scalars {
  if (Array.isArray(node.anyOf)) {
    const branches = (node.anyOf as JsonSchema[]).map(scalars);
    return {
      text: branches.some((b) => b.text),
      other: branches.some((b) => b.other),
      placeholderPasses: branches.some((b) => b.placeholderPasses),
    };
  }
  const types = typesOf(node);
  const text = types.includes('string');
  // Conservative: any check on the text's shape may refuse a placeholder (`${n}` is at least 4 characters).
  const shaped = ['pattern', 'enum', 'const', 'format', 'maxLength'].some((k) => k in node);
  const minLength = typeof node.minLength === 'number' ? node.minLength : 0;
  return {
    text,
    other: types.some((t) => t !== 'string' && t !== 'object' && t !== 'array'),
    placeholderPasses: text && !shaped && minLength <= 4,
  };
}

/** The JSON types a node admits, read from `type`, or else from `const` or `enum`. */
function typesOf(node: JsonSchema): string[] {
  if (typeof node.type === 'string') return [node.type];
  if (Array.isArray(node.type)) return node.type as string[];
  const values = 'const' in node ? [node.const] : Array.isArray(node.enum) ? node.enum : [];
  return values.map((v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v));
}
