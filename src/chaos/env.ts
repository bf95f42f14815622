/**
 * The edge between the pure core and the process: seeds from the environment, the global off switch, and the
 * one line that tells a user which random seed to pin when none was given.
 */
import { randomInt } from 'node:crypto';
import { globalSwitch } from '../core/injector.js';
import { normalizeSeed, type SeedInput } from '../core/random.js';

if (process.env.FAULTLINE_CHAOS_OFF === '1') globalSwitch.enabled = false;

/** A seed and where it came from. */
export interface ResolvedSeed {
  seed: number;
  source: 'option' | 'env' | 'random';
}

/** The given seed, else `FAULTLINE_SEED`, else a fresh random one (announced when its first fault fires). */
export function resolveSeed(seed: SeedInput | undefined): ResolvedSeed {
  if (seed !== undefined) return { seed: normalizeSeed(seed), source: 'option' };
  const env = process.env.FAULTLINE_SEED;
  if (env !== undefined && env.trim() !== '') return { seed: normalizeSeed(env), source: 'env' };
  return { seed: randomInt(0, 2 ** 48 - 1), source: 'random' };
}

const announced = new Set<number>();

/** Prints, once per seed, how to reproduce a run whose seed was chosen at random. */
export function announceRandomSeed(seed: number, what: string): void {
  if (announced.has(seed)) return;
  announced.add(seed);
  process.stderr.write(
    `faultline: ${what} injects faults with random seed ${seed}; FAULTLINE_SEED=${seed} reproduces it\n`,
  );
}

/** Stops every chaos driver, scope and chaos HTTP client in this process from injecting (calls still count). */
export function disableChaos(): void {
  globalSwitch.enabled = false;
}

/** Undoes {@link disableChaos}. */
export function enableChaos(): void {
  globalSwitch.enabled = true;
}

/** False after {@link disableChaos} or with `FAULTLINE_CHAOS_OFF=1`. */
export function isChaosEnabled(): boolean {
  return globalSwitch.enabled;
}
