/**
 * `import { chaosTest } from 'faultline/vitest'`: {@link defineChaosTest} bound to vitest's `test`.
 * Only vitest users load this module (vitest itself is theirs to install).
 */
import { test } from 'vitest';
import { defineChaosTest } from './test-runner.js';

export const chaosTest = defineChaosTest((name, fn) => test(name, fn));
