/**
 * The trace: a record of every fault injected, addressed by (site, call index) so that it can be replayed
 * exactly. Entries are kept in a canonical order (by site, then index), never in arrival order, because arrival
 * order depends on how concurrent callers interleaved — and a trace must be identical for identical seeds.
 */

/** What kind of fault was injected. */
export type FaultKind = 'error' | 'delay' | 'hang' | 'return' | 'emit' | (string & {});

/** One injected fault. Plain JSON: it round-trips through `JSON.stringify` / {@link Trace.fromJSON}. */
export interface TraceEntry {
  /** Where: the driver name and method, e.g. `db.get` (for HTTP: `http GET /pay`). */
  site: string;
  /** Which call at that site, counting from 1. */
  index: number;
  /** The rule that fired (its `id`). */
  rule: string;
  /** What was done. */
  action: FaultKind;
  /** Enough detail to do it again: error code/name/message, delay in ms, returned value, … */
  detail: Record<string, unknown>;
}

/** Calls and faults seen at one site. */
export interface SiteSummary {
  calls: number;
  faults: number;
}

/** The JSON form of a trace. */
export interface TraceJSON {
  version: 1;
  seed: number;
  calls: Record<string, number>;
  entries: TraceEntry[];
}

function compareEntries(a: TraceEntry, b: TraceEntry): number {
  if (a.site !== b.site) return a.site < b.site ? -1 : 1;
  return a.index - b.index;
}

/** An append-only record of injected faults plus call counts per site. */
export class Trace {
  readonly seed: number;
  readonly #entries: TraceEntry[] = [];
  readonly #calls = new Map<string, number>();
  #sorted = true;

  constructor(seed: number) {
    this.seed = seed;
  }

  /** Records one injected fault. */
  record(entry: TraceEntry): void {
    const last = this.#entries[this.#entries.length - 1];
    if (last && compareEntries(last, entry) > 0) this.#sorted = false;
    this.#entries.push(entry);
  }

  /** Notes that `site` has now seen `count` calls (the highest index wins). */
  noteCall(site: string, index: number): void {
    const seen = this.#calls.get(site) ?? 0;
    if (index > seen) this.#calls.set(site, index);
  }

  /** Entries in canonical order: by site, then call index. */
  get entries(): readonly TraceEntry[] {
    if (!this.#sorted) {
      this.#entries.sort(compareEntries);
      this.#sorted = true;
    }
    return this.#entries;
  }

  /** Number of faults recorded. */
  get size(): number {
    return this.#entries.length;
  }

  /** Calls and faults per site, sites in name order. */
  summary(): Record<string, SiteSummary> {
    const out: Record<string, SiteSummary> = {};
    for (const site of [...new Set([...this.#calls.keys(), ...this.#entries.map((e) => e.site)])].sort()) {
      out[site] = { calls: this.#calls.get(site) ?? 0, faults: 0 };
    }
    for (const e of this.#entries) out[e.site]!.faults += 1;
    return out;
  }

  /** Forgets every entry and call count. */
  clear(): void {
    this.#entries.length = 0;
    this.#calls.clear();
    this.#sorted = true;
  }

  toJSON(): TraceJSON {
    const calls: Record<string, number> = {};
    for (const site of [...this.#calls.keys()].sort()) calls[site] = this.#calls.get(site)!;
    return { version: 1, seed: this.seed, calls, entries: this.entries.map((e) => ({ ...e })) };
  }

  /** Rebuilds a trace from its JSON form (an object or a JSON string), checking its shape. */
  static fromJSON(input: TraceJSON | string): Trace {
    const json = (typeof input === 'string' ? JSON.parse(input) : input) as Partial<TraceJSON>;
    if (!json || typeof json !== 'object' || !Array.isArray(json.entries)) {
      throw new TypeError('trace: expected an object with an `entries` array');
    }
    const trace = new Trace(typeof json.seed === 'number' ? json.seed : 0);
    json.entries.forEach((e, i) => {
      if (typeof e?.site !== 'string' || !Number.isInteger(e.index) || e.index < 1) {
        throw new TypeError(`trace.entries[${i}]: needs a string \`site\` and a positive integer \`index\``);
      }
      trace.record({
        site: e.site,
        index: e.index,
        rule: String(e.rule ?? ''),
        action: String(e.action ?? 'error'),
        detail: e.detail && typeof e.detail === 'object' ? { ...e.detail } : {},
      });
    });
    for (const [site, n] of Object.entries(json.calls ?? {}))
      if (typeof n === 'number') trace.noteCall(site, n);
    return trace;
  }
}

/** A one-line description of an entry, e.g. `db.put #3 rejected with ETIMEDOUT (rule flaky-writes)`. */
export function describeEntry(e: TraceEntry): string {
  const d = e.detail;
  let what: string = e.action;
  if (e.action === 'error' || e.action === 'emit') {
    const label = d.code ?? d.status ?? d.name;
    what = `${e.action === 'emit' ? "emitted 'error'" : 'rejected with'} ${String(label ?? 'an error')}`;
  } else if (e.action === 'delay') what = `delayed ${String(d.ms)} ms`;
  else if (e.action === 'hang') what = 'hung';
  else if (e.action === 'return') what = `returned ${JSON.stringify(d.value)}`;
  // Actions of the HTTP and network layers.
  else if (e.action === 'status') {
    what = `status ${String(d.status)}${d.truncate !== undefined ? ` truncated at ${String(d.truncate)} bytes` : ''}`;
  } else if (e.action === 'reset') what = d.mode === 'rst' ? 'reset (RST)' : 'reset';
  else if (e.action === 'truncate') what = `truncated at ${String(d.truncate)} bytes`;
  else if (e.action === 'slow-body') what = `body slowed ${String(d.chunkMs)} ms per chunk`;
  else if (e.action === 'failpoint') what = `fired ${String(d.term)}`;
  if (e.action !== 'delay' && typeof d.ms === 'number' && d.ms > 0) what += ` after ${d.ms} ms`;
  return `${e.site} #${e.index} ${what}${e.rule ? ` (rule ${e.rule})` : ''}`;
}
