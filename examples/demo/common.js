// @ts-check
/**
 * What the demo programs share: reading their environment, a tiny Prometheus registry, reading request bodies,
 * and the start/stop contract an experiment relies on when it runs them as process targets:
 *
 *   - configured by environment variables only; a bad value exits 2 with one line naming the variable;
 *   - bind 127.0.0.1 on PORT (0: any free port) and print exactly one line, `listening on <port>`, to stdout;
 *   - SIGTERM or SIGINT close the server and exit 0 at once, so a restart never waits for a drain.
 *
 * Plain node:http and no framework on purpose: each program should read top to bottom. Plain JavaScript too (typed
 * through JSDoc, checked by tsc), so node starts each program without a TypeScript loader: experiments restart
 * replicas, and a loader would make every start a burst of CPU that distorts what is being measured.
 */
import { createServer } from 'node:http';
import { basename } from 'node:path';

/** @import { IncomingMessage, Server, ServerResponse } from 'node:http' */
/** @import { AddressInfo } from 'node:net' */

const program = basename(process.argv[1] ?? 'demo').replace(/\.[jt]s$/, '');

/**
 * Ends the program with status 2 and one line on stderr: a misconfigured program must not half-start.
 * @param {string} message
 * @returns {never}
 */
export function fail(message) {
  process.stderr.write(`${program}: ${message}\n`);
  process.exit(2);
}

/**
 * A whole-number variable, or `fallback` when it is unset or empty.
 * @param {string} name
 * @param {number} fallback
 * @param {{ min?: number, max?: number }} [range]
 * @returns {number}
 */
export function envInt(name, fallback, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}) {
  const raw = process.env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) {
    fail(`${name}: expected a whole number from ${min} to ${max}; got '${raw}'`);
  }
  return n;
}

/**
 * A variable the program cannot run without.
 * @param {string} name
 * @returns {string}
 */
export function envRequired(name) {
  const raw = process.env[name]?.trim();
  if (raw === undefined || raw === '') fail(`${name} is required`);
  return raw;
}

/**
 * A base URL from `8101`, `127.0.0.1:8101` or `http://127.0.0.1:8101[/prefix]`, without a trailing slash, so
 * callers append paths with plain string concatenation (which keeps any prefix, unlike `new URL(path, base)`).
 * Ports alone mean 127.0.0.1: experiments template ports, not hosts.
 * @param {string} entry
 * @param {string} variable
 * @returns {string}
 */
export function baseUrl(entry, variable) {
  const text = entry.trim();
  const withScheme = /^\d+$/.test(text)
    ? `http://127.0.0.1:${text}`
    : /^[a-z]+:\/\//i.test(text)
      ? text
      : `http://${text}`;
  /** @type {URL} */
  let url;
  try {
    url = new URL(withScheme);
  } catch {
    fail(`${variable}: '${entry}' is not a port, host:port or URL`);
  }
  if (url.protocol !== 'http:') fail(`${variable}: '${entry}' must be http://`);
  return url.href.replace(/\/+$/, '');
}

/**
 * A comma-separated list of base URLs (empty entries ignored).
 * @param {string} value
 * @param {string} variable
 * @returns {string[]}
 */
export function baseUrlList(value, variable) {
  return value
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((s) => baseUrl(s, variable));
}

/** @typedef {Record<string, string>} Labels */

/**
 * @typedef {object} Family
 * @property {string} name
 * @property {string} help
 * @property {'counter' | 'gauge'} type
 * @property {Map<string, number>} series
 * @property {() => number} [read]
 */

/**
 * A counter, optionally split by labels.
 * @typedef {object} Counter
 * @property {(labels?: Labels, by?: number) => void} inc
 */

/**
 * @param {string} value
 * @returns {string}
 */
function escapeLabel(value) {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * @param {Labels} labels
 * @returns {string}
 */
function labelText(labels) {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/**
 * Just enough of a Prometheus client for a showcase: counters and gauges written in the text format (0.0.4).
 * A gauge is read when scraped, so it can never drift from the state it describes.
 */
export class Metrics {
  /** @type {Family[]} @readonly */
  #families = [];

  /**
   * An unlabelled counter starts at 0 so it is visible before anything happens; labelled series appear on first use.
   * @param {string} name
   * @param {string} help
   * @param {{ labelled?: boolean }} [options]
   * @returns {Counter}
   */
  counter(name, help, { labelled = false } = {}) {
    /** @type {Family} */
    const family = { name, help, type: 'counter', series: new Map() };
    if (!labelled) family.series.set('', 0);
    this.#families.push(family);
    return {
      inc(labels = {}, by = 1) {
        const key = labelText(labels);
        family.series.set(key, (family.series.get(key) ?? 0) + by);
      },
    };
  }

  /**
   * @param {string} name
   * @param {string} help
   * @param {() => number} read
   * @returns {void}
   */
  gauge(name, help, read) {
    this.#families.push({ name, help, type: 'gauge', series: new Map(), read });
  }

  /** @returns {string} */
  render() {
    let out = '';
    for (const f of this.#families) {
      out += `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n`;
      if (f.read) out += `${f.name} ${f.read()}\n`;
      for (const [labels, value] of f.series) out += `${f.name}${labels} ${value}\n`;
    }
    return out;
  }
}

export const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/** Thrown by {@link readBody} when a body is over the limit (the caller answers 413). */
export class BodyTooLarge extends Error {}

/**
 * Reads a whole request body as UTF-8. Values are capped so one client cannot exhaust memory.
 * @param {IncomingMessage} req
 * @param {number} [limit]
 * @returns {Promise<string>}
 */
export async function readBody(req, limit = 1 << 20) {
  /** @type {Buffer[]} */
  const chunks = [];
  let size = 0;
  for await (const chunk of /** @type {AsyncIterable<Buffer>} */ (req)) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLarge(`body over ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Writes a complete response; a string body is sent as text/plain unless a content-type is given.
 * @param {ServerResponse} res
 * @param {number} status
 * @param {string | Uint8Array} [body]
 * @param {Record<string, string>} [headers]
 * @returns {void}
 */
export function send(res, status, body, headers = {}) {
  const length =
    body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  if (length > 0 && headers['content-type'] === undefined && typeof body === 'string') {
    headers['content-type'] = 'text/plain; charset=utf-8';
  }
  // A 204 must not carry a length; everything else does, so keep-alive clients need no chunked framing.
  if (status !== 204 && status !== 304) headers['content-length'] = String(length);
  res.writeHead(status, headers);
  res.end(body);
}

/**
 * `/kv/<key>` → the decoded key; `undefined` for any other path; `null` for a key that does not decode. Keys may
 * contain slashes: everything after `/kv/` is the key.
 * @param {string} pathname
 * @param {string} [prefix]
 * @returns {string | undefined | null}
 */
export function kvKey(pathname, prefix = '/kv/') {
  if (!pathname.startsWith(prefix) || pathname.length === prefix.length) return undefined;
  try {
    return decodeURIComponent(pathname.slice(prefix.length));
  } catch {
    return null;
  }
}

/**
 * Starts the HTTP server on 127.0.0.1:$PORT and keeps the start/stop contract described at the top of this file.
 * A handler that throws gets a 500 (or a reset, if it had started answering) rather than crashing the program:
 * a demo that dies of its own bugs would be mistaken for a fault that worked.
 * @param {(req: IncomingMessage, res: ServerResponse) => Promise<void> | void} handler
 * @param {() => void} [onStop]
 * @returns {Server}
 */
export function serve(handler, onStop = () => {}) {
  const port = envInt('PORT', 0, { max: 65535 });
  const server = createServer((req, res) => {
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((/** @type {unknown} */ err) => {
        process.stderr.write(
          `${program}: ${req.method} ${req.url}: ${/** @type {Error} */ (err).stack ?? err}\n`,
        );
        if (res.headersSent) res.destroy();
        else send(res, 500, 'internal error\n');
      });
  });
  server.on('error', (err) => fail(`cannot listen on 127.0.0.1:${port}: ${err.message}`));
  server.listen(port, '127.0.0.1', () => {
    process.stdout.write(`listening on ${/** @type {AddressInfo} */ (server.address()).port}\n`);
  });
  const stop = () => {
    onStop();
    // Keep-alive connections would hold close() open; an experiment that kills us wants us gone now.
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return server;
}
