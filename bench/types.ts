/** One suite's output: a markdown table and a line or two on what it means. */
export interface BenchSection {
  title: string;
  table: string;
  notes?: string;
  /** Why the suite could not run here: RESULTS.md keeps the section it had. */
  skipped?: string;
}

/** Renders rows as a markdown table. */
export function markdownTable(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}
