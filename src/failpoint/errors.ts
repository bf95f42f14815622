/**
 * The two errors failpoints raise: {@link FailpointError} is the injected failure itself (a `throw` term fired);
 * {@link FailpointParseError} is misuse (a term that does not parse) and says where and what was expected.
 */
import { FaultlineError } from '../core/errors.js';

/**
 * Raised by `failpoint()` / `failpointSync()` when a `throw` (or `panic`) term fires. `failpoint` is the
 * failpoint's name and `term` the full term text that was set, so a log line says which wrench did it.
 */
export class FailpointError extends Error {
  readonly code = 'FAULTLINE_FAILPOINT';
  /** The failpoint's name, e.g. `upgrade.refuse`. */
  readonly failpoint: string;
  /** The term that was active when it fired, e.g. `2*throw("refused")->off`. */
  readonly term: string;
  /** The `ctx` the caller passed to `failpoint(name, ctx)`, if any. */
  readonly context: unknown;

  constructor(failpoint: string, term: string, message?: string, context?: unknown) {
    super(message ?? `failpoint ${failpoint} fired (${term})`);
    this.name = 'FailpointError';
    this.failpoint = failpoint;
    this.term = term;
    this.context = context;
  }
}

/**
 * A failpoint term (or a `FAULTLINE_FAILPOINTS` list) that does not parse. `column` is 1-based into `input`;
 * `expected` says what the parser wanted there and `found` what it saw (`end of input` at the end).
 */
export class FailpointParseError extends FaultlineError {
  readonly input: string;
  readonly column: number;
  readonly expected: string;
  readonly found: string;

  constructor(input: string, column: number, expected: string, found: string, what = 'failpoint term') {
    super(
      'FAULTLINE_FAILPOINT_PARSE',
      `bad ${what} ${JSON.stringify(input)} at column ${column}: expected ${expected}, found ${found}`,
    );
    this.name = 'FailpointParseError';
    this.input = input;
    this.column = column;
    this.expected = expected;
    this.found = found;
  }
}
