/**
 * CLI error presentation: a user sees one clear line naming what was wrong, never a stack trace, unless
 * FAULTLINE_DEBUG=1 asks for it.
 */
import { FaultlineError } from '../core/errors.js';

export function formatCliError(err: unknown): string {
  if (process.env.FAULTLINE_DEBUG === '1' && err instanceof Error && err.stack) return err.stack;
  if (err instanceof FaultlineError) return `faultline: ${err.message}`;
  if (err instanceof Error) return `faultline: ${err.message}`;
  return `faultline: ${String(err)}`;
}

/** 2 for bad input (options, files), 1 for anything else. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof FaultlineError) return err.exitCode;
  return 1;
}
