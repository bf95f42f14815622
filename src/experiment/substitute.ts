/**
 * `${name}` substitution in an experiment file. It runs on the parsed YAML tree, not the text, so values keep
 * their source positions (errors still point at the right line) and a substituted value cannot inject YAML
 * structure. `${name}` is a parameter when one is declared, else an environment variable; `${name:-fallback}`
 * gives a fallback; `$${` writes a literal `${`. A scalar that is exactly one `${name}` takes the value's type
 * (so `count: ${replicas}` is a number); inside longer text the value is spliced in as text.
 */
import { isMap, isPair, isScalar, isSeq, type Node } from 'yaml';

/** A parameter or environment value. */
export type ParamValue = string | number | boolean;

/** A `${…}` that could not be resolved, at a path in the document. */
export interface SubstitutionIssue {
  path: (string | number)[];
  node: Node;
  message: string;
}

/**
 * One `${name}` or `${name:-fallback}`, as regex source. The published JSON Schema accepts text shaped by it
 * wherever a value may be substituted (json-schema.ts), so both read placeholders alike.
 */
export const PLACEHOLDER_SOURCE = '\\$\\{([A-Za-z_][\\w.-]*)(?::-([^}]*))?\\}';
const REF = new RegExp(`\\$\\$\\{|${PLACEHOLDER_SOURCE}`, 'g');
const WHOLE = new RegExp(`^${PLACEHOLDER_SOURCE}$`);

/** Reads text as the scalar it would be in YAML: numbers and true/false get their types. */
export function scalarFromText(text: string): ParamValue {
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text.trim())) return Number(text);
  if (text === 'true') return true;
  if (text === 'false') return false;
  return text;
}

/** Resolves one string; `lookup` returns undefined for unknown names. Unknown names are reported, not thrown. */
export function substituteString(
  text: string,
  lookup: (name: string) => ParamValue | undefined,
): { value: ParamValue; missing: string[] } {
  const missing: string[] = [];
  const whole = WHOLE.exec(text);
  if (whole) {
    const name = whole[1] as string;
    const v = lookup(name);
    if (v !== undefined) return { value: v, missing };
    if (whole[2] !== undefined) return { value: scalarFromText(whole[2]), missing };
    return { value: text, missing: [name] };
  }
  const value = text.replace(REF, (match, name: string | undefined, fallback: string | undefined) => {
    if (name === undefined) return '${';
    const v = lookup(name);
    if (v !== undefined) return String(v);
    if (fallback !== undefined) return fallback;
    missing.push(name);
    return match;
  });
  return { value, missing };
}

/**
 * Substitutes in place in every scalar under `node`, skipping the subtrees `skip` says to (the parameters
 * section resolves separately). Returns the references that did not resolve.
 */
export function substituteTree(
  node: unknown,
  lookup: (name: string) => ParamValue | undefined,
  skip: (path: (string | number)[]) => boolean = () => false,
  path: (string | number)[] = [],
): SubstitutionIssue[] {
  const issues: SubstitutionIssue[] = [];
  if (skip(path)) return issues;
  if (isScalar(node)) {
    if (typeof node.value === 'string' && node.value.includes('$')) {
      const r = substituteString(node.value, lookup);
      node.value = r.value;
      for (const name of r.missing)
        issues.push({
          path,
          node,
          message: `\${${name}} is neither a parameter nor an environment variable (write \${${name}:-default} for a fallback)`,
        });
    }
  } else if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      issues.push(...substituteTree(pair.value, lookup, skip, [...path, key as string]));
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      issues.push(...substituteTree(item, lookup, skip, [...path, i]));
    });
  }
  return issues;
}
