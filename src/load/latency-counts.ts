/**
 * Latency recording for the hot path. {@link LatencyCounts} keeps the counts of an HDR histogram with exactly the
 * layout of {@link createLatencyHistogram} (1 µs … 1 h, 3 significant digits: 2,048 sub-buckets, 23 buckets) in
 * one typed array, and finds a value's slot with a count-leading-zeros and a shift. hdr-histogram-js finds it
 * with `Math.pow` and `Math.log2`, which costs more than everything else the recorder does per request.
 * {@link LatencyCounts.toHistogram} rebuilds the same hdr-histogram-js histogram — equal counts, exact minimum
 * and maximum — for summaries and the encoded form, once per bucket rather than once per request.
 */
import { createLatencyHistogram, type LatencyHistogram } from './samples.js';

const HIGHEST_US = 3_600_000_000;
/** (buckets + 1) × half a sub-bucket count: the counts array length of the series' histograms. */
const SLOTS = 23 * 1024;

/** The slot of an integer value in [1, HIGHEST_US]. */
function slotOf(v: number): number {
  // Bucket b holds values whose highest set bit is b + 10; bucket 0 holds everything below 2,048 exactly.
  const b = 21 - Math.clz32(v);
  return b <= 0 ? v : (b << 10) + (v >>> b);
}

/** The distance from `x` (≥ 0) to the next larger double. */
function ulp(x: number): number {
  return x === 0 ? Number.MIN_VALUE : 2 ** (Math.floor(Math.log2(x)) - 52);
}

/** How many values a slot stands for: 1 below 2,048, then doubling with each bucket. */
function slotWidth(slot: number): number {
  return slot < 2048 ? 1 : 2 ** ((slot >> 10) - 1);
}

/** The lowest value a slot stands for. */
function slotValue(slot: number): number {
  let b = (slot >> 10) - 1;
  let sub = (slot & 1023) + 1024;
  if (b < 0) {
    sub -= 1024;
    b = 0;
  }
  return sub * 2 ** b;
}

/** Counts of latencies in microseconds, recorded cheaply; see the module comment. */
export class LatencyCounts {
  readonly #counts = new Uint32Array(SLOTS);
  count = 0;
  #min = HIGHEST_US;
  #max = 0;

  /** Records a latency in microseconds, rounded and clamped to 1 µs … 1 h like `recordLatencyUs`. */
  record(us: number): void {
    const v = us < 1 ? 1 : us > HIGHEST_US ? HIGHEST_US : Math.round(us);
    const slot = slotOf(v);
    this.#counts[slot] = (this.#counts[slot] as number) + 1;
    this.count += 1;
    if (v < this.#min) this.#min = v;
    if (v > this.#max) this.#max = v;
  }

  /** The largest value recorded (0 when empty). */
  get max(): number {
    return this.#max;
  }

  /**
   * The value at percentile `p` (0–100) exactly as hdr-histogram-js's `getValueAtPercentile` gives it: the
   * highest value of the slot the percentile's count (rounded up) falls in (0 when empty).
   */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const fp = (Math.min(p, 100) / 100) * this.count;
    // rounded up, less one unit in the last place so float error cannot skip a count (as the library does)
    const wanted = Math.max(1, Math.ceil(fp - ulp(fp)));
    const counts = this.#counts;
    const last = slotOf(this.#max);
    let seen = 0;
    for (let slot = slotOf(this.#min); slot <= last; slot++) {
      seen += counts[slot] as number;
      if (seen >= wanted) return p === 0 ? slotValue(slot) : slotValue(slot) + slotWidth(slot) - 1;
    }
    return slotValue(last) + slotWidth(last) - 1;
  }

  /** Forgets every value. */
  reset(): void {
    if (this.count === 0) return;
    this.#counts.fill(0, slotOf(this.#min), slotOf(this.#max) + 1);
    this.count = 0;
    this.#min = HIGHEST_US;
    this.#max = 0;
  }

  /** The equivalent hdr-histogram-js histogram. */
  toHistogram(): LatencyHistogram {
    const h = createLatencyHistogram();
    if (this.count === 0) return h;
    const counts = this.#counts;
    const minSlot = slotOf(this.#min);
    const maxSlot = slotOf(this.#max);
    for (let slot = minSlot; slot <= maxSlot; slot++) {
      let c = counts[slot] as number;
      if (c === 0) continue;
      // The extremes go in as themselves, so the histogram's min and max are exact as if recorded one by one;
      // the slot is what counts for everything else.
      if (slot === maxSlot) {
        h.recordValue(this.#max);
        c -= 1;
      }
      if (c > 0) h.recordValueWithCount(slot === minSlot ? this.#min : slotValue(slot), c);
    }
    return h;
  }
}
