/**
 * Counter-based, splittable randomness.
 *
 * Why counter-based: a chaos run is concurrent. If every decision pulled the next value from one shared
 * sequential generator, the value "the 3rd call to db.get" sees would depend on how many other calls happened
 * to run before it — a different interleaving would shift every later decision and a seed would reproduce
 * nothing. Here a value is a pure hash of (stream key, counter, lane): the 3rd call to db.get always reads
 * `stream('db.get').at(3)`, whatever ran before it. Streams fork by name (`fork('proxy/redis/conn-17')`), so
 * adding a consumer never changes the values another consumer sees.
 *
 * The mixer is two 32-bit lanes of the murmur3 finaliser (full avalanche), chained so that key, counter and
 * lane all affect all 53 output bits. It is not cryptographic; it is fast (no BigInt) and statistically sound
 * for fault decisions, which the tests check (uniformity, independence of neighbouring counters).
 */

/** What a seed may be given as: an integer (up to 2^53), a bigint, or any string (hashed). */
export type SeedInput = number | bigint | string;

const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_53 = 2 ** 53;

/** murmur3's 32-bit finaliser: every input bit flips each output bit with probability ~1/2. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit hash of a string, continuing from `h` (so two different `h` give two independent hashes). */
export function hashString(text: string, h = 0x811c9dc5): number {
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  }
  return mix32(h ^ text.length);
}

/**
 * Turns any accepted seed into a canonical non-negative integer below 2^53, the form traces record.
 * A negative integer is refused: folding it onto its absolute value would make `-5` silently replay seed 5's
 * schedule, and a user who typed `-5` meant some other seed.
 */
export function normalizeSeed(seed: SeedInput): number {
  if (typeof seed === 'number') {
    if (!Number.isFinite(seed) || !Number.isInteger(seed)) {
      throw new RangeError(`seed must be an integer, a bigint or a string; got ${seed}`);
    }
    if (seed < 0) throw new RangeError(negativeSeed(seed));
    return Math.abs(seed) % TWO_POW_53; // abs: -0 becomes 0
  }
  if (typeof seed === 'bigint') {
    if (seed < 0n) throw new RangeError(negativeSeed(seed));
    return Number(seed % BigInt(TWO_POW_53));
  }
  if (typeof seed === 'string') {
    if (/^-?\d+$/.test(seed.trim())) return normalizeSeed(BigInt(seed.trim()));
    const hi = hashString(seed, 0x9747b28c) & 0x1fffff;
    return hi * TWO_POW_32 + hashString(seed);
  }
  throw new TypeError(`seed must be an integer, a bigint or a string; got ${typeof seed}`);
}

function negativeSeed(seed: number | bigint): string {
  return `seed must be a whole number >= 0 or a word; got ${seed} (a negative seed is refused, not taken as ${-seed})`;
}

/**
 * A stream of uniform values addressed by counter: `at(n)` is a pure function of (key, n, lane).
 * `next()` reads the stream sequentially for consumers that own it alone (one proxy connection, one run).
 */
export class RandomStream {
  readonly k0: number;
  readonly k1: number;
  #cursor = 0;

  /** @internal use {@link randomStream} or {@link RandomStream.fork}. */
  constructor(k0: number, k1: number) {
    this.k0 = k0 >>> 0;
    this.k1 = k1 >>> 0;
  }

  /** An independent stream named `name` under this one; the same name always gives the same stream. */
  fork(name: string): RandomStream {
    return new RandomStream(hashString(name, this.k0), hashString(name, this.k1 ^ 0x5bd1e995));
  }

  /** The value in [0, 1) at counter `n` (an integer up to 2^53) on `lane` (a small integer or a hashed name). */
  at(n: number, lane = 0): number {
    const lo = n >>> 0;
    const hi = Math.floor(n / TWO_POW_32) >>> 0;
    const a = mix32(this.k0 ^ mix32(lo + Math.imul(lane, 0x9e3779b9)));
    const b = mix32(this.k1 ^ mix32(hi ^ a ^ Math.imul(lane + 1, 0x7feb352d)));
    const c = mix32(a ^ Math.imul(b, 0x846ca68b));
    // 27 high bits of b and 26 of c make a 53-bit mantissa.
    return ((b >>> 5) * 67108864 + (c >>> 6)) / TWO_POW_53;
  }

  /** An integer in [min, max] (inclusive) at counter `n`. */
  intAt(n: number, min: number, max: number, lane = 0): number {
    return min + Math.floor(this.at(n, lane) * (max - min + 1));
  }

  /** The next value of this stream read in order; independent of `at` callers on the same stream only by lane. */
  next(): number {
    this.#cursor += 1;
    return this.at(this.#cursor, 0x2545f491);
  }

  /** The next integer in [min, max] (inclusive), read in order. */
  nextInt(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
}

/** The root stream of a seed. */
export function randomStream(seed: SeedInput): RandomStream {
  const s = normalizeSeed(seed);
  const lo = s >>> 0;
  const hi = Math.floor(s / TWO_POW_32) >>> 0;
  return new RandomStream(mix32(lo ^ 0x3c6ef372) ^ hi, mix32(hi ^ 0xa54ff53a) ^ mix32(lo + 0x510e527f));
}

/** Lane number for a name, so draws for different purposes at the same counter are independent. */
export function laneOf(name: string): number {
  return hashString(name, 0x27d4eb2f) & 0x7fffffff;
}
