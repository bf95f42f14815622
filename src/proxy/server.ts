/**
 * The proxy server: the set of proxies, every operation of the Toxiproxy API as a method (validation first,
 * then an all-or-nothing change), and the HTTP API on top (api.ts). Mutations run one at a time, so two
 * concurrent requests cannot both create the same name.
 */
import { randomInt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ControlGuard, createControlGuard } from '../control/guard.js';
import { FaultlineError, InvalidOptionError } from '../core/errors.js';
import { normalizeSeed, type RandomStream, randomStream, type SeedInput } from '../core/random.js';
import { parseHostPort } from './address.js';
import { createApiHandler } from './api.js';
import { parseAttributes } from './attributes.js';
import { type Clock, systemClock } from './clock.js';
import type { ToxicRecord } from './connection.js';
import {
  badRequestBody,
  invalidStream,
  invalidToxicType,
  missingField,
  ProxyApiError,
  proxyAlreadyExists,
  proxyNotFound,
  toxicAlreadyExists,
  toxicNotFound,
} from './errors.js';
import { renderMetrics } from './metrics.js';
import type { ProxyOperations } from './operations.js';
import { type ProxyJSON, TcpProxy, type ToxicJSON, toxicJSON } from './proxy.js';
import { getToxicDefinition } from './registry.js';
import type { StreamDirection } from './toxic.js';
import './toxics/index.js';

/** Options of {@link createProxyServer}. */
export interface ProxyServerOptions {
  /** API host. Default `127.0.0.1`; any other than a loopback address needs a `token`. */
  host?: string;
  /**
   * Bearer token every API request must carry (`Authorization: Bearer <token>`), at least 16 characters.
   * Default: FAULTLINE_PROXY_TOKEN. Without one the API serves only loopback addresses and loopback Host names.
   */
  token?: string;
  /** API port. Default 8474 (Toxiproxy's); 0 picks a free port. */
  port?: number;
  /** Seed of every toxicity and toxic decision. Default: a random seed, readable as `server.seed`. */
  seed?: SeedInput;
  /** Time source for toxics. Default: the precise system clock. */
  clock?: Clock;
  /** Proxies to create at `listen()`: a JSON file path (Toxiproxy's `-config` format) or the array itself. */
  config?: string | unknown[];
  /**
   * Most connections the API listener holds at once (default 64); more are closed as they arrive. Proxied
   * traffic has its own listeners and is not counted, so idle API clients cannot use up the descriptors it needs.
   */
  apiMaxConnections?: number;
  /**
   * An API connection that sends nothing for this long is closed (ms, default 10,000): one that never sends a
   * request, and a keep-alive one between requests.
   */
  apiIdleTimeoutMs?: number;
}

const DEFAULT_API_MAX_CONNECTIONS = 64;
const DEFAULT_API_IDLE_TIMEOUT_MS = 10_000;
/** Where a proxy created without `listen` listens: a free loopback port (Toxiproxy binds a free port too). */
const DEFAULT_LISTEN = '127.0.0.1:0';
/**
 * Names a JavaScript client cannot hold as a key of the object `GET /proxies` answers with: assigning
 * `proxies["__proto__"]` sets the prototype instead, so the proxy would vanish from its list.
 */
const RESERVED_NAMES = new Set(['__proto__']);

/** Where the API listens. */
export interface ProxyServerAddress {
  host: string;
  port: number;
  /** `http://host:port`, the base URL a Toxiproxy client takes. */
  url: string;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalString(body: Json, field: string, label = field): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badRequestBody(label, 'must be a string');
  return v;
}

function optionalBoolean(body: Json, field: string, label = field): boolean | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw badRequestBody(label, 'must be true or false');
  return v;
}

function checkUpstream(upstream: string, label = 'upstream'): void {
  const hp = parseHostPort(upstream);
  if (typeof hp === 'string') throw badRequestBody(label, `must be host:port (${hp})`);
  if (hp.port === 0) throw badRequestBody(label, 'port must not be 0');
}

/** A listen address that is not `host:port` is bad input (400), not a failed bind (500). Port 0 is fine. */
function checkListen(listen: string): void {
  const hp = parseHostPort(listen);
  if (typeof hp === 'string') throw badRequestBody('listen', `must be host:port (${hp})`);
}

interface ProxyInput {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
}

function parseProxyInput(raw: unknown, where = ''): ProxyInput {
  if (!isObject(raw)) throw badRequestBody(where ? `proxy${where}` : undefined, 'expected a JSON object');
  const name = optionalString(raw, 'name');
  if (!name) throw missingField('name', where);
  if (RESERVED_NAMES.has(name)) throw badRequestBody('name', `${JSON.stringify(name)} is reserved${where}`);
  const upstream = optionalString(raw, 'upstream');
  if (!upstream) throw missingField('upstream', where);
  checkUpstream(upstream);
  const listen = optionalString(raw, 'listen') || DEFAULT_LISTEN;
  checkListen(listen);
  const enabled = optionalBoolean(raw, 'enabled') ?? true;
  return { name, listen, upstream, enabled };
}

function positiveInteger(value: number | undefined, option: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new InvalidOptionError(option, `must be an integer of at least ${min}; got ${value}`);
  }
  return value;
}

function parseToxicity(v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
    throw badRequestBody('toxicity', 'must be a number from 0 to 1');
  }
  return v;
}

/** The faultline proxy server. Create it with {@link createProxyServer}. */
export class ProxyServer implements ProxyOperations {
  /** The seed every toxic decision derives from (a canonical integer). */
  readonly seed: number;
  readonly #random: RandomStream;
  readonly #clock: Clock;
  readonly #options: ProxyServerOptions;
  readonly #guard: ControlGuard;
  readonly #apiMaxConnections: number;
  readonly #apiIdleTimeoutMs: number;
  readonly #proxies = new Map<string, TcpProxy>();
  #queue: Promise<unknown> = Promise.resolve();
  #http: Server | null = null;
  #address: ProxyServerAddress | null = null;
  /** The HTTP API as a request handler, to mount on a server of your own. */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;

  constructor(options: ProxyServerOptions = {}) {
    this.#options = options;
    if (
      options.port !== undefined &&
      (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)
    ) {
      throw new InvalidOptionError('port', `must be an integer from 0 to 65535; got ${options.port}`);
    }
    try {
      this.seed = normalizeSeed(options.seed ?? randomInt(0, 2 ** 48 - 1));
    } catch (err) {
      throw new InvalidOptionError('seed', (err as Error).message);
    }
    this.#apiMaxConnections = positiveInteger(
      options.apiMaxConnections,
      'apiMaxConnections',
      DEFAULT_API_MAX_CONNECTIONS,
      1,
    );
    this.#apiIdleTimeoutMs = positiveInteger(
      options.apiIdleTimeoutMs,
      'apiIdleTimeoutMs',
      DEFAULT_API_IDLE_TIMEOUT_MS,
      1,
    );
    this.#random = randomStream(this.seed);
    this.#clock = options.clock ?? systemClock;
    this.#guard = createControlGuard({
      token: options.token ?? process.env.FAULTLINE_PROXY_TOKEN,
      what: 'the proxy API',
      tokenVariable: 'FAULTLINE_PROXY_TOKEN',
      insecureCode: 'FAULTLINE_PROXY_INSECURE',
      realm: 'faultline proxy',
    });
    this.handler = createApiHandler(this, this.#guard);
  }

  /** Where the API listens (after `listen()`). */
  get address(): ProxyServerAddress | null {
    return this.#address;
  }

  /** `http://host:port` of the API (after `listen()`). */
  get url(): string {
    if (!this.#address)
      throw new FaultlineError('FAULTLINE_PROXY_NOT_LISTENING', 'the proxy server is not listening');
    return this.#address.url;
  }

  /** Creates the configured proxies, then starts the HTTP API. */
  async listen(): Promise<ProxyServerAddress> {
    if (this.#address) return this.#address;
    const host = this.#options.host ?? '127.0.0.1';
    this.#guard.checkListenHost(host); // before any proxy of the config exists
    const config = this.#options.config;
    if (config !== undefined) await this.#loadConfig(config);
    const port = this.#options.port ?? 8474;
    const http = createServer({ keepAlive: true, keepAliveTimeout: this.#apiIdleTimeoutMs }, this.handler);
    // Over the cap, Node closes a new connection as soon as it is accepted.
    http.maxConnections = this.#apiMaxConnections;
    // Socket inactivity: also catches a connection that never sends a request (headersTimeout only starts with one).
    http.setTimeout(this.#apiIdleTimeoutMs);
    try {
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen({ host, port, exclusive: true }, () => {
          http.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      for (const p of this.#proxies.values()) p.stop();
      throw new FaultlineError(
        'FAULTLINE_PROXY_API_LISTEN_FAILED',
        `cannot listen on ${host}:${port}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const addr = http.address() as AddressInfo;
    this.#http = http;
    const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    this.#address = { host: addr.address, port: addr.port, url: `http://${shownHost}:${addr.port}` };
    return this.#address;
  }

  async #loadConfig(config: string | unknown[]): Promise<void> {
    let list: unknown = config;
    if (typeof config === 'string') {
      let text: string;
      try {
        text = await readFile(config, 'utf8');
      } catch (err) {
        throw new InvalidOptionError('config', `cannot read ${config}: ${(err as Error).message}`);
      }
      try {
        list = JSON.parse(text);
      } catch (err) {
        throw new InvalidOptionError('config', `${config} is not valid JSON: ${(err as Error).message}`);
      }
    }
    try {
      await this.populate(list);
    } catch (err) {
      if (err instanceof ProxyApiError) {
        throw new InvalidOptionError(
          `config${typeof config === 'string' ? ` (${config})` : ''}`,
          err.message,
        );
      }
      throw err;
    }
  }

  /** Stops the API and every proxy; live connections are closed. */
  async close(): Promise<void> {
    for (const p of this.#proxies.values()) p.stop();
    const http = this.#http;
    this.#http = null;
    this.#address = null;
    if (http) {
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    }
  }

  #serial<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #get(name: string): TcpProxy {
    const p = this.#proxies.get(name);
    if (!p) throw proxyNotFound(name);
    return p;
  }

  #newProxy(input: ProxyInput): TcpProxy {
    return new TcpProxy({
      name: input.name,
      listen: input.listen,
      upstream: input.upstream,
      clock: this.#clock,
      random: this.#random,
    });
  }

  /** Every proxy with its toxics, by name (sorted, as Toxiproxy's JSON object is). */
  listProxies(): Record<string, ProxyJSON> {
    // no prototype: a name such as `constructor` is an ordinary key
    const out: Record<string, ProxyJSON> = Object.create(null);
    for (const name of [...this.#proxies.keys()].sort()) out[name] = this.#proxies.get(name)!.toJSON();
    return out;
  }

  getProxy(name: string): ProxyJSON {
    return this.#get(name).toJSON();
  }

  /** `POST /proxies`: 201 with the proxy; 400 missing/invalid field, 409 name taken, 500 listen failed. */
  createProxy(body: unknown): Promise<ProxyJSON> {
    return this.#serial(async () => {
      const input = parseProxyInput(body);
      if (this.#proxies.has(input.name)) throw proxyAlreadyExists(input.name);
      const proxy = this.#newProxy(input);
      if (input.enabled) await proxy.start();
      this.#proxies.set(input.name, proxy);
      return proxy.toJSON();
    });
  }

  /**
   * `POST /populate`: creates or replaces proxies in bulk; a proxy whose listen and upstream match is left
   * untouched. All or nothing: if any listener cannot be bound, every change is rolled back.
   */
  populate(body: unknown): Promise<ProxyJSON[]> {
    return this.#serial(async () => {
      if (!Array.isArray(body)) throw badRequestBody(undefined, 'expected a JSON array of proxies');
      const inputs = body.map((raw, i) => parseProxyInput(raw, ` at proxy ${i + 1}`));
      // Later entries with the same name win, as if applied one after another.
      const byName = new Map<string, ProxyInput>();
      for (const input of inputs) byName.set(input.name, input);
      const plan: { input: ProxyInput; old: TcpProxy | undefined; next: TcpProxy }[] = [];
      for (const input of byName.values()) {
        const old = this.#proxies.get(input.name);
        if (old && old.upstream === input.upstream && (await old.sameListen(input.listen))) {
          plan.push({ input, old, next: old });
        } else {
          plan.push({ input, old, next: this.#newProxy(input) });
        }
      }
      const replaced = plan.filter((s) => s.old && s.next !== s.old);
      const restart = replaced.filter((s) => s.old!.enabled);
      for (const s of replaced) s.old!.stop();
      const started: TcpProxy[] = [];
      try {
        for (const s of plan) {
          if (s.next === s.old || !s.input.enabled) continue;
          await s.next.start();
          started.push(s.next);
        }
      } catch (err) {
        for (const p of started) p.stop();
        for (const s of restart) await s.old!.start().catch(() => undefined);
        throw err;
      }
      for (const s of plan) this.#proxies.set(s.input.name, s.next);
      const result = new Map(plan.map((s) => [s.input.name, s.next]));
      const seen = new Set<string>();
      const out: ProxyJSON[] = [];
      for (const input of inputs) {
        if (seen.has(input.name)) continue;
        seen.add(input.name);
        out.push(result.get(input.name)!.toJSON());
      }
      return out;
    });
  }

  /** `POST /proxies/{name}`: fields default to the current ones; changing listen/upstream drops connections. */
  updateProxy(name: string, body: unknown): Promise<ProxyJSON> {
    return this.#serial(async () => {
      const proxy = this.#get(name);
      if (!isObject(body)) throw badRequestBody(undefined, 'expected a JSON object');
      const listen = optionalString(body, 'listen') ?? proxy.listen;
      if (listen !== '') checkListen(listen);
      const upstream = optionalString(body, 'upstream') ?? proxy.upstream;
      if (upstream !== proxy.upstream) checkUpstream(upstream);
      const enabled = optionalBoolean(body, 'enabled') ?? proxy.enabled;
      await proxy.update({ listen: listen === '' ? proxy.listen : listen, upstream, enabled });
      return proxy.toJSON();
    });
  }

  /** `DELETE /proxies/{name}`: stops the proxy and closes its connections. */
  deleteProxy(name: string): Promise<void> {
    return this.#serial(() => {
      const proxy = this.#get(name);
      proxy.stop();
      this.#proxies.delete(name);
    });
  }

  listToxics(proxyName: string): ToxicJSON[] {
    return this.#get(proxyName).toxicsJSON();
  }

  getToxic(proxyName: string, toxicName: string): ToxicJSON {
    const t = this.#get(proxyName).findToxic(toxicName);
    if (!t) throw toxicNotFound();
    return toxicJSON(t);
  }

  /** `POST /proxies/{name}/toxics`: applies to live connections at once. */
  addToxic(proxyName: string, body: unknown): Promise<ToxicJSON> {
    return this.#serial(() => {
      const proxy = this.#get(proxyName);
      if (!isObject(body)) throw badRequestBody(undefined, 'expected a JSON object');
      const streamRaw = body.stream ?? 'downstream';
      if (streamRaw !== 'upstream' && streamRaw !== 'downstream') throw invalidStream();
      const stream: StreamDirection = streamRaw;
      const type = body.type;
      const def = typeof type === 'string' ? getToxicDefinition(type) : undefined;
      if (!def || typeof type !== 'string') throw invalidToxicType(type);
      const name = optionalString(body, 'name') || `${type}_${stream}`;
      if (proxy.findToxic(name)) throw toxicAlreadyExists();
      const toxicity =
        body.toxicity === undefined || body.toxicity === null ? 1 : parseToxicity(body.toxicity);
      const attributes = parseAttributes(def.attributes, body.attributes);
      def.validate?.(attributes);
      const record: ToxicRecord = {
        order: proxy.nextToxicOrder(),
        name,
        type,
        stream,
        toxicity,
        attributes,
        definition: def,
      };
      proxy.addToxic(record);
      return toxicJSON(record);
    });
  }

  /** `POST /proxies/{name}/toxics/{toxic}`: attributes merge onto the current ones; toxicity may change. */
  updateToxic(proxyName: string, toxicName: string, body: unknown): Promise<ToxicJSON> {
    return this.#serial(() => {
      const proxy = this.#get(proxyName);
      const record = proxy.findToxic(toxicName);
      if (!record) throw toxicNotFound();
      if (!isObject(body)) throw badRequestBody(undefined, 'expected a JSON object');
      const toxicity =
        body.toxicity === undefined || body.toxicity === null
          ? record.toxicity
          : parseToxicity(body.toxicity);
      const def = record.definition;
      const attributes = parseAttributes(
        def.attributes,
        body.attributes,
        record.attributes as ReturnType<typeof parseAttributes>,
      );
      def.validate?.(attributes);
      record.toxicity = toxicity;
      record.attributes = attributes;
      proxy.toxicChanged(record);
      return toxicJSON(record);
    });
  }

  /** `DELETE /proxies/{name}/toxics/{toxic}`: live connections keep going; held data is passed on. */
  removeToxic(proxyName: string, toxicName: string): Promise<void> {
    return this.#serial(() => {
      const proxy = this.#get(proxyName);
      const record = proxy.findToxic(toxicName);
      if (!record) throw toxicNotFound();
      proxy.removeToxic(record);
    });
  }

  /** `POST /reset`: enables every proxy and removes every toxic; all or nothing. */
  reset(): Promise<void> {
    return this.#serial(async () => {
      const started: TcpProxy[] = [];
      try {
        for (const p of this.#proxies.values()) {
          if (p.enabled) continue;
          await p.start();
          started.push(p);
        }
      } catch (err) {
        for (const p of started) p.stop();
        throw err;
      }
      for (const p of this.#proxies.values()) p.removeAllToxics();
    });
  }

  /** `GET /metrics`: Prometheus text. */
  metrics(): string {
    return renderMetrics(this.#proxies.values());
  }

  /** @internal live proxies, for tests and the bench. */
  proxies(): Iterable<TcpProxy> {
    return this.#proxies.values();
  }
}

/** Creates a proxy server; call `listen()` to start its API (and configured proxies), `close()` to stop. */
export function createProxyServer(options: ProxyServerOptions = {}): ProxyServer {
  return new ProxyServer(options);
}
