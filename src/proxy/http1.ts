/**
 * Just enough HTTP/1.1 to find message boundaries in a byte stream, incrementally: where a head ends, what it
 * says (method, target, status, framing headers), and where its body ends (Content-Length, chunked, none, or
 * until close). The `http` toxic uses it to tell pipelined requests and their responses apart; it never
 * rewrites a message it forwards.
 */

/** The parsed start line and the headers that matter for framing and matching. */
export interface Head {
  /** Total length of the head in bytes, including the blank line. */
  length: number;
  /** Request: method, target, version. Response: version, status. */
  method: string;
  target: string;
  status: number;
  version: string;
  headers: Map<string, string>;
}

const MAX_HEAD = 64 * 1024;

/** Where the blank line ending a head is in `buf` (index just past it), or -1. Accepts CRLF and bare LF. */
function headEnd(buf: Buffer): number {
  for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) {
    if (buf[i + 1] === 10) return i + 2;
    if (buf[i + 1] === 13 && buf[i + 2] === 10) return i + 3;
  }
  return -1;
}

/**
 * Parses a head at the start of `buf`: `null` when more bytes are needed, `'invalid'` when this is not HTTP
 * (or the head is larger than 64 KiB), else the head.
 */
export function parseHead(buf: Buffer, kind: 'request' | 'response'): Head | null | 'invalid' {
  const end = headEnd(buf);
  if (end < 0) return buf.length > MAX_HEAD ? 'invalid' : null;
  const lines = buf.toString('latin1', 0, end).split(/\r?\n/);
  const start = lines[0] ?? '';
  const head: Head = { length: end, method: '', target: '', status: 0, version: '', headers: new Map() };
  if (kind === 'request') {
    const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP\/(\d\.\d)$/.exec(start);
    if (!m) return 'invalid';
    head.method = m[1]!;
    head.target = m[2]!;
    head.version = m[3]!;
  } else {
    const m = /^HTTP\/(\d\.\d) (\d{3})(?: .*)?$/.exec(start);
    if (!m) return 'invalid';
    head.version = m[1]!;
    head.status = Number(m[2]);
  }
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) return 'invalid';
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const prev = head.headers.get(name);
    head.headers.set(name, prev === undefined ? value : `${prev}, ${value}`);
  }
  return head;
}

/** How a message's body is delimited. */
export type Framing =
  | { kind: 'none' }
  | { kind: 'length'; length: number }
  | { kind: 'chunked' }
  | { kind: 'eof' };

function isChunked(head: Head): boolean {
  const te = head.headers.get('transfer-encoding');
  return te !== undefined && /(?:^|,)\s*chunked\s*$/i.test(te);
}

/** A request's body framing (RFC 9112 §6.3); `'invalid'` for a bad Content-Length. */
export function requestFraming(head: Head): Framing | 'invalid' {
  if (isChunked(head)) return { kind: 'chunked' };
  const cl = head.headers.get('content-length');
  if (cl === undefined) return { kind: 'none' };
  if (!/^\d+$/.test(cl)) return 'invalid';
  const length = Number(cl);
  return length === 0 ? { kind: 'none' } : { kind: 'length', length };
}

/** A response's body framing, given the request method it answers. */
export function responseFraming(head: Head, requestMethod: string): Framing | 'invalid' {
  const s = head.status;
  if (requestMethod === 'HEAD' || (s >= 100 && s < 200) || s === 204 || s === 304) return { kind: 'none' };
  if (requestMethod === 'CONNECT' && s >= 200 && s < 300) return { kind: 'none' };
  if (isChunked(head)) return { kind: 'chunked' };
  const cl = head.headers.get('content-length');
  if (cl === undefined) return { kind: 'eof' };
  if (!/^\d+$/.test(cl)) return 'invalid';
  const length = Number(cl);
  return length === 0 ? { kind: 'none' } : { kind: 'length', length };
}

/** Whether the connection closes after this message (HTTP/1.0 without keep-alive, or `Connection: close`). */
export function closesConnection(head: Head): boolean {
  const conn = (head.headers.get('connection') ?? '').toLowerCase();
  if (/(?:^|,)\s*close\s*(?:,|$)/.test(conn)) return true;
  return head.version === '1.0' && !/(?:^|,)\s*keep-alive\s*(?:,|$)/.test(conn);
}

/**
 * Finds the end of a body across chunks. `feed` returns how many bytes of `buf` (from `offset`) belong to the
 * body and whether the body is complete; `'invalid'` on malformed chunked encoding.
 */
export class BodyReader {
  #framing: Framing;
  #left = 0;
  #state: 'size' | 'data' | 'data-crlf' | 'trailer' = 'size';
  #line = '';

  constructor(framing: Framing) {
    this.#framing = framing;
    if (framing.kind === 'length') this.#left = framing.length;
  }

  get done(): boolean {
    return this.#framing.kind === 'none';
  }

  feed(buf: Buffer, offset: number): { used: number; done: boolean } | 'invalid' {
    const f = this.#framing;
    const avail = buf.length - offset;
    if (f.kind === 'none') return { used: 0, done: true };
    if (f.kind === 'eof') return { used: avail, done: false };
    if (f.kind === 'length') {
      const used = Math.min(avail, this.#left);
      this.#left -= used;
      if (this.#left === 0) this.#framing = { kind: 'none' };
      return { used, done: this.#left === 0 };
    }
    let i = offset;
    while (i < buf.length) {
      if (this.#state === 'data') {
        const used = Math.min(buf.length - i, this.#left);
        i += used;
        this.#left -= used;
        if (this.#left === 0) this.#state = 'data-crlf';
        continue;
      }
      const nl = buf.indexOf(10, i);
      const end = nl < 0 ? buf.length : nl + 1;
      this.#line += buf.toString('latin1', i, end);
      i = end;
      if (nl < 0) {
        if (this.#line.length > 8192) return 'invalid';
        break;
      }
      const line = this.#line.replace(/\r?\n$/, '');
      this.#line = '';
      if (this.#state === 'size') {
        const m = /^([0-9a-fA-F]+)\s*(?:;.*)?$/.exec(line);
        if (!m) return 'invalid';
        this.#left = Number.parseInt(m[1]!, 16);
        this.#state = this.#left === 0 ? 'trailer' : 'data';
      } else if (this.#state === 'data-crlf') {
        if (line !== '') return 'invalid';
        this.#state = 'size';
      } else if (line === '') {
        this.#framing = { kind: 'none' };
        return { used: i - offset, done: true };
      }
    }
    return { used: i - offset, done: false };
  }
}
