/** A problem found in a parsed experiment, at a path in the document (the validator maps paths to positions). */
export interface SpecIssue {
  path: (string | number)[];
  message: string;
}
