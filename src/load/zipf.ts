/**
 * Zipf-distributed integers 1..n without a table (so n can be 10^9): rejection-inversion sampling after
 * Hörmann and Derflinger, "Rejection-inversion to generate variates from monotone discrete distributions"
 * (1996). Each attempt takes one uniform; attempts for one draw read successive lanes of the caller's counter
 * so a draw stays a pure function of (seed, stream, counter). Fewer than 1.1 attempts are needed on average.
 */
import { InvalidOptionError } from '../core/errors.js';

function helper1(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1 / 3 - 0.25 * x));
}

function helper2(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + (x / 3) * (1 + 0.25 * x));
}

/** A Zipf(n, s) sampler over 1..n: P(k) ∝ 1 / k^s. */
export interface ZipfSampler {
  /** Draws k ∈ [1, n]; `uniform(attempt)` must return independent values in [0, 1). */
  sample(uniform: (attempt: number) => number): number;
}

/**
 * Creates a sampler for P(k) ∝ k^−s, k = 1..n.
 * @throws InvalidOptionError when n is not a positive integer or s is not > 0.
 */
export function createZipf(n: number, s = 1): ZipfSampler {
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidOptionError('zipf.n', `must be a positive integer, got ${n}`);
  if (!Number.isFinite(s) || s <= 0) throw new InvalidOptionError('zipf.s', `must be > 0, got ${s}`);
  const h = (x: number) => Math.exp(-s * Math.log(x));
  const hIntegral = (x: number) => {
    const logX = Math.log(x);
    return helper2((1 - s) * logX) * logX;
  };
  const hIntegralInverse = (x: number) => {
    let t = x * (1 - s);
    if (t < -1) t = -1;
    return Math.exp(helper1(t) * x);
  };
  const hX1 = hIntegral(1.5) - 1;
  const hN = hIntegral(n + 0.5);
  const sVal = 2 - hIntegralInverse(hIntegral(2.5) - h(2));
  return {
    sample(uniform) {
      for (let attempt = 0; ; attempt++) {
        const u = hN + uniform(attempt) * (hX1 - hN);
        const x = hIntegralInverse(u);
        let k = Math.floor(x + 0.5);
        if (k < 1) k = 1;
        else if (k > n) k = n;
        if (k - x <= sVal || u >= hIntegral(k + 0.5) - h(k)) return k;
      }
    },
  };
}
