/**
 * Test-runner integration: `chaosTest(name, scenario, options)` registers a test that explores the scenario and,
 * on failure, fails with the seed, the minimal fault schedule and the reproduction line. With `FAULTLINE_REPLAY`
 * set it replays that schedule instead, so a pinned failure fails the same way every time.
 */
import { type ExploreOptions, explore, formatFailure, replay, type Scenario } from './explore.js';

/** The shape of `test` in node:test and vitest: a name and an async body. */
export type TestFunction = (name: string, fn: () => Promise<void>) => unknown;

export type ChaosTestOptions = Omit<ExploreOptions, 'onProgress'>;

/** Makes a `chaosTest` for any runner whose `test(name, fn)` takes an async body (node:test, vitest, …). */
export function defineChaosTest(testFn: TestFunction) {
  return function chaosTest(name: string, scenario: Scenario, options: ChaosTestOptions = {}): unknown {
    return testFn(name, async () => {
      const pinned = process.env.FAULTLINE_REPLAY;
      if (pinned) {
        const outcome = await replay(scenario, pinned, { timeoutMs: options.timeoutMs });
        if (outcome.failed) {
          const reason = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
          throw new Error(`${name}: fails under FAULTLINE_REPLAY (seed ${outcome.seed}): ${reason}`, {
            cause: outcome.error,
          });
        }
        return;
      }
      const result = await explore(scenario, options);
      if (result.failure) throw new Error(formatFailure(name, result), { cause: result.failure.error });
    });
  };
}
