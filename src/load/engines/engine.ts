/**
 * The transport behind the HTTP load runner. The runner decides what to send and when (templates, models,
 * scheduling, recording); an engine only carries requests to the target and reports how each one ended. Keeping
 * the boundary this narrow is what lets two very different transports — undici's pool and a lean raw-socket
 * HTTP/1.1 client — give identical results: the outcome classification, the timeouts and every recorder call
 * stay in the runner.
 *
 * The contract every engine keeps (the shared runner tests check it against each one):
 * - `onComplete` is called exactly once for every request passed to `send`, and never from inside `send`.
 * - A response is reported when its body has been read to the end, with its final status (≥ 200) and a null
 *   error; a transport failure with status 0 and an error whose `code` {@link classifyError} understands.
 * - `timeoutMs` bounds the connect, the wait for response headers once the request is on the wire, and each
 *   pause between body reads.
 * - At most `connections` connections to the origin; requests beyond what they can carry wait in order.
 */
import type { BuiltRequest } from '../template.js';

/** Names of the available engines. */
export type EngineName = 'raw' | 'undici';

/** What {@link LoadOptions.engine} accepts: a name, or `auto` (raw for `http:`, undici for `https:`). */
export type EngineChoice = EngineName | 'auto';

/** Options every engine is created with. `T` is the runner's per-request tag, opaque to the engine. */
export interface HttpEngineOptions<T> {
  /** Where every request goes (only the origin is used). */
  url: URL;
  /** Most connections to open. */
  connections: number;
  /** HTTP/1.1 pipelining depth per connection (1: one request at a time). */
  pipelining: number;
  /** Connect, response headers and body inactivity timeout, each, in ms (0: none). */
  timeoutMs: number;
  /**
   * How a request ended: `status` > 0 and `error` null for a response read to its end, `status` 0 and the
   * transport error otherwise. Called once per request, never synchronously from {@link HttpEngine.send}.
   */
  onComplete(tag: T, status: number, error: unknown): void;
}

/** A running transport. */
export interface HttpEngine<T> {
  /** Sends `request` (now, or when a connection is free); `tag` comes back in `onComplete`. */
  send(request: BuiltRequest, tag: T): void;
  /** Closes every connection; call once nothing is in flight. */
  close(): Promise<void>;
}

/** One engine: its name, the URL schemes it speaks and its factory. */
export interface HttpEngineDefinition {
  readonly name: EngineName;
  /** URL protocols it can send to, e.g. `['http:']`. */
  readonly protocols: readonly string[];
  /** Why one would pick it (for docs and error messages). */
  readonly description: string;
  create<T>(options: HttpEngineOptions<T>): HttpEngine<T>;
}
