/**
 * What lies behind the failure counts. The outcome classes say what kind of failure happened; `other` says only
 * "none of the known kinds", which on its own sends a reader hunting — 100 % `other` is usually one cause (a
 * name that does not resolve, a TLS certificate refused) and naming it ends the hunt. So each transport failure
 * is also counted by its cause: the first error `code` along the error's `cause` chain (`ENOTFOUND`,
 * `EAI_AGAIN`, `DEPTH_ZERO_SELF_SIGNED_CERT`), or its message when no code is given, with the first message
 * seen for it as an example.
 *
 * Only failures are counted, off the hot path of answered requests. Distinct causes are capped so a message
 * carrying a per-request detail cannot grow the table without bound.
 */
import type { FailureClass } from '../kpi/phases.js';

/** One cause of failures of one class. */
export interface ErrorCause {
  /** The outcome class the failures were counted under. */
  outcome: FailureClass;
  /** The error code, or the message when the error had no code. */
  cause: string;
  /** The first message seen for this cause, e.g. `getaddrinfo ENOTFOUND shop.invalid`. */
  message: string;
  count: number;
}

/** Distinct (class, cause) pairs kept per run; further new ones are counted under {@link MORE_CAUSES}. */
export const MAX_CAUSES = 32;
export const MORE_CAUSES = '(more causes)';

const MAX_MESSAGE = 200;
const MAX_DEPTH = 4;

function clip(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > MAX_MESSAGE ? `${one.slice(0, MAX_MESSAGE - 1)}…` : one;
}

/** The cause (code, or message) and a message for an error of any shape. */
export function describeError(err: unknown): { cause: string; message: string } {
  let firstMessage: string | undefined;
  let e: unknown = err;
  for (let depth = 0; depth < MAX_DEPTH && e !== null && typeof e === 'object'; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    const text = typeof message === 'string' && message.trim() !== '' ? clip(message) : undefined;
    firstMessage ??= text;
    if (typeof code === 'string' && code !== '')
      return { cause: code, message: text ?? firstMessage ?? code };
    e = (e as { cause?: unknown }).cause;
  }
  const text = firstMessage ?? (clip(String(err)) || 'unknown error');
  return { cause: text, message: text };
}

/** Counts failures by class and cause. */
export class ErrorCauses {
  readonly #byKey = new Map<string, ErrorCause>();

  /** Counts a failed request: `err` is what the transport reported. */
  record(outcome: FailureClass, err: unknown): void {
    const { cause, message } = describeError(err);
    this.recordCause(outcome, cause, message);
  }

  /** Counts a failure whose cause is already known (a command's exit status). */
  recordCause(outcome: FailureClass, cause: string, message = cause): void {
    let key = `${outcome}\0${cause}`;
    let entry = this.#byKey.get(key);
    if (entry === undefined && this.#byKey.size >= MAX_CAUSES) {
      key = `${outcome}\0${MORE_CAUSES}`;
      entry = this.#byKey.get(key);
      cause = MORE_CAUSES;
      message = 'causes beyond the first ones seen are not told apart';
    }
    if (entry === undefined) {
      entry = { outcome, cause, message, count: 0 };
      this.#byKey.set(key, entry);
    }
    entry.count += 1;
  }

  /** Every cause, most frequent first (ties: first seen first). */
  list(): ErrorCause[] {
    return [...this.#byKey.values()].map((c) => ({ ...c })).sort((a, b) => b.count - a.count);
  }
}
