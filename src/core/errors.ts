/**
 * Errors faultline raises for misuse (bad options, bad input). They carry a stable `code` so callers and the
 * CLI can tell them apart, and a message that names the offending field. Expected runtime outcomes (a probe
 * failed, a revert failed) are returned as data, not thrown.
 */
export class FaultlineError extends Error {
  readonly code: string;
  /** The exit code the CLI uses for this error: 2 for bad input. */
  readonly exitCode: number;

  constructor(code: string, message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FaultlineError';
    this.code = code;
    this.exitCode = options?.exitCode ?? 2;
  }
}

/** An option or field had a value it cannot take. `field` is a path such as `faults[2].rate`. */
export class InvalidOptionError extends FaultlineError {
  readonly field: string;

  constructor(field: string, message: string) {
    super('FAULTLINE_INVALID_OPTION', `${field}: ${message}`);
    this.name = 'InvalidOptionError';
    this.field = field;
  }
}
