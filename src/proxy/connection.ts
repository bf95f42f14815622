/**
 * One client connection through a proxy: two {@link Link}s (client → upstream and upstream → client), each
 * either a direct pipe or a chain of toxic stages.
 *
 * The hot path: a link with no active toxic writes each chunk it reads straight to the other socket (what
 * `socket.pipe()` does, plus two counter additions), reading through a reused {@link ReadBuffer} where the socket
 * has one, so a chunk costs no allocation, stream machinery or timer. A chain exists only while a toxic acts on that direction of
 * that connection — toxics at toxicity 0, or not drawn for this connection, cost nothing per chunk. Stages are
 * linked nodes, so a toxic added, updated or removed on a live connection is spliced in or out between two
 * chunks, and a removed stage first pushes on whatever it holds: the connection is never dropped for it.
 *
 * Half-closes pass through: when one side sends FIN, the other side gets FIN once the chain has delivered
 * everything before it, while the opposite direction keeps flowing. Errors on either socket end both.
 */
import type { Socket } from 'node:net';
import { laneOf, type RandomStream } from '../core/random.js';
import type { AttributeValues } from './attributes.js';
import type { Clock } from './clock.js';
import type { ReadBuffer } from './read-buffer.js';
import type { StreamDirection, ToxicContext, ToxicDefinition, ToxicStage } from './toxic.js';

/** A toxic as configured on a proxy (the API's view); connections create stages from it. */
export interface ToxicRecord {
  /** Creation order on the proxy: stages sit in a chain in this order. */
  readonly order: number;
  readonly name: string;
  readonly type: string;
  readonly stream: StreamDirection;
  toxicity: number;
  attributes: Record<string, unknown>;
  readonly definition: ToxicDefinition;
}

/** Byte counters of one direction of a proxy. */
export interface DirectionCounters {
  received: number;
  sent: number;
}

/** What a connection needs from its proxy. */
export interface ConnectionHost {
  readonly name: string;
  readonly clock: Clock;
  readonly random: RandomStream;
  readonly counters: Record<StreamDirection, DirectionCounters>;
  toxicApplied(record: ToxicRecord): void;
  connectionClosed(conn: Connection): void;
}

const TOXICITY_LANE = laneOf('toxicity');

/** Whether a toxic acts on a connection: one fixed draw per (connection, toxic), compared with `toxicity`. */
export function drawsToxic(random: RandomStream, toxicity: number): boolean {
  return random.at(0, TOXICITY_LANE) < toxicity;
}

const PAUSED_BY_DEST = 1;
const PAUSED_BY_CHAIN = 2;
/** A chain holding more than this stops reading its source until it is down to the low mark. */
const CHAIN_HIGH_WATER = 4 * 1024 * 1024;
const CHAIN_LOW_WATER = 1024 * 1024;
/** How long a gracefully closing socket may take to flush before it is destroyed. */
const CLOSE_GRACE_MS = 2000;

interface StageNode {
  stage: ToxicStage;
  readonly order: number;
  next: StageNode | null;
  prev: StageNode | null;
  linked: boolean;
}

/** One direction of a connection: reads `src`, writes `dest`, optionally through a chain of stages. */
export class Link {
  readonly direction: StreamDirection;
  readonly src: Socket;
  readonly dest: Socket;
  readonly #counters: DirectionCounters;
  readonly #clock: Clock;
  readonly #reader: ReadBuffer | null;
  #head: StageNode | null = null;
  #holders = 0;
  #paused = 0;
  srcEnded = false;
  destEnded = false;
  closed = false;

  constructor(
    direction: StreamDirection,
    src: Socket,
    dest: Socket,
    counters: DirectionCounters,
    clock: Clock,
    reader: ReadBuffer | null = null,
  ) {
    this.direction = direction;
    this.src = src;
    this.dest = dest;
    this.#counters = counters;
    this.#clock = clock;
    this.#reader = reader;
  }

  start(): void {
    if (this.#reader) this.#reader.sink = this.#onRead;
    else this.src.on('data', this.#onData);
    this.src.on('end', this.#onEnd);
    this.dest.on('drain', this.#onDrain);
  }

  get hasStages(): boolean {
    return this.#head !== null;
  }

  /** A chunk Node allocated for this read: it is ours to keep. */
  readonly #onData = (chunk: Buffer): void => {
    if (this.closed) return;
    const counters = this.#counters;
    counters.received += chunk.length;
    const head = this.#head;
    if (head === null) {
      counters.sent += chunk.length;
      if (!this.dest.write(chunk)) this.#pause(PAUSED_BY_DEST);
      return;
    }
    this.#toChain(head, chunk);
  };

  /** A view of the reader's buffer, valid during this call only: whatever keeps it makes the reader move on. */
  readonly #onRead = (chunk: Buffer): void => {
    if (this.closed) return;
    const counters = this.#counters;
    counters.received += chunk.length;
    const head = this.#head;
    if (head === null) {
      counters.sent += chunk.length;
      const dest = this.dest;
      const flowing = dest.write(chunk);
      // Written at once, the buffer is free again; queued (or partly written), the socket still refers to it.
      if (dest.writableLength > 0) this.#reader!.retain();
      if (!flowing) this.#pause(PAUSED_BY_DEST);
      return;
    }
    // Stages own what they are given: each gets a copy the size of the chunk.
    this.#toChain(head, Buffer.from(chunk));
  };

  #toChain(head: StageNode, chunk: Buffer): void {
    head.stage.write(chunk, this.#clock.now());
    if (this.#holders > 0) this.#checkChain();
  }

  readonly #onEnd = (): void => {
    this.srcEnded = true;
    if (this.closed) return;
    const head = this.#head;
    if (head === null) this.#sinkEnd();
    else head.stage.end();
  };

  readonly #onDrain = (): void => {
    this.#unpause(PAUSED_BY_DEST);
  };

  #sinkWrite(chunk: Buffer): void {
    if (this.closed || this.destEnded || chunk.length === 0) return;
    this.#counters.sent += chunk.length;
    if (!this.dest.write(chunk)) this.#pause(PAUSED_BY_DEST);
    if (this.#paused & PAUSED_BY_CHAIN) this.#checkChain();
  }

  #sinkEnd(): void {
    if (this.closed || this.destEnded) return;
    this.destEnded = true;
    this.dest.end();
  }

  #checkChain(): void {
    let held = 0;
    for (let n = this.#head; n !== null; n = n.next) held += n.stage.buffered?.() ?? 0;
    if (held > CHAIN_HIGH_WATER) this.#pause(PAUSED_BY_CHAIN);
    else if (held < CHAIN_LOW_WATER) this.#unpause(PAUSED_BY_CHAIN);
  }

  #pause(reason: number): void {
    if (this.#paused === 0) this.src.pause();
    this.#paused |= reason;
  }

  #unpause(reason: number): void {
    if ((this.#paused & reason) === 0) return;
    this.#paused &= ~reason;
    if (this.#paused === 0 && !this.closed) this.src.resume();
  }

  /** A node (not yet linked) whose context pushes to whatever follows it when it is linked. */
  newNode(order: number): { node: StageNode; forward: (chunk: Buffer, at: number) => void; end: () => void } {
    const node: StageNode = {
      stage: undefined as unknown as ToxicStage,
      order,
      next: null,
      prev: null,
      linked: false,
    };
    return {
      node,
      forward: (chunk, at) => {
        if (this.closed) return;
        const next = node.next;
        if (next === null) this.#sinkWrite(chunk);
        else next.stage.write(chunk, at);
      },
      end: () => {
        if (this.closed) return;
        const next = node.next;
        if (next === null) this.#sinkEnd();
        else next.stage.end();
      },
    };
  }

  /** Links `node` in creation order. */
  insert(node: StageNode): void {
    let prev: StageNode | null = null;
    let cur = this.#head;
    while (cur !== null && cur.order < node.order) {
      prev = cur;
      cur = cur.next;
    }
    node.prev = prev;
    node.next = cur;
    if (prev === null) this.#head = node;
    else prev.next = node;
    if (cur !== null) cur.prev = node;
    node.linked = true;
    if (node.stage.buffered) this.#holders++;
  }

  /** Unlinks `node`; with no stage left the link is a direct pipe again. */
  unlink(node: StageNode): void {
    if (!node.linked) return;
    node.linked = false;
    if (node.prev === null) this.#head = node.next;
    else node.prev.next = node.next;
    if (node.next !== null) node.next.prev = node.prev;
    if (node.stage.buffered) this.#holders--;
    if (this.#paused & PAUSED_BY_CHAIN) this.#checkChain();
  }

  /** Every stage's `destroy()`; the link forwards nothing more. */
  destroyStages(): void {
    this.closed = true;
    for (let n = this.#head; n !== null; n = n.next) n.stage.destroy?.();
    this.#head = null;
  }
}

interface Attachment {
  readonly random: RandomStream;
  active: boolean;
  nodes: { link: Link; node: StageNode }[];
}

function endThenDestroy(socket: Socket): void {
  if (socket.destroyed) return;
  const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.end(() => socket.destroy());
}

/** A client connection and its upstream connection. */
export class Connection {
  readonly index: number;
  readonly client: Socket;
  readonly upstream: Socket;
  readonly links: Record<StreamDirection, Link>;
  readonly #host: ConnectionHost;
  readonly #attached = new Map<ToxicRecord, Attachment>();
  #state: 'connecting' | 'open' | 'closing' | 'closed' = 'connecting';
  #closedSockets = 0;

  /** `readers`: the buffers `client` and `upstream` read through (their `onread`), where they have one. */
  constructor(
    host: ConnectionHost,
    index: number,
    client: Socket,
    upstream: Socket,
    readers: { client?: ReadBuffer | null; upstream?: ReadBuffer | null } = {},
  ) {
    this.#host = host;
    this.index = index;
    this.client = client;
    this.upstream = upstream;
    const { counters, clock } = host;
    this.links = {
      upstream: new Link('upstream', client, upstream, counters.upstream, clock, readers.client),
      downstream: new Link('downstream', upstream, client, counters.downstream, clock, readers.upstream),
    };
    for (const socket of [client, upstream]) {
      socket.on('error', this.#onError);
      socket.on('close', this.#onClose);
    }
  }

  get state(): 'connecting' | 'open' | 'closing' | 'closed' {
    return this.#state;
  }

  /** The upstream connected: attach the proxy's toxics and start moving bytes. */
  start(toxics: Iterable<ToxicRecord>): void {
    if (this.#state !== 'connecting') return;
    this.#state = 'open';
    for (const record of toxics) this.attach(record);
    this.links.upstream.start();
    this.links.downstream.start();
    this.client.resume();
  }

  readonly #onError = (): void => {
    // The error itself is expected (a peer reset, a refused upstream); both sides go.
    this.destroy();
  };

  readonly #onClose = (hadError: boolean): void => {
    this.#closedSockets++;
    if (hadError) this.destroy();
    if (this.#closedSockets === 2) this.#finish();
    else if (this.#state === 'connecting') this.destroy();
  };

  #finish(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.links.upstream.destroyStages();
    this.links.downstream.destroyStages();
    this.#attached.clear();
    this.#host.connectionClosed(this);
  }

  /** Starts a toxic on this connection if its toxicity draw says so. */
  attach(record: ToxicRecord): void {
    if (this.#attached.has(record)) return;
    const random = this.#host.random.fork(`proxy/${this.#host.name}/${record.name}/conn-${this.index}`);
    const att: Attachment = { random, active: false, nodes: [] };
    this.#attached.set(record, att);
    if (drawsToxic(random, record.toxicity)) this.#install(record, att);
  }

  /** A toxic's toxicity or attributes changed. */
  update(record: ToxicRecord): void {
    const att = this.#attached.get(record);
    if (!att) {
      this.attach(record);
      return;
    }
    const active = drawsToxic(att.random, record.toxicity);
    if (att.active && active) {
      for (const { node } of att.nodes) node.stage.update?.(record.attributes);
    } else if (active) {
      this.#install(record, att);
    } else if (att.active) {
      this.#uninstall(att);
    }
  }

  /** A toxic was removed: its stages push on what they hold and leave. */
  detach(record: ToxicRecord): void {
    const att = this.#attached.get(record);
    if (!att) return;
    this.#attached.delete(record);
    if (att.active) this.#uninstall(att);
  }

  /** Whether `record` acts on this connection. */
  isActive(record: ToxicRecord): boolean {
    return this.#attached.get(record)?.active ?? false;
  }

  #install(record: ToxicRecord, att: Attachment): void {
    if (this.#state !== 'open') return;
    const def = record.definition;
    const attrs = record.attributes as AttributeValues<typeof def.attributes>;
    const makeCtx = (link: Link, node: ReturnType<Link['newNode']>): ToxicContext => ({
      proxy: this.#host.name,
      toxic: record.name,
      direction: link.direction,
      connection: this.index,
      random: att.random,
      clock: this.#host.clock,
      push: node.forward,
      end: node.end,
      close: () => this.close(),
      reset: () => this.reset(),
      detach: () => link.unlink(node.node),
    });
    if (def.create) {
      const link = this.links[record.stream];
      if (link.srcEnded) return;
      const n = link.newNode(record.order);
      n.node.stage = def.create(makeCtx(link, n), attrs);
      att.nodes = [{ link, node: n.node }];
    } else if (def.createPair) {
      const up = this.links.upstream;
      const down = this.links.downstream;
      if (up.srcEnded || down.srcEnded) return;
      const nu = up.newNode(record.order);
      const nd = down.newNode(record.order);
      const pair = def.createPair(
        { upstream: makeCtx(up, nu), downstream: makeCtx(down, nd), stream: record.stream },
        attrs,
      );
      nu.node.stage = pair.upstream;
      nd.node.stage = pair.downstream;
      att.nodes = [
        { link: up, node: nu.node },
        { link: down, node: nd.node },
      ];
    }
    for (const { link, node } of att.nodes) link.insert(node);
    att.active = true;
    this.#host.toxicApplied(record);
  }

  #uninstall(att: Attachment): void {
    att.active = false;
    const nodes = att.nodes;
    att.nodes = [];
    for (const { link, node } of nodes) {
      if (!node.linked) continue;
      if (node.stage.flush() !== false) link.unlink(node);
    }
  }

  /** Graceful close of both sockets (FIN), after what was already written; toxics stop. */
  close(): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    this.#state = 'closing';
    this.links.upstream.destroyStages();
    this.links.downstream.destroyStages();
    endThenDestroy(this.client);
    endThenDestroy(this.upstream);
  }

  /** TCP RST to both sides. */
  reset(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closing';
    this.links.upstream.destroyStages();
    this.links.downstream.destroyStages();
    for (const s of [this.client, this.upstream]) {
      if (s.destroyed) continue;
      // resetAndDestroy needs a connected TCP handle; a socket still connecting is just destroyed.
      if (s.connecting || typeof s.resetAndDestroy !== 'function') s.destroy();
      else s.resetAndDestroy();
    }
  }

  /** Immediate close of both sockets (proxy disabled, deleted or restarted). */
  destroy(): void {
    if (this.#state === 'closed') return;
    if (this.#state !== 'closing') {
      this.#state = 'closing';
      this.links.upstream.destroyStages();
      this.links.downstream.destroyStages();
    }
    this.client.destroy();
    this.upstream.destroy();
  }
}
