/** For tests of option validation: which field the `InvalidOptionError` a call throws names. */
import assert from 'node:assert/strict';
import { InvalidOptionError } from '../../src/core/errors.js';

/** Runs `fn`, which must throw an `InvalidOptionError`; returns the field it names. */
export function thrownField(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof InvalidOptionError, `expected an InvalidOptionError, got ${String(e)}`);
    return e.field;
  }
  assert.fail('did not throw');
}
