/**
 * Request templates: what each request of a run looks like. A template is method, path, headers and body with
 * `{{name}}` placeholders; variables draw values from the run's seed, and a weighted mix picks a template per
 * request. Request i is a pure function of (seed, i) — it reads `randomStream(seed).fork('load/…').at(i)` — so
 * the same seed sends the same requests in the same order whatever the concurrency and timing.
 */
import { InvalidOptionError } from '../core/errors.js';
import { laneOf, type RandomStream, randomStream, type SeedInput } from '../core/random.js';
import { createZipf, type ZipfSampler } from './zipf.js';

/** A value source for `{{name}}` placeholders. */
export type VariableSpec =
  /** An integer uniform in [min, max]. */
  | { kind: 'uniform'; min: number; max: number }
  /** An integer in [1, n] (shifted by `offset`), Zipf-distributed with exponent `s` (default 1): 1 is hottest. */
  | { kind: 'zipf'; n: number; s?: number; offset?: number }
  /** One of `values`, weighted by `weights` (default equal). */
  | { kind: 'oneOf'; values: string[]; weights?: number[] }
  /** The request index plus `start` (default 0): 0, 1, 2, … */
  | { kind: 'sequence'; start?: number };

/** One kind of request in a run. Placeholders `{{name}}` may appear in path, header values and body. */
export interface RequestTemplate {
  /** Label for reports; defaults to `METHOD path`. */
  name?: string;
  method?: string;
  /** Path and query, e.g. `/items/{{key}}`; defaults to the URL's path. */
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Relative weight in a mix (default 1). */
  weight?: number;
}

/** A concrete request ready for the dispatcher. */
export interface BuiltRequest {
  method: string;
  path: string;
  headers: Record<string, string> | undefined;
  body: string | undefined;
  /** Index of the template in the mix. */
  template: number;
  /** True when the template has no placeholders: the same object is returned for every request. */
  reusable: boolean;
}

/** Produces request i of a run. */
export interface RequestFactory {
  /** Scheme, host and port every request goes to. */
  readonly origin: string;
  /** Request i (i ≥ 0). Static templates return the same object each time. */
  build(i: number): BuiltRequest;
  readonly templates: readonly RequestTemplate[];
}

type Part = string | { v: string };

function parseParts(text: string, field: string, vars: Record<string, VariableSpec>): Part[] {
  const parts: Part[] = [];
  const re = /\{\{\s*([A-Za-z_][\w-]*)\s*\}\}/g;
  let last = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const name = m[1] as string;
    if (!(name in vars))
      throw new InvalidOptionError(field, `uses {{${name}}} but no variable '${name}' is defined`);
    if (m.index > last) parts.push(text.slice(last, m.index));
    parts.push({ v: name });
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

function cumulative(weights: number[], field: string): number[] {
  let sum = 0;
  const cum = weights.map((w, k) => {
    if (!Number.isFinite(w) || w < 0) throw new InvalidOptionError(`${field}[${k}]`, `must be ≥ 0, got ${w}`);
    sum += w;
    return sum;
  });
  if (sum <= 0) throw new InvalidOptionError(field, 'must have a positive total weight');
  return cum.map((c) => c / sum);
}

function pick(cum: number[], u: number): number {
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (u < (cum[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

type Drawer = (i: number) => string;

function compileVariable(name: string, spec: VariableSpec, root: RandomStream): Drawer {
  const field = `vars.${name}`;
  const stream = root.fork(`load/vars/${name}`);
  switch (spec.kind) {
    case 'uniform': {
      if (!Number.isInteger(spec.min) || !Number.isInteger(spec.max) || spec.max < spec.min) {
        throw new InvalidOptionError(field, `needs integers min ≤ max, got ${spec.min}..${spec.max}`);
      }
      return (i) => String(stream.intAt(i, spec.min, spec.max));
    }
    case 'zipf': {
      let z: ZipfSampler;
      try {
        z = createZipf(spec.n, spec.s ?? 1);
      } catch (err) {
        throw new InvalidOptionError(field, err instanceof Error ? err.message : String(err));
      }
      const offset = spec.offset ?? 0;
      return (i) => String(offset + z.sample((attempt) => stream.at(i, attempt)));
    }
    case 'oneOf': {
      if (!Array.isArray(spec.values) || spec.values.length === 0) {
        throw new InvalidOptionError(`${field}.values`, 'needs at least one value');
      }
      const cum = cumulative(spec.weights ?? spec.values.map(() => 1), `${field}.weights`);
      if (cum.length !== spec.values.length) {
        throw new InvalidOptionError(`${field}.weights`, 'needs one weight per value');
      }
      return (i) => spec.values[pick(cum, stream.at(i))] as string;
    }
    case 'sequence': {
      const start = spec.start ?? 0;
      return (i) => String(start + i);
    }
    default:
      throw new InvalidOptionError(`${field}.kind`, `unknown kind '${(spec as { kind: unknown }).kind}'`);
  }
}

/** Options for {@link createRequestFactory}. */
export interface RequestFactoryOptions {
  /** The target URL: its origin is where every request goes; its path is the default template path. */
  url: string;
  /** One template or a weighted mix; defaults to one `GET` of the URL. */
  requests?: RequestTemplate | RequestTemplate[];
  vars?: Record<string, VariableSpec>;
  seed?: SeedInput;
}

/**
 * Compiles templates and variables into a {@link RequestFactory}.
 * @throws InvalidOptionError for a bad URL, an undefined placeholder, bad weights or a bad variable.
 */
export function createRequestFactory(options: RequestFactoryOptions): RequestFactory {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new InvalidOptionError('url', `is not a valid URL: '${options.url}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidOptionError('url', `must be http: or https:, got '${url.protocol}'`);
  }
  const vars = options.vars ?? {};
  const root = randomStream(options.seed ?? 0);
  const drawers = new Map<string, Drawer>();
  for (const [name, spec] of Object.entries(vars)) drawers.set(name, compileVariable(name, spec, root));
  const templates = Array.isArray(options.requests)
    ? options.requests
    : [options.requests ?? { method: 'GET', path: `${url.pathname}${url.search}` }];
  if (templates.length === 0) throw new InvalidOptionError('requests', 'needs at least one request template');
  const defaultPath = `${url.pathname}${url.search}`;

  const compiled = templates.map((tpl, k) => {
    const field = Array.isArray(options.requests) ? `requests[${k}]` : 'request';
    const method = (tpl.method ?? 'GET').toUpperCase();
    if (!/^[A-Z]+$/.test(method))
      throw new InvalidOptionError(`${field}.method`, `is not a method: '${tpl.method}'`);
    const path = tpl.path ?? defaultPath;
    if (!path.startsWith('/'))
      throw new InvalidOptionError(`${field}.path`, `must start with '/', got '${path}'`);
    const pathParts = parseParts(path, `${field}.path`, vars);
    const headerParts = Object.entries(tpl.headers ?? {}).map(
      ([h, v]) => [h, parseParts(v, `${field}.headers.${h}`, vars)] as const,
    );
    const bodyParts = tpl.body === undefined ? undefined : parseParts(tpl.body, `${field}.body`, vars);
    const isStatic =
      pathParts.every((p) => typeof p === 'string') &&
      headerParts.every(([, ps]) => ps.every((p) => typeof p === 'string')) &&
      (bodyParts ?? []).every((p) => typeof p === 'string');
    return { method, pathParts, headerParts, bodyParts, isStatic, k };
  });

  const mixCum = cumulative(
    templates.map((t) => t.weight ?? 1),
    'requests.weight',
  );
  const staticBuilt = compiled.map((c) =>
    c.isStatic
      ? ({
          method: c.method,
          path: c.pathParts.join(''),
          headers:
            c.headerParts.length > 0
              ? Object.fromEntries(c.headerParts.map(([h, p]) => [h, p.join('')]))
              : undefined,
          body: c.bodyParts?.join(''),
          template: c.k,
          reusable: true,
        } satisfies BuiltRequest)
      : null,
  );
  return new TemplateFactory(
    url.origin,
    templates,
    compiled,
    staticBuilt,
    mixCum,
    root.fork('load/mix'),
    drawers,
  );
}

interface CompiledTemplate {
  method: string;
  pathParts: Part[];
  headerParts: (readonly [string, Part[]])[];
  bodyParts: Part[] | undefined;
  isStatic: boolean;
  k: number;
}

const MIX_LANE = laneOf('mix');

/**
 * The factory {@link createRequestFactory} returns. A class rather than an object of closures: every factory
 * shares one `build` function, so a runner's call site stays monomorphic across runs in one process.
 */
class TemplateFactory implements RequestFactory {
  readonly origin: string;
  readonly templates: readonly RequestTemplate[];
  readonly #compiled: CompiledTemplate[];
  readonly #staticBuilt: (BuiltRequest | null)[];
  readonly #mixCum: number[];
  readonly #mixStream: RandomStream;
  readonly #drawers: Map<string, Drawer>;

  constructor(
    origin: string,
    templates: readonly RequestTemplate[],
    compiled: CompiledTemplate[],
    staticBuilt: (BuiltRequest | null)[],
    mixCum: number[],
    mixStream: RandomStream,
    drawers: Map<string, Drawer>,
  ) {
    this.origin = origin;
    this.templates = templates;
    this.#compiled = compiled;
    this.#staticBuilt = staticBuilt;
    this.#mixCum = mixCum;
    this.#mixStream = mixStream;
    this.#drawers = drawers;
  }

  build(i: number): BuiltRequest {
    const compiled = this.#compiled;
    const k = compiled.length === 1 ? 0 : pick(this.#mixCum, this.#mixStream.at(i, MIX_LANE));
    const fixed = this.#staticBuilt[k];
    if (fixed) return fixed;
    const c = compiled[k] as CompiledTemplate;
    // One draw per variable per request: {{key}} twice in a request is the same key.
    const values = new Map<string, string>();
    return {
      method: c.method,
      path: this.#render(c.pathParts, values, i),
      headers:
        c.headerParts.length > 0
          ? Object.fromEntries(c.headerParts.map(([h, p]) => [h, this.#render(p, values, i)]))
          : undefined,
      body: c.bodyParts === undefined ? undefined : this.#render(c.bodyParts, values, i),
      template: k,
      reusable: false,
    };
  }

  #render(parts: Part[], values: Map<string, string>, i: number): string {
    let out = '';
    for (const p of parts) {
      if (typeof p === 'string') {
        out += p;
      } else {
        let v = values.get(p.v);
        if (v === undefined) {
          v = (this.#drawers.get(p.v) as Drawer)(i);
          values.set(p.v, v);
        }
        out += v;
      }
    }
    return out;
  }
}

/**
 * Parses the CLI form of a variable: `uniform:1-1000`, `zipf:1000[:s]`, `oneof:a,b,c`, `seq[:start]`.
 * @throws InvalidOptionError naming `field`.
 */
export function parseVariableSpec(text: string, field = 'var'): VariableSpec {
  const [kind, ...rest] = text.split(':');
  const arg = rest.join(':');
  switch (kind) {
    case 'uniform': {
      const m = /^(-?\d+)-(-?\d+)$/.exec(arg);
      if (!m) throw new InvalidOptionError(field, `expected uniform:MIN-MAX, got '${text}'`);
      return { kind: 'uniform', min: Number(m[1]), max: Number(m[2]) };
    }
    case 'zipf': {
      const m = /^(\d+)(?::(\d+(?:\.\d+)?))?$/.exec(arg);
      if (!m) throw new InvalidOptionError(field, `expected zipf:N or zipf:N:S, got '${text}'`);
      return m[2] === undefined
        ? { kind: 'zipf', n: Number(m[1]) }
        : { kind: 'zipf', n: Number(m[1]), s: Number(m[2]) };
    }
    case 'oneof':
      if (arg === '') throw new InvalidOptionError(field, `expected oneof:A,B,C, got '${text}'`);
      return { kind: 'oneOf', values: arg.split(',') };
    case 'seq':
      if (arg !== '' && !/^\d+$/.test(arg))
        throw new InvalidOptionError(field, `expected seq or seq:START, got '${text}'`);
      return arg === '' ? { kind: 'sequence' } : { kind: 'sequence', start: Number(arg) };
    default:
      throw new InvalidOptionError(field, `unknown kind '${kind}' (uniform, zipf, oneof, seq)`);
  }
}
