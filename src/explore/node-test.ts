/**
 * `import { chaosTest } from 'faultline/node-test'`: {@link defineChaosTest} bound to node:test's `test`.
 * (For vitest: `defineChaosTest(test)` with vitest's `test`.)
 */
import { test } from 'node:test';
import { defineChaosTest } from './test-runner.js';

export const chaosTest = defineChaosTest((name, fn) => test(name, fn));
