/**
 * `--seed` as the commands that take a word or a number read it (run, explore, load). Commander hands `-5` over as
 * the option's value, so the refusal of negative seeds has to happen here: `-5` must never quietly mean seed 5.
 */
import { InvalidOptionError } from '../core/errors.js';
import { normalizeSeed } from '../core/random.js';

/** The canonical seed for `text`; bad input is an error naming `field` (`--seed`, `FAULTLINE_SEED`). */
export function parseSeedOption(text: string, field = '--seed'): number {
  // an empty value is almost always an unset shell variable, not a seed anyone chose
  if (text.trim() === '') throw new InvalidOptionError(field, 'is empty; give a whole number >= 0 or a word');
  try {
    return normalizeSeed(text);
  } catch (err) {
    throw new InvalidOptionError(field, (err as Error).message.replace(/^seed /, ''));
  }
}
