/**
 * Failpoints: named places in a program's own code where a test, a CI job or an operator can drop a wrench at
 * run time — a chance of an error, a count of slow calls, a crash, a hold that releases callers one by one.
 *
 * This module keeps the registry (which failpoints exist, their terms, hits, fires and paused callers) and the
 * two calls code makes, `await failpoint(name)` and `failpointSync(name)`. Both start with one check of a
 * module-level boolean, so a failpoint costs nothing measurable until something is switched on (see
 * bench/suites/failpoint.ts). Percentages draw from the seeded core: the k-th hit of failpoint `x` reads
 * `randomStream(seed).fork('failpoint/x').at(k, termIndex)`, so a seed reproduces which hits fired and one
 * failpoint's draws never shift another's.
 */
import { channel } from 'node:diagnostics_channel';
import { writeSync } from 'node:fs';
import { FaultlineError, InvalidOptionError } from '../core/errors.js';
import { normalizeSeed, type RandomStream, randomStream, type SeedInput } from '../core/random.js';
import { FailpointError } from './errors.js';
import {
  type FailpointSpec,
  type FailpointTerm,
  type FailpointValue,
  isValidFailpointName,
  parseFailpointTerm,
} from './grammar.js';
import { ALLOW_HINT, productionRefusal } from './switches.js';

/** What {@link failpoints.list} reports for one failpoint. */
export interface FailpointInfo {
  name: string;
  /** From {@link failpoints.declare}. */
  description?: string;
  declared: boolean;
  /** Whether code has reached it while failpoints were switched on or the control endpoint was running. */
  reached: boolean;
  /** The active term, or null when none is set. */
  term: string | null;
  /** Hits and fires since its term was set (hits count only while something is switched on, see docs). */
  hits: number;
  fires: number;
  /** Callers paused at it right now. */
  waiters: number;
}

/** A caller paused at a failpoint. */
export interface FailpointWaiter {
  /** Unique in the process; pass to {@link failpoints.releaseWaiter} to release this caller alone. */
  id: number;
  /** When it paused, ISO 8601. */
  since: string;
  /** The `ctx` it passed to `failpoint(name, ctx)`. */
  ctx: unknown;
}

export interface FailpointSetOptions {
  /** Set a name no code has reached or declared yet without a warning (its code is not loaded yet). */
  allowUnknown?: boolean;
}

/** Published on the `faultline:failpoint` diagnostics channel each time a failpoint fires. */
export interface FailpointFiredMessage {
  name: string;
  term: string;
  action: FailpointTerm['action'];
  /** 1-based hit number since the term was set. */
  hit: number;
  /** The term of the chain that fired (so a recorder can replay exactly this fire). */
  fired: FailpointTerm;
  ctx: unknown;
}

interface LiveTerm {
  readonly term: FailpointTerm;
  /** Probability in [0, 1]; 1 when the term has no percentage. */
  readonly p: number;
  /** Fires left; -1 for unlimited, 0 when used up. */
  remaining: number;
}

interface Activation {
  readonly spec: FailpointSpec;
  readonly terms: LiveTerm[];
  hitIndex: number;
  stream: RandomStream;
}

interface Waiter {
  readonly id: number;
  readonly since: number;
  readonly ctx: unknown;
  readonly resolve: () => void;
}

interface Site {
  readonly name: string;
  description: string | undefined;
  declared: boolean;
  reached: boolean;
  /** Set before, or set with allowUnknown: setting it again is not a surprise. */
  allowed: boolean;
  activation: Activation | undefined;
  hits: number;
  fires: number;
  waiters: Waiter[];
}

interface Fired {
  readonly site: Site;
  readonly activation: Activation;
  readonly term: FailpointTerm;
  readonly hit: number;
}

/** Reached-but-never-set failpoints tracked at most; a program that builds names from data cannot grow this. */
const MAX_TRACKED = 10_000;
const RESOLVED: Promise<undefined> = Promise.resolve(undefined);
const firedChannel = channel('faultline:failpoint');

/**
 * The one check on the inactive path: true while any failpoint has a term set or while reached failpoints are
 * being tracked (a control endpoint is running). Everything else lives behind it.
 */
let anyActive = false;
let activeCount = 0;
let trackers = 0;
let disabledBy: string | undefined;
const sites = new Map<string, Site>();
let waiterSeq = 0;
let totalWaiters = 0;
const waiterListeners = new Set<() => void>();

let seedValue = normalizeSeed(Math.floor(Math.random() * 2 ** 53));
let seedExplicit = false;
let seedNoted = false;
let root = randomStream(seedValue);

function refresh(): void {
  anyActive = activeCount > 0 || trackers > 0;
}

/**
 * Marks a failpoint. Resolves to `undefined` when it is not switched on (the normal case: one boolean check);
 * otherwise runs its term: `return(v)` resolves to `v`, `throw` rejects with a {@link FailpointError},
 * `sleep(ms)` resolves later, `delay(ms)` stalls the thread, `pause` waits until released, `yield` lets
 * everything ready run first, `print` logs, `break` stops in an attached debugger, `exit(code)` ends the process.
 *
 * @param name where this is, e.g. `upgrade.refuse` or `journal.afterWrite`
 * @param ctx anything that helps whoever is watching: it is printed by `print`, shown by `waiters`, and put on
 *   the error `throw` raises
 */
export function failpoint<T = unknown>(name: string, ctx?: unknown): Promise<T | undefined> {
  if (!anyActive) return RESOLVED;
  return hitAsync(name, ctx) as Promise<T | undefined>;
}

/**
 * The synchronous form of {@link failpoint} for code that cannot await. `sleep` blocks the thread;
 * `pause` and `yield` cannot work here (nothing else runs until the caller returns) and raise a misuse error.
 */
export function failpointSync<T = unknown>(name: string, ctx?: unknown): T | undefined {
  if (!anyActive) return undefined;
  return hitSync(name, ctx) as T | undefined;
}

function hitAsync(name: string, ctx: unknown): Promise<unknown> {
  const f = evaluate(name, ctx);
  if (f === undefined) return RESOLVED;
  const { term } = f;
  switch (term.action) {
    case 'return':
      return Promise.resolve(returnValue(term.arg));
    case 'throw':
      return Promise.reject(thrown(f, ctx));
    case 'sleep':
      return new Promise((resolve) => setTimeout(resolve, term.arg as number, undefined));
    case 'delay':
      spin(term.arg as number);
      return RESOLVED;
    case 'pause':
      return pauseAt(f.site, ctx);
    case 'yield':
      // setImmediate runs after the I/O callbacks and timers already due: everything ready goes first
      return new Promise((resolve) => setImmediate(resolve, undefined));
    case 'print':
      print(f, ctx);
      return RESOLVED;
    case 'break':
      breakHere(f, ctx);
      return RESOLVED;
    case 'exit':
      return exitNow(f);
    case 'off':
      return RESOLVED;
  }
}

function hitSync(name: string, ctx: unknown): unknown {
  const f = evaluate(name, ctx);
  if (f === undefined) return undefined;
  const { term } = f;
  switch (term.action) {
    case 'return':
      return returnValue(term.arg);
    case 'throw':
      throw thrown(f, ctx);
    case 'sleep':
      sleepSync(term.arg as number);
      return undefined;
    case 'delay':
      spin(term.arg as number);
      return undefined;
    case 'pause':
      throw new FaultlineError(
        'FAULTLINE_FAILPOINT_SYNC_PAUSE',
        `failpoint ${name}: pause needs the async failpoint(); failpointSync() cannot wait to be released`,
      );
    case 'yield':
      throw new FaultlineError(
        'FAULTLINE_FAILPOINT_SYNC_YIELD',
        `failpoint ${name}: yield needs the async failpoint(); nothing else can run until failpointSync() returns`,
      );
    case 'print':
      print(f, ctx);
      return undefined;
    case 'break':
      breakHere(f, ctx);
      return undefined;
    case 'exit':
      return exitNow(f);
    case 'off':
      return undefined;
  }
}

/** Counts the hit and picks the term that fires, if any. */
function evaluate(name: string, ctx: unknown): Fired | undefined {
  let site = sites.get(name);
  if (site === undefined) {
    if (sites.size >= MAX_TRACKED) return undefined;
    site = newSite(name);
  }
  site.reached = true;
  site.hits++;
  const activation = site.activation;
  if (activation === undefined) return undefined;
  const index = activation.hitIndex++;
  const terms = activation.terms;
  for (let i = 0; i < terms.length; i++) {
    const t = terms[i]!;
    if (t.remaining === 0) continue;
    if (t.p < 1 && !(activation.stream.at(index, i) < t.p)) continue;
    if (t.remaining > 0) t.remaining--;
    if (t.term.action === 'off') return undefined;
    site.fires++;
    if (firedChannel.hasSubscribers) {
      const message: FailpointFiredMessage = {
        name,
        term: activation.spec.text,
        action: t.term.action,
        hit: index + 1,
        fired: t.term,
        ctx,
      };
      firedChannel.publish(message);
    }
    return { site, activation, term: t.term, hit: index + 1 };
  }
  return undefined;
}

function newSite(name: string): Site {
  const site: Site = {
    name,
    description: undefined,
    declared: false,
    reached: false,
    allowed: false,
    activation: undefined,
    hits: 0,
    fires: 0,
    waiters: [],
  };
  sites.set(name, site);
  return site;
}

function returnValue(arg: FailpointValue | undefined): unknown {
  if (arg === undefined) return true;
  // each caller gets its own copy: one caller mutating the value must not change what the next one sees
  return typeof arg === 'object' && arg !== null ? structuredClone(arg) : arg;
}

function thrown(f: Fired, ctx: unknown): FailpointError {
  const message = typeof f.term.arg === 'string' ? f.term.arg : undefined;
  return new FailpointError(f.site.name, f.activation.spec.text, message, ctx);
}

function sleepSync(ms: number): void {
  if (ms <= 0) return;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Busy-waits `ms`: unlike `sleep`, the thread stays on the CPU, as a hot loop or a long GC would keep it. */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spinning is the point
  }
}

/**
 * gofail's and fail(9)'s `break` hand the process to a debugger. Here it is a `debugger` statement: with an
 * inspector attached (`node --inspect`, or `kill -USR1 <pid>` and then attach) execution stops on this line,
 * with the failpoint's caller one frame up and `name` and `ctx` in scope; without one it only logs the hit.
 * It never opens an inspector itself: whoever may set a term must not thereby get a debugging port.
 */
function breakHere(f: Fired, ctx: unknown): void {
  const name = f.site.name;
  const context = ctx === undefined ? '' : ` ${describeContext(ctx)}`;
  process.stderr.write(
    `faultline: failpoint ${name} hit #${f.hit} (${f.activation.spec.text}): break (stops here if a debugger is attached)${context}\n`,
  );
  // biome-ignore lint/suspicious/noDebugger: the break action is this statement
  debugger;
}

function print(f: Fired, ctx: unknown): void {
  const note = typeof f.term.arg === 'string' ? `: ${f.term.arg}` : '';
  const context = ctx === undefined ? '' : ` ${describeContext(ctx)}`;
  process.stderr.write(
    `faultline: failpoint ${f.site.name} hit #${f.hit} (${f.activation.spec.text})${note}${context}\n`,
  );
}

function exitNow(f: Fired): never {
  const code = typeof f.term.arg === 'number' ? f.term.arg : 1;
  try {
    writeSync(2, `faultline: failpoint ${f.site.name} fired exit(${code}) (${f.activation.spec.text})\n`);
  } catch {
    // stderr closed: exit anyway
  }
  // reallyExit skips 'exit' listeners and everything else process.exit() runs: the process ends like a crash
  const p = process as unknown as { reallyExit?: (code: number) => never };
  if (typeof p.reallyExit === 'function') p.reallyExit(code);
  process.exit(code);
}

function pauseAt(site: Site, ctx: unknown): Promise<undefined> {
  return new Promise((resolve) => {
    site.waiters.push({ id: ++waiterSeq, since: Date.now(), ctx, resolve: () => resolve(undefined) });
    totalWaiters++;
    notifyWaiters();
  });
}

function releaseFrom(site: Site, count: number): number {
  const out = site.waiters.splice(0, count);
  if (out.length === 0) return 0;
  totalWaiters -= out.length;
  for (const w of out) w.resolve();
  notifyWaiters();
  return out.length;
}

function notifyWaiters(): void {
  for (const listener of waiterListeners) listener();
}

/** JSON of a caller's ctx for logs and the endpoint, never throwing and never longer than 1,000 characters. */
export function describeContext(ctx: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(ctx) ?? String(ctx);
  } catch {
    text = String(ctx);
  }
  return text.length > 1000 ? `${text.slice(0, 997)}...` : text;
}

function info(site: Site): FailpointInfo {
  const out: FailpointInfo = {
    name: site.name,
    declared: site.declared,
    reached: site.reached,
    term: site.activation?.spec.text ?? null,
    hits: site.hits,
    fires: site.fires,
    waiters: site.waiters.length,
  };
  if (site.description !== undefined) out.description = site.description;
  return out;
}

function checkName(name: string): void {
  if (typeof name !== 'string' || !isValidFailpointName(name)) {
    throw new InvalidOptionError(
      'name',
      `${JSON.stringify(name)} is not a failpoint name (1 to 256 of A-Z a-z 0-9 _ . : / @ $ -)`,
    );
  }
}

/** Why activation is refused in this process right now, or undefined when it is allowed. */
function refusal(name: string): FaultlineError | undefined {
  if (disabledBy !== undefined) {
    return new FaultlineError(
      'FAULTLINE_FAILPOINTS_DISABLED',
      `failpoints are disabled (${disabledBy}); not setting ${name}`,
    );
  }
  const production = productionRefusal();
  if (production !== undefined) {
    return new FaultlineError(
      'FAULTLINE_FAILPOINTS_PRODUCTION',
      `refusing to set failpoint ${name}: ${production}; ${ALLOW_HINT}`,
    );
  }
  return undefined;
}

function activate(site: Site, spec: FailpointSpec): void {
  const terms = spec.terms.map(
    (term): LiveTerm => ({
      term,
      p: term.percent === undefined ? 1 : term.percent / 100,
      remaining: term.count ?? -1,
    }),
  );
  if (site.activation === undefined) activeCount++;
  site.activation = { spec, terms, hitIndex: 0, stream: root.fork(`failpoint/${site.name}`) };
  site.hits = 0;
  site.fires = 0;
  refresh();
  if (!seedExplicit && !seedNoted && terms.some((t) => t.p < 1)) {
    seedNoted = true;
    process.stderr.write(
      `faultline: failpoint percentages draw from seed ${seedValue} (FAULTLINE_SEED=${seedValue} replays them)\n`,
    );
  }
}

function deactivate(site: Site): boolean {
  if (site.activation === undefined) return false;
  site.activation = undefined;
  activeCount--;
  refresh();
  releaseFrom(site, site.waiters.length);
  return true;
}

/**
 * The failpoint registry of this process: switch failpoints on and off, see what they did, release callers
 * held by `pause`. The control endpoint and `FAULTLINE_FAILPOINTS` go through these same calls.
 */
export const failpoints = {
  /**
   * Sets a failpoint's term (replacing any earlier one and starting its hit and fire counts afresh), e.g.
   * `failpoints.set('upgrade.refuse', '1*throw("refused")')`. Throws {@link FailpointParseError} for a term
   * that does not parse, and refuses when failpoints are disabled or NODE_ENV=production without
   * FAULTLINE_ALLOW_PRODUCTION=1. A name no code has reached or declared gets a process warning unless
   * `allowUnknown` is set.
   */
  set(name: string, term: string | FailpointSpec, options: FailpointSetOptions = {}): FailpointInfo {
    checkName(name);
    const refused = refusal(name);
    if (refused !== undefined) throw refused;
    const spec = typeof term === 'string' ? parseFailpointTerm(term) : term;
    let site = sites.get(name);
    const known = site !== undefined && (site.declared || site.reached || site.allowed);
    site ??= newSite(name);
    if (!known && options.allowUnknown !== true) {
      process.emitWarning(
        `failpoint ${name} has not been reached or declared in this process; check the name, declare it with failpoints.declare(), or set it with allowUnknown`,
        { code: 'FAULTLINE_FAILPOINT_UNKNOWN' },
      );
    }
    site.allowed = true;
    activate(site, spec);
    return info(site);
  },

  /** Switches a failpoint off and releases every caller paused at it. Returns whether a term was set. */
  unset(name: string): boolean {
    const site = sites.get(name);
    return site === undefined ? false : deactivate(site);
  },

  /** Every failpoint the process has reached, declared or set, by name. */
  list(): FailpointInfo[] {
    return [...sites.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(info);
  },

  /** One failpoint, or undefined when the process has not reached, declared or set it. */
  get(name: string): FailpointInfo | undefined {
    const site = sites.get(name);
    return site === undefined ? undefined : info(site);
  },

  /** Releases the `count` longest-waiting callers paused at `name` (all of them by default). */
  release(name: string, count = Number.POSITIVE_INFINITY): number {
    if (!(count >= 0)) throw new InvalidOptionError('count', `must be a number >= 0; got ${count}`);
    const site = sites.get(name);
    return site === undefined ? 0 : releaseFrom(site, Math.min(Math.floor(count), site.waiters.length));
  },

  /** Releases one paused caller by its waiter id (see {@link failpoints.waiters}). */
  releaseWaiter(name: string, id: number): boolean {
    const site = sites.get(name);
    if (site === undefined) return false;
    const i = site.waiters.findIndex((w) => w.id === id);
    if (i < 0) return false;
    const [w] = site.waiters.splice(i, 1);
    totalWaiters--;
    w!.resolve();
    notifyWaiters();
    return true;
  },

  /** The callers paused at `name`, longest-waiting first. */
  waiters(name: string): FailpointWaiter[] {
    const site = sites.get(name);
    if (site === undefined) return [];
    return site.waiters.map((w) => ({ id: w.id, since: new Date(w.since).toISOString(), ctx: w.ctx }));
  },

  /**
   * Resolves once at least `count` callers are paused at `name`; rejects after `timeoutMs` (default 30 s)
   * or when `signal` aborts.
   */
  waitForWaiters(
    name: string,
    count = 1,
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<FailpointWaiter[]> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const { signal } = options;
    return new Promise((resolve, reject) => {
      const done = (): void => {
        waiterListeners.delete(listener);
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const listener = (): void => {
        if ((sites.get(name)?.waiters.length ?? 0) < count) return;
        done();
        resolve(failpoints.waiters(name));
      };
      const onAbort = (): void => {
        done();
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        done();
        const have = sites.get(name)?.waiters.length ?? 0;
        reject(
          new FaultlineError(
            'FAULTLINE_FAILPOINT_TIMEOUT',
            `waited ${timeoutMs} ms for ${count} caller(s) paused at ${name}; ${have} paused`,
            { exitCode: 1 },
          ),
        );
      }, timeoutMs);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      waiterListeners.add(listener);
      listener();
    });
  },

  /**
   * Says that a failpoint exists before any code reaches it, with a line on what it simulates; setting it
   * then raises no warning. Declaring the same name again with a different description is an error.
   */
  declare(name: string, description: string): void {
    checkName(name);
    const site = sites.get(name) ?? newSite(name);
    if (site.declared && site.description !== description) {
      throw new FaultlineError(
        'FAULTLINE_FAILPOINT_DUPLICATE',
        `failpoint ${name} is already declared as ${JSON.stringify(site.description)}`,
      );
    }
    site.declared = true;
    site.description = description;
  },

  /**
   * Reads or sets the seed percentages draw from (FAULTLINE_SEED sets it at start). Setting it restarts the
   * draws of every active failpoint, so the same seed and the same hits give the same fires.
   */
  seed(seed?: SeedInput): number {
    if (seed === undefined) return seedValue;
    seedValue = normalizeSeed(seed);
    seedExplicit = true;
    root = randomStream(seedValue);
    for (const site of sites.values()) {
      if (site.activation !== undefined) site.activation.stream = root.fork(`failpoint/${site.name}`);
    }
    return seedValue;
  },

  /**
   * The global switch: unsets every failpoint, releases every paused caller, and refuses to set any until
   * {@link failpoints.enableAll}. A unit-test suite calls it to guarantee no failpoint fires.
   */
  disableAll(): void {
    disable('failpoints.disableAll()');
  },

  /** Undoes {@link failpoints.disableAll}; refused when FAULTLINE_FAILPOINTS_OFF disabled them. */
  enableAll(): void {
    if (offByEnv) {
      throw new FaultlineError(
        'FAULTLINE_FAILPOINTS_DISABLED',
        `failpoints stay disabled: ${disabledBy} is set`,
      );
    }
    disabledBy = undefined;
  },

  /** Whether failpoints are disabled, and why. */
  disabled(): string | false {
    return disabledBy ?? false;
  },

  /** Unsets everything, releases every paused caller and forgets hits and undeclared failpoints. */
  reset(): void {
    for (const site of [...sites.values()]) {
      deactivate(site);
      site.hits = 0;
      site.fires = 0;
      site.reached = false;
      site.allowed = false;
      if (!site.declared) sites.delete(site.name);
    }
  },
};

/** Disabled by FAULTLINE_FAILPOINTS_OFF: for the life of the process. */
let offByEnv = false;

function disable(reason: string): void {
  if (!offByEnv) disabledBy = reason;
  for (const site of sites.values()) deactivate(site);
}

/** @internal FAULTLINE_FAILPOINTS_OFF said yes (`value` as written): disabled for the life of the process. */
export function disableFromEnvironment(value = '1'): void {
  disable(`FAULTLINE_FAILPOINTS_OFF=${value.trim()}`);
  offByEnv = true;
}

/** @internal Why setting a failpoint would be refused right now (the endpoint and env use it to say so). */
export function activationRefusal(name: string): FaultlineError | undefined {
  return refusal(name);
}

/**
 * @internal While a control endpoint runs, every failpoint reached is recorded (so `list` can show names an
 * operator may set). Returns a function that stops this tracker.
 */
export function trackReached(): () => void {
  trackers++;
  refresh();
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    trackers--;
    refresh();
  };
}

/** @internal Calls `listener` whenever callers pause or are released; returns an unsubscribe function. */
export function onWaitersChange(listener: () => void): () => void {
  waiterListeners.add(listener);
  return () => waiterListeners.delete(listener);
}

/** @internal Callers paused at any failpoint right now. */
export function pausedCallers(): number {
  return totalWaiters;
}
