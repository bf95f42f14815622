/**
 * What a timed toxic (latency, bandwidth, slicer) holds for one direction of one connection: chunks in the
 * order they were read, an end that waits behind them, and the one timer that releases them. Its `flush`,
 * `destroy` and `bytes` are the stage's own: a removed toxic pushes on everything it holds and then the end,
 * a destroyed one drops it all and cancels its timer.
 */
import type { ClockTimer } from '../clock.js';
import type { ToxicContext } from '../toxic.js';

/** A held chunk and the time it carries on (`ctx.push(chunk, at)`). */
export interface HeldChunk {
  chunk: Buffer;
  at: number;
}

/** Released slots at the front are dropped once there are this many and they are half the array. */
const COMPACT_AFTER = 1024;

export class HeldChunks {
  readonly #ctx: ToxicContext;
  #items: HeldChunk[] = [];
  #head = 0;
  #bytes = 0;
  #timer: ClockTimer | undefined;
  /** The source ended; the end is passed on once nothing is held before it. */
  endPending = false;

  constructor(ctx: ToxicContext) {
    this.#ctx = ctx;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Entries in the backing array, released ones included: what compaction bounds. */
  get slots(): number {
    return this.#items.length;
  }

  /** Whether the release timer is set. */
  get timing(): boolean {
    return this.#timer !== undefined;
  }

  /** The first chunk held, or undefined when none is. */
  peek(): HeldChunk | undefined {
    return this.#items[this.#head];
  }

  add(chunk: Buffer, at: number): void {
    this.#items.push({ chunk, at });
    this.#bytes += chunk.length;
  }

  /** Removes and returns the first `n` bytes of the first chunk (all of it when `n` covers it). */
  take(n = Number.POSITIVE_INFINITY): HeldChunk {
    const first = this.#items[this.#head]!;
    if (n < first.chunk.length) {
      const piece = { chunk: first.chunk.subarray(0, n), at: first.at };
      first.chunk = first.chunk.subarray(n);
      this.#bytes -= n;
      return piece;
    }
    this.#bytes -= first.chunk.length;
    this.#head++;
    if (this.#head === this.#items.length) this.#clear();
    else if (this.#head >= COMPACT_AFTER && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return first;
  }

  /** Calls `fn` after `delayMs`, replacing any timer set before. */
  setTimer(fn: () => void, delayMs: number): void {
    this.clearTimer();
    this.#timer = this.#ctx.clock.setTimeout(() => {
      this.#timer = undefined;
      fn();
    }, delayMs);
  }

  clearTimer(): void {
    this.#ctx.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** With nothing held, passes on a pending end; says whether nothing is held. */
  endIfEmpty(): boolean {
    if (this.peek() !== undefined) return false;
    if (this.endPending) {
      this.endPending = false;
      this.#ctx.end();
    }
    return true;
  }

  /** Pushes on everything held, in order, then a pending end (the toxic is being removed). */
  flush(): true {
    this.clearTimer();
    for (let i = this.#head; i < this.#items.length; i++) {
      const e = this.#items[i]!;
      this.#ctx.push(e.chunk, e.at);
    }
    this.#clear();
    this.endIfEmpty();
    return true;
  }

  /** Drops everything held and cancels the timer (the connection is closing). */
  destroy(): void {
    this.clearTimer();
    this.#clear();
  }

  #clear(): void {
    this.#items.length = 0;
    this.#head = 0;
    this.#bytes = 0;
  }
}
