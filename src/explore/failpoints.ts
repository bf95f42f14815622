/**
 * Failpoints inside an exploration run. The registry is process-wide, so a run sets its failpoints on the run's
 * seed, records each fire as a trace entry (`failpoint:<name>` #hit) from the `faultline:failpoint` diagnostics
 * channel, and unsets them when it ends. Replaying turns the recorded fires back into a term that fires exactly
 * on those hits — `2*off->1*throw("crash")->off` — so shrinking can drop fires one by one like any other fault.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { InvalidOptionError } from '../core/errors.js';
import type { TraceEntry, TraceJSON } from '../core/trace.js';
import { formatFailpointTerm } from '../failpoint/grammar.js';
import { type FailpointFiredMessage, failpoints } from '../failpoint/registry.js';

const SITE_PREFIX = 'failpoint:';
let activeRun: object | undefined;

/** The failpoints one run sets, and the fires it saw. */
export class RunFailpoints {
  readonly #names = new Set<string>();
  readonly #entries: TraceEntry[] = [];
  readonly #seed: number;
  readonly #replay: TraceJSON | undefined;
  readonly #onFire = (message: unknown) => {
    const m = message as FailpointFiredMessage;
    if (!this.#names.has(m.name)) return;
    this.#entries.push({
      site: `${SITE_PREFIX}${m.name}`,
      index: m.hit,
      rule: m.name,
      action: 'failpoint',
      detail: { term: formatFailpointTerm([{ action: m.fired.action, arg: m.fired.arg }]) },
    });
  };

  constructor(seed: number, replay: TraceJSON | undefined) {
    this.#seed = seed;
    this.#replay = replay;
  }

  /** Sets failpoint `name` to `term` for this run (in replay: to exactly the recorded fires). */
  set(name: string, term: string): void {
    if (activeRun !== undefined && activeRun !== this) {
      throw new InvalidOptionError(
        'parallel',
        'failpoints are process-wide: explore runs that set them must not run in parallel',
      );
    }
    if (this.#names.size === 0) {
      activeRun = this;
      subscribe('faultline:failpoint', this.#onFire);
      failpoints.seed(this.#seed);
    }
    this.#names.add(name);
    if (this.#replay === undefined) {
      failpoints.set(name, term, { allowUnknown: true });
      return;
    }
    const fires = this.#replay.entries
      .filter((e) => e.site === `${SITE_PREFIX}${name}`)
      .sort((a, b) => a.index - b.index);
    if (fires.length === 0) {
      failpoints.unset(name);
      return;
    }
    const parts: string[] = [];
    let hit = 0;
    for (const f of fires) {
      const gap = f.index - hit - 1;
      if (gap > 0) parts.push(`${gap}*off`);
      parts.push(`1*${String(f.detail.term)}`);
      hit = f.index;
    }
    parts.push('off');
    failpoints.set(name, parts.join('->'), { allowUnknown: true });
  }

  /** Unsets this run's failpoints and stops recording; returns the fires seen. */
  finish(): TraceEntry[] {
    if (this.#names.size > 0) {
      unsubscribe('faultline:failpoint', this.#onFire);
      for (const name of this.#names) failpoints.unset(name);
      if (activeRun === this) activeRun = undefined;
    }
    return this.#entries;
  }
}
