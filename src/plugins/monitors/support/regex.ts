import type { DefinitionIssue } from '../../registry.js';

/** The issue of option `field` when `source` is not a regular expression; none when it is absent or compiles. */
export function regexIssues(field: string, source: string | undefined): DefinitionIssue[] {
  if (source === undefined) return [];
  try {
    new RegExp(source);
    return [];
  } catch (err) {
    return [{ path: [field], message: `not a regular expression: ${(err as Error).message}` }];
  }
}
