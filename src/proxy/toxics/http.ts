/**
 * `http`: for HTTP/1.1 traffic, requests matching `method` and `path` are either answered by the proxy with
 * `status` (plus `body` and `headers`) instead of being forwarded, or — with `status: 0` — delayed by `delay` ms:
 * the request on its way up (`stream: upstream`) or its response on its way back (`stream: downstream`).
 * Other requests pass untouched.
 *
 * It sees both directions: a request stage splits the client's byte stream into requests, and a response stage
 * splits the server's into responses and puts each answer the proxy makes in its place, so keep-alive and
 * pipelined requests get their responses in request order whatever mix of answered and forwarded ones they are.
 * Bytes it forwards are never rewritten. Traffic that is not HTTP/1.x, upgraded connections (101) and CONNECT
 * tunnels pass through as raw bytes. A matched request that asks `Connection: close` (or is HTTP/1.0, or expects
 * 100-continue) is answered with `Connection: close` and the connection is then closed, as a server would.
 */
import { STATUS_CODES } from 'node:http';
import { badRequestBody } from '../errors.js';
import {
  BodyReader,
  closesConnection,
  type Head,
  parseHead,
  requestFraming,
  responseFraming,
} from '../http1.js';
import { registerToxic } from '../registry.js';
import { defineToxic, type ToxicStage } from '../toxic.js';

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";

const attributes = {
  method: {
    kind: 'string',
    default: '',
    pattern: new RegExp(`^${TOKEN}(,${TOKEN})*$`),
    patternHint: 'must be a method such as GET, or a comma-separated list',
    description: 'Request methods that match, e.g. `GET` or `GET,HEAD`; empty matches any.',
  },
  path: {
    kind: 'string',
    default: '',
    description:
      'Request path that matches; `*` matches any run of characters (`/api/*`). Compared without the query ' +
      'string unless the pattern has a `?`. Empty matches any.',
  },
  status: {
    kind: 'integer',
    default: 0,
    max: 599,
    description:
      'Answer matching requests with this status instead of forwarding them; 0 forwards (delay only).',
  },
  body: { kind: 'string', default: '', description: 'Body of the answer (UTF-8).' },
  headers: { kind: 'headers', description: 'Extra headers of the answer, as an object of names to values.' },
  delay: {
    kind: 'integer',
    default: 0,
    unit: 'ms',
    description:
      'Delay for matching requests: before the answer is sent, or (status 0) before the request is forwarded ' +
      '(stream upstream) or its response is passed back (stream downstream).',
  },
} as const;

type Attrs = {
  method: string;
  path: string;
  status: number;
  body: string;
  headers: Record<string, string>;
  delay: number;
};

interface UpstreamEntry {
  kind: 'upstream';
  method: string;
  delay: number;
  startedAt: number | undefined;
  chunks: Buffer[];
  done: boolean;
}

interface AnswerEntry {
  kind: 'answer';
  bytes: Buffer;
  readyAt: number | undefined;
  close: boolean;
}

type Entry = UpstreamEntry | AnswerEntry;

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

function matcher(attrs: Attrs): (head: Head) => boolean {
  const methods = attrs.method ? attrs.method.toUpperCase().split(',') : null;
  const path = attrs.path ? globToRegExp(attrs.path) : null;
  const withQuery = attrs.path.includes('?');
  return (head) => {
    if (methods && !methods.includes(head.method.toUpperCase())) return false;
    if (!path) return true;
    let target = head.target;
    const abs = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(target);
    if (abs) target = target.slice(abs[0].length) || '/';
    if (!withQuery) target = target.split('?')[0]!;
    return path.test(target);
  };
}

function answerBytes(attrs: Attrs, request: Head, close: boolean, toxic: string): Buffer {
  const body = Buffer.from(attrs.body, 'utf8');
  const lines = [`HTTP/1.1 ${attrs.status} ${STATUS_CODES[attrs.status] ?? 'Unknown'}`];
  const given = new Set(Object.keys(attrs.headers).map((k) => k.toLowerCase()));
  if (body.length > 0 && !given.has('content-type')) lines.push('Content-Type: text/plain; charset=utf-8');
  lines.push(`Content-Length: ${body.length}`, `Connection: ${close ? 'close' : 'keep-alive'}`);
  lines.push(`X-Faultline-Toxic: ${toxic}`);
  for (const [k, v] of Object.entries(attrs.headers)) {
    // Framing is the proxy's to get right: these would contradict it.
    if (/^(content-length|transfer-encoding|connection)$/i.test(k)) continue;
    lines.push(`${k}: ${v}`);
  }
  const headBytes = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return request.method === 'HEAD' ? headBytes : Buffer.concat([headBytes, body]);
}

export const httpToxic = registerToxic(
  defineToxic({
    type: 'http',
    summary:
      'HTTP/1.1: answers requests matching method/path with a status instead of forwarding them, or delays only ' +
      'the matching requests (keep-alive and pipelining handled).',
    attributes,
    validate(a) {
      if (a.status !== 0 && (a.status < 200 || a.status > 599)) {
        throw badRequestBody('attributes.status', 'must be 0 (forward) or a final status from 200 to 599');
      }
    },
    createPair({ upstream: up, downstream: down, stream }, initial) {
      let attrs = initial as Attrs;
      let matches = matcher(attrs);
      const clock = up.clock;
      /** Responses owed to the client, in request order: the server's, and the proxy's answers. */
      const queue: Entry[] = [];
      let destroyed = false;

      // ---- request side ----
      let reqState: 'head' | 'body' | 'raw' = 'head';
      let reqPending: Buffer | null = null;
      let reqReader: BodyReader | undefined;
      let current: { answer: AnswerEntry | undefined; rawAfter: boolean } | undefined;
      let gateUntil = Number.NEGATIVE_INFINITY;
      const gated: { chunk: Buffer; at: number }[] = [];
      let gatedBytes = 0;
      let gateTimer: ReturnType<typeof clock.setTimeout> | undefined;
      let reqEndPending = false;
      let reqRetiring = false;

      const releaseGate = (force: boolean) => {
        gateTimer = undefined;
        const now = clock.now();
        if (!force && now < gateUntil) {
          gateTimer = clock.setTimeout(() => releaseGate(false), gateUntil - now);
          return;
        }
        for (const g of gated) up.push(g.chunk, g.at);
        gated.length = 0;
        gatedBytes = 0;
        if (reqEndPending) {
          reqEndPending = false;
          up.end();
        }
      };

      const emitUp = (chunk: Buffer, at: number) => {
        if (chunk.length === 0) return;
        if (gated.length === 0 && clock.now() >= gateUntil) {
          up.push(chunk, at);
          return;
        }
        gated.push({ chunk, at });
        gatedBytes += chunk.length;
        if (gateTimer === undefined) releaseGate(false);
      };

      const startRequest = (head: Head, at: number) => {
        const match = matches(head);
        if (match && attrs.status > 0) {
          const close =
            closesConnection(head) || (head.headers.get('expect') ?? '').toLowerCase() === '100-continue';
          const answer: AnswerEntry = {
            kind: 'answer',
            bytes: answerBytes(attrs, head, close, up.toxic),
            readyAt: undefined,
            close,
          };
          queue.push(answer);
          current = { answer, rawAfter: close };
          return;
        }
        const delayed = match && attrs.delay > 0;
        queue.push({
          kind: 'upstream',
          method: head.method.toUpperCase(),
          delay: delayed && stream === 'downstream' ? attrs.delay : 0,
          startedAt: undefined,
          chunks: [],
          done: false,
        });
        if (delayed && stream === 'upstream') gateUntil = Math.max(gateUntil, at + attrs.delay);
        current = {
          answer: undefined,
          rawAfter: head.method.toUpperCase() === 'CONNECT' || head.headers.has('upgrade'),
        };
      };

      const finishRequest = (at: number) => {
        const c = current!;
        current = undefined;
        reqReader = undefined;
        reqState = c.rawAfter ? 'raw' : 'head';
        if (c.answer) {
          c.answer.readyAt = at + attrs.delay;
          drainDown();
        }
      };

      const requestStage: ToxicStage<Attrs> = {
        write(chunk, at) {
          if (destroyed) return;
          if (reqState === 'raw') return emitUp(chunk, at);
          const buf = reqPending ? Buffer.concat([reqPending, chunk]) : chunk;
          reqPending = null;
          let i = 0;
          while (i < buf.length) {
            // (finishRequest may have switched the state to raw; TypeScript cannot see that.)
            if ((reqState as string) === 'raw') return emitUp(buf.subarray(i), at);
            if (reqState === 'head') {
              if (reqRetiring) {
                up.detach();
                return emitUp(buf.subarray(i), at);
              }
              const rest = buf.subarray(i);
              const head = parseHead(rest, 'request');
              if (head === null) {
                reqPending = rest;
                return;
              }
              const framing = head === 'invalid' ? 'invalid' : requestFraming(head);
              if (head === 'invalid' || framing === 'invalid') {
                reqState = 'raw';
                return emitUp(rest, at);
              }
              startRequest(head, at);
              if (!current!.answer) emitUp(rest.subarray(0, head.length), at);
              i += head.length;
              reqReader = new BodyReader(framing);
              if (reqReader.done) finishRequest(at);
              else reqState = 'body';
              continue;
            }
            const r = reqReader!.feed(buf, i);
            if (r === 'invalid') {
              reqState = 'raw';
              if (!current?.answer) emitUp(buf.subarray(i), at);
              return;
            }
            if (!current!.answer) emitUp(buf.subarray(i, i + r.used), at);
            i += r.used;
            if (r.done) finishRequest(at);
          }
          if (reqRetiring && reqState !== 'body') up.detach();
        },
        end() {
          if (reqPending) emitUp(reqPending, clock.now());
          reqPending = null;
          if (gated.length > 0) reqEndPending = true;
          else up.end();
        },
        update(next) {
          attrs = next;
          matches = matcher(attrs);
        },
        flush() {
          reqRetiring = true;
          clock.clearTimeout(gateTimer);
          releaseGate(true);
          if (reqState === 'body' && current?.answer) return false; // finish swallowing the answered request
          if (reqPending) up.push(reqPending, clock.now());
          reqPending = null;
          return true;
        },
        destroy() {
          destroyed = true;
          clock.clearTimeout(gateTimer);
        },
        buffered: () => gatedBytes + (reqPending?.length ?? 0),
      };

      // ---- response side ----
      let resState: 'head' | 'body' | 'raw' = 'head';
      let resPending: Buffer | null = null;
      let resReader: BodyReader | undefined;
      let target: UpstreamEntry | undefined;
      let held = 0;
      let downTimer: ReturnType<typeof clock.setTimeout> | undefined;
      let downEndPending = false;
      let resRetiring = false;
      let closed = false;

      const nextTarget = (): UpstreamEntry => {
        if (target && !target.done) return target;
        for (const e of queue) {
          if (e.kind === 'upstream' && !e.done) {
            target = e;
            return e;
          }
        }
        // A response to a request this toxic did not see (sent before it started acting).
        const unknown: UpstreamEntry = {
          kind: 'upstream',
          method: 'GET',
          delay: 0,
          startedAt: undefined,
          chunks: [],
          done: false,
        };
        queue.push(unknown);
        target = unknown;
        return unknown;
      };

      const append = (e: UpstreamEntry, chunk: Buffer, at: number) => {
        if (chunk.length === 0) return;
        if (e.startedAt === undefined) e.startedAt = at;
        e.chunks.push(chunk);
        held += chunk.length;
      };

      function drainDown(): void {
        if (destroyed || closed) return;
        clock.clearTimeout(downTimer);
        downTimer = undefined;
        const now = clock.now();
        while (queue.length > 0) {
          const e = queue[0]!;
          if (e.kind === 'upstream') {
            if (e.delay > 0) {
              if (e.startedAt === undefined) break;
              const due = e.startedAt + e.delay;
              if (now < due) {
                downTimer = clock.setTimeout(drainDown, due - now);
                break;
              }
            }
            if (e.chunks.length > 0) {
              const out = e.chunks.length === 1 ? e.chunks[0]! : Buffer.concat(e.chunks);
              e.chunks = [];
              held -= out.length;
              down.push(out, e.startedAt ?? now);
            }
            if (!e.done) break;
            queue.shift();
          } else {
            if (e.readyAt === undefined) break;
            if (now < e.readyAt) {
              downTimer = clock.setTimeout(drainDown, e.readyAt - now);
              break;
            }
            queue.shift();
            down.push(e.bytes, now);
            if (e.close) {
              closed = true;
              down.close();
              return;
            }
          }
        }
        if (queue.length === 0 && downEndPending) {
          downEndPending = false;
          down.end();
        }
        if (resRetiring && !queue.some((e) => e.kind === 'answer')) {
          for (const e of queue) {
            if (e.kind === 'upstream' && e.chunks.length > 0) {
              for (const c of e.chunks) down.push(c, now);
              e.chunks = [];
            }
          }
          held = 0;
          if (resPending) down.push(resPending, now);
          resPending = null;
          resRetiring = false;
          down.detach();
        }
      }

      const responseStage: ToxicStage<Attrs> = {
        write(chunk, at) {
          if (destroyed || closed) return;
          if (resState === 'raw') {
            append(nextTarget(), chunk, at);
            return drainDown();
          }
          const buf = resPending ? Buffer.concat([resPending, chunk]) : chunk;
          resPending = null;
          let i = 0;
          while (i < buf.length) {
            const t = nextTarget();
            if (resState === 'raw') {
              append(t, buf.subarray(i), at);
              break;
            }
            if (resState === 'head') {
              const rest = buf.subarray(i);
              const head = parseHead(rest, 'response');
              if (head === null) {
                resPending = rest;
                break;
              }
              const framing = head === 'invalid' ? 'invalid' : responseFraming(head, t.method);
              if (head === 'invalid' || framing === 'invalid') {
                resState = 'raw';
                append(t, rest, at);
                break;
              }
              append(t, rest.subarray(0, head.length), at);
              i += head.length;
              if (
                head.status === 101 ||
                (t.method === 'CONNECT' && head.status >= 200 && head.status < 300)
              ) {
                resState = 'raw';
                continue;
              }
              if (head.status < 200) continue; // interim response: the final one follows for the same request
              resReader = new BodyReader(framing);
              if (resReader.done) t.done = true;
              else resState = 'body';
              continue;
            }
            const r = resReader!.feed(buf, i);
            if (r === 'invalid') {
              resState = 'raw';
              append(t, buf.subarray(i), at);
              break;
            }
            append(t, buf.subarray(i, i + r.used), at);
            i += r.used;
            if (r.done) {
              t.done = true;
              resState = 'head';
            }
          }
          drainDown();
        },
        end() {
          for (const e of queue) if (e.kind === 'upstream') e.done = true;
          if (resPending) {
            append(nextTarget(), resPending, clock.now());
            resPending = null;
            if (target) target.done = true;
          }
          downEndPending = true;
          drainDown();
        },
        update(next) {
          attrs = next;
          matches = matcher(attrs);
        },
        flush() {
          resRetiring = true;
          const now = clock.now();
          for (const e of queue) {
            if (e.kind === 'upstream') e.delay = 0;
            else if (e.readyAt !== undefined) e.readyAt = Math.min(e.readyAt, now);
          }
          drainDown();
          // drainDown detached the stage if no answer is still owed; else it stays until the answer is sent.
          return !resRetiring;
        },
        destroy() {
          destroyed = true;
          clock.clearTimeout(downTimer);
        },
        buffered: () => held + (resPending?.length ?? 0),
      };

      return { upstream: requestStage, downstream: responseStage };
    },
  }),
);
