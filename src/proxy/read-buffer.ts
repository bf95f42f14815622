/**
 * Reading a socket into a buffer the proxy reuses, instead of the fresh buffer Node allocates for every read.
 *
 * Why: with no toxic a proxy's work per chunk is one read and one write, and profiling the proxy under
 * `wrk -c50` showed Node's own per-read work (allocating, shrinking and sweeping an ArrayBuffer, then
 * `Readable.push` → `addChunk` → `emit('data')`) costing as much user CPU as the JavaScript that forwards the
 * chunk. Node's `onread` socket option skips both: it reads into a buffer we supply and calls us directly.
 *
 * The rule that keeps it safe: a chunk is a view of the buffer, valid only during the call. When the consumer
 * keeps the bytes beyond the call — the destination queued the write instead of writing it at once, or a toxic
 * holds the chunk — it calls {@link ReadBuffer.retain}, and the next read goes into a new buffer. A connection
 * whose reads fill the buffer (a bulk transfer) grows it once to {@link MOST} bytes; idle connections hold the
 * small one.
 */
import { Socket } from 'node:net';

/** The first buffer: a request or reply of a typical protocol fits; an idle connection holds this much. */
const FIRST = 4 * 1024;
/** What a buffer grows to when a read fills it (what Node itself reads at most per call). */
const MOST = 64 * 1024;

/** One socket's read buffer and the `onread` option that reads into it. */
export class ReadBuffer {
  #buf: Buffer = Buffer.allocUnsafeSlow(FIRST);
  #retained = false;
  #filled = false;
  /** Receives each chunk: a view of the buffer, valid until it returns unless it calls {@link retain}. */
  sink: (chunk: Buffer) => void = () => {};

  /** The `onread` option of `net.connect()` / `new net.Socket()`. */
  readonly onread = {
    buffer: (): Buffer => this.#next(),
    callback: (n: number): boolean => {
      this.#filled = n === this.#buf.length;
      this.sink(this.#buf.subarray(0, n));
      return true;
    },
  };

  /** The chunk just delivered is still referenced: read the next one into a new buffer. */
  retain(): void {
    this.#retained = true;
  }

  #next(): Buffer {
    const grow = this.#filled && this.#buf.length < MOST;
    if (this.#retained || grow) {
      this.#retained = false;
      this.#buf = Buffer.allocUnsafeSlow(grow ? MOST : this.#buf.length);
    }
    return this.#buf;
  }
}

/**
 * A socket accepted by a `net.Server` (created with `pauseOnConnect`), moved onto a new `Socket` that reads
 * through `reader` (a server cannot pass `onread` to the sockets it accepts). The accepted socket lets go of its
 * handle and is destroyed, which also settles the server's connection count. `null`: no TCP handle to move (the
 * caller keeps the accepted socket and its 'data' events).
 */
export function adoptAccepted(accepted: Socket, reader: ReadBuffer): Socket | null {
  const holder = accepted as unknown as { _handle: unknown };
  const handle = holder._handle;
  if (handle === null || typeof handle !== 'object' || accepted.destroyed) return null;
  holder._handle = null;
  accepted.destroy();
  return new Socket({
    handle,
    allowHalfOpen: true,
    pauseOnCreate: true,
    readable: true,
    writable: true,
    onread: reader.onread,
  } as unknown as ConstructorParameters<typeof Socket>[0]);
}
