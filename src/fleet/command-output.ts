/** What a command run on a host gave back, and how text is quoted for that host's shell (pool and shell share them). */

export interface CommandOutput {
  stdout: string;
  stderr: string;
  /** Exit status, or null when a signal ended the command. */
  status: number | null;
  signal: string | null;
}

/** `text` as one word for a POSIX shell: in single quotes, each `'` closed, escaped and reopened. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
