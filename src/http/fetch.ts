/**
 * Chaos for code that uses fetch: `chaosFetch` (a fetch function of its own, over an Agent composed with the
 * chaos interceptor) and `installChaos` (the interceptor composed onto undici's global dispatcher, which Node's
 * built-in global `fetch` also reads — so code the user cannot change is reached too).
 */
import type { Dispatcher, fetch as undiciFetch } from 'undici';
import { InvalidOptionError } from '../core/errors.js';
import { undici } from '../deps/lazy.js';
import { type HttpChaosControl, HttpChaosEngine, type HttpChaosOptions } from './engine.js';
import { interceptorFor } from './interceptor.js';

/** Options for {@link chaosFetch}. */
export interface ChaosFetchOptions extends HttpChaosOptions {
  /** The dispatcher requests finally go through. Defaults to a new undici `Agent` (closed by `close()`). */
  dispatcher?: Dispatcher;
}

/** A fetch function that injects faults, with its control, trace and dispatcher. */
export interface ChaosFetch {
  (
    input: Parameters<typeof undiciFetch>[0],
    init?: Parameters<typeof undiciFetch>[1],
  ): ReturnType<typeof undiciFetch>;
  readonly control: HttpChaosControl;
  readonly trace: HttpChaosControl['trace'];
  /** The composed dispatcher (usable with undici's `request`, too). */
  readonly dispatcher: Dispatcher;
  /** Closes the Agent this fetch created (not a dispatcher passed in). */
  close(): Promise<void>;
}

/** `Dispatcher.prototype.compose` works on anything with a `dispatch`, including dispatchers from other copies of undici. */
function compose(base: Dispatcher, interceptor: Dispatcher.DispatcherComposeInterceptor): Dispatcher {
  return undici().Dispatcher.prototype.compose.call(base, interceptor) as Dispatcher;
}

function checkDispatcher(value: unknown, field: string): Dispatcher {
  if (!value || typeof (value as { dispatch?: unknown }).dispatch !== 'function') {
    throw new InvalidOptionError(field, 'must be an undici Dispatcher (an object with a dispatch method)');
  }
  return value as Dispatcher;
}

/**
 * A fetch (undici's) whose requests go through the chaos interceptor.
 * @example
 * const f = chaosFetch({ seed: 1, faults: [{ method: 'POST', path: '/pay', calls: [1], reset: true }] });
 * await f('http://127.0.0.1:8080/pay', { method: 'POST' }); // TypeError: fetch failed (cause: SocketError)
 * f.trace.entries; // [{ site: 'http POST /pay', index: 1, action: 'reset', … }]
 */
export function chaosFetch(options: ChaosFetchOptions = {}): ChaosFetch {
  const engine = new HttpChaosEngine(options);
  const owned = options.dispatcher === undefined;
  const base = owned ? new (undici().Agent)() : checkDispatcher(options.dispatcher, 'dispatcher');
  const dispatcher = compose(base, interceptorFor(engine));
  const f = function chaosFetch(
    input: Parameters<typeof undiciFetch>[0],
    init?: Parameters<typeof undiciFetch>[1],
  ) {
    return undici().fetch(input, { ...init, dispatcher });
  };
  Object.defineProperties(f, {
    control: { value: engine.control, enumerable: true },
    trace: { get: () => engine.control.trace, enumerable: true },
    dispatcher: { value: dispatcher, enumerable: true },
    close: { value: () => (owned ? base.close() : Promise.resolve()) },
  });
  engine.register(f);
  return f as unknown as ChaosFetch;
}

/** A global installation of chaos HTTP: its control and trace, and how to take it out again. */
export interface ChaosInstallation {
  readonly control: HttpChaosControl;
  readonly trace: HttpChaosControl['trace'];
  /** The dispatcher that was global before, restored by {@link ChaosInstallation.uninstall}. */
  readonly previous: Dispatcher;
  /** Restores the previous global dispatcher. Safe to call twice. */
  uninstall(): void;
}

/**
 * Composes the chaos interceptor onto undici's global dispatcher (`setGlobalDispatcher`), so undici's `request`
 * and `fetch` and Node's global `fetch` all get the faults. `uninstall()` puts the previous dispatcher back; if
 * something else has replaced the global dispatcher since, that one is left in place and this installation just
 * stops injecting.
 */
export function installChaos(options: HttpChaosOptions = {}): ChaosInstallation {
  const engine = new HttpChaosEngine(options);
  const { getGlobalDispatcher, setGlobalDispatcher } = undici();
  const previous = getGlobalDispatcher();
  const composed = compose(previous, interceptorFor(engine));
  setGlobalDispatcher(composed);
  const installation: ChaosInstallation = {
    control: engine.control,
    get trace() {
      return engine.control.trace;
    },
    previous,
    uninstall() {
      engine.active = false;
      if (getGlobalDispatcher() === composed) setGlobalDispatcher(previous);
    },
  };
  engine.register(installation);
  return installation;
}
