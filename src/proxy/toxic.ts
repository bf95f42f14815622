/**
 * The one interface every toxic implements, and the rules each must keep.
 *
 * A toxic is a transform on one direction's byte stream. For each connection it acts on, the proxy creates a
 * {@link ToxicStage} and chains it between the socket it reads and the socket it writes. The stage receives
 * chunks through `write(chunk, at)` (`at` is when the proxy read the bytes, on the toxic's {@link Clock}) and the
 * end of the stream through `end()`; it passes bytes on with `ctx.push` and the end with `ctx.end`. It may hold
 * bytes (latency), cut them (slicer), drop them (timeout), or act on the connection (`ctx.close`, `ctx.reset`).
 * Randomness comes only from `ctx.random`, a stream forked per proxy, toxic and connection from the server's
 * seed, so a decision is a function of the seed — never of timing or interleaving. Time comes only from
 * `ctx.clock`, so a fake clock tests a toxic without sleeping.
 *
 * The rules (the conformance suite in test/proxy checks them for every registered toxic):
 * 1. Order: bytes pushed keep the order they were written in; the end is pushed after the last byte.
 * 2. No silent loss: a toxic that does not drop or truncate by design passes on every byte it was given.
 * 3. Removal: `flush()` pushes everything held right now (and the end, if it was received) and stops acting, so
 *    removing or disabling a toxic never drops data on a live connection. A stage that cannot stop at once (it
 *    must see a reply through) returns `false` from `flush()` and calls `ctx.detach()` when done.
 * 4. `destroy()` (the connection is gone) cancels every timer; nothing is pushed after it.
 * 5. Attributes are validated before a stage exists (see attributes.ts); `update(attributes)` applies new values
 *    to a live stage without losing what it holds.
 */
import type { RandomStream } from '../core/random.js';
import { type AttributeSpecs, type AttributeValues, defaultAttributes } from './attributes.js';
import type { Clock } from './clock.js';

/** `upstream`: client → server bytes. `downstream`: server → client bytes. */
export type StreamDirection = 'upstream' | 'downstream';

/** What a stage may see and do. One context per stage. */
export interface ToxicContext {
  /** The proxy's name. */
  readonly proxy: string;
  /** The toxic's name. */
  readonly toxic: string;
  /** The direction this stage transforms. */
  readonly direction: StreamDirection;
  /** The connection's index on its proxy (0 for the first accepted connection). */
  readonly connection: number;
  /** This connection's random stream for this toxic: `fork('proxy/<proxy>/<toxic>/conn-<n>')` of the seed. */
  readonly random: RandomStream;
  /** Time and timers. */
  readonly clock: Clock;
  /** Passes bytes on to the next stage (or the destination socket). `at` is carried along for latency. */
  push(chunk: Buffer, at: number): void;
  /** Passes the end of this direction's stream on (the destination socket is half-closed after it). */
  end(): void;
  /** Closes the whole connection gracefully (FIN both ways) once what was pushed is written. */
  close(): void;
  /** Resets the whole connection (TCP RST to client and upstream); pending data is discarded. */
  reset(): void;
  /** Removes this stage from its chain; only for a stage that answered `false` to `flush()`. */
  detach(): void;
}

/** One toxic acting on one direction of one connection. */
export interface ToxicStage<A = unknown> {
  /** Bytes in, read by the proxy at `at` (clock time). The stage owns `chunk` from now on. */
  write(chunk: Buffer, at: number): void;
  /** The source half-closed: no more `write` calls will come. */
  end(): void;
  /** The toxic's attributes changed (API update). Optional: stages that read nothing per chunk may ignore it. */
  update?(attributes: A): void;
  /** The toxic is being removed: push everything held now. `false`: "still finishing; I will call detach()". */
  flush(): boolean | undefined;
  /** The connection is gone: cancel timers, push nothing more. */
  destroy?(): void;
  /** Bytes held right now; the proxy stops reading the source while a chain holds too much (backpressure). */
  buffered?(): number;
}

/** The two stages of a toxic that acts on both directions (the `http` toxic sees requests and responses). */
export interface ToxicStagePair<A = unknown> {
  upstream: ToxicStage<A>;
  downstream: ToxicStage<A>;
}

/** A toxic type: its name, attributes and how to make its stages. Register it with `registerToxic`. */
export interface ToxicDefinition<S extends AttributeSpecs = AttributeSpecs> {
  /** The type name the API uses, e.g. `latency`. */
  readonly type: string;
  /** One line saying what it does (used in docs and errors). */
  readonly summary: string;
  /** Attribute declarations: validation, defaults and docs come from here. */
  readonly attributes: S;
  /** Checks across attributes, after each one passed its own; throw `badRequestBody('attributes.x', why)`. */
  validate?(attributes: AttributeValues<S>): void;
  /** For a toxic acting on its own `stream` only (every Toxiproxy toxic): the stage for one connection. */
  create?(ctx: ToxicContext, attributes: AttributeValues<S>): ToxicStage<AttributeValues<S>>;
  /**
   * For a toxic that must see both directions: stages for the upstream and the downstream link. `stream` is the
   * toxic's own `stream` field, which such a toxic may use to choose where it acts.
   */
  createPair?(
    ctx: { upstream: ToxicContext; downstream: ToxicContext; stream: StreamDirection },
    attributes: AttributeValues<S>,
  ): ToxicStagePair<AttributeValues<S>>;
}

/** Checks a definition's shape and returns it typed; pass the result to `registerToxic`. */
export function defineToxic<S extends AttributeSpecs>(definition: ToxicDefinition<S>): ToxicDefinition<S> {
  if (!/^[a-z][a-z0-9_]*$/.test(definition.type)) {
    throw new TypeError(`toxic type ${JSON.stringify(definition.type)} must be snake_case ([a-z][a-z0-9_]*)`);
  }
  if (!definition.create === !definition.createPair) {
    throw new TypeError(`toxic ${definition.type}: define exactly one of create() and createPair()`);
  }
  defaultAttributes(definition.attributes); // the declaration itself must be valid
  return definition;
}

/** A stage that passes everything through unchanged; toxics return it for the side they do not touch. */
export function passThroughStage(ctx: ToxicContext): ToxicStage {
  return {
    write: (chunk, at) => ctx.push(chunk, at),
    end: () => ctx.end(),
    flush: () => true,
  };
}
