/**
 * A minimal incremental HTTP/1.1 response parser for the raw engine. A load generator discards what it reads, so
 * this parser only finds where each response ends and whether the connection may carry the next one: the status
 * line, `Content-Length`, `Transfer-Encoding: chunked` (extensions and trailers skipped), `Connection`, bodies
 * delimited by the end of the connection, no body for HEAD, 1xx, 204 and 304, and interim 1xx responses skipped.
 * It never builds a string or keeps a header: header lines are matched byte by byte where they lie in the read
 * buffer, and only a line split across two reads is copied (into a small per-connection carry buffer).
 *
 * A server under load answers with the same head over and over (Node's changes once a second, with its `Date`).
 * So the parser keeps the bytes of the last head it read in one piece, with what it found in them; when the next
 * response starts with exactly those bytes (compared four at a time), it takes the findings and skips the parse.
 *
 * Grammar accepted (RFC 9112, leniently where real servers are lenient):
 *
 *   response     = status-line *( header-line ) CRLF [ body ]
 *   status-line  = "HTTP/1." DIGIT SP 3DIGIT [ SP reason ] CRLF
 *   header-line  = name ":" OWS value OWS CRLF            ; LF alone also ends a line
 *   body         = chunked-body / length-body / until-close-body
 *   chunked-body = *( chunk-size [ ext ] CRLF data CRLF ) "0" [ ext ] CRLF *( trailer-line ) CRLF
 */

/** Largest status line plus headers accepted, in bytes (Node's and undici's default). */
export const MAX_HEADER_BYTES = 16_384;

/** Longest head kept for the same-head fast path. */
const HEAD_CACHE_BYTES = 1024;

/** A response this parser cannot read; the connection is closed and the request counts as `other`. */
export class ResponseParseError extends Error {
  readonly code = 'ERR_LOAD_BAD_RESPONSE';
  constructor(message: string) {
    super(message);
    this.name = 'ResponseParseError';
  }
}

const S_IDLE = 0;
const S_STATUS = 1;
const S_HEADER = 2;
const S_BODY_LENGTH = 3;
const S_CHUNK_SIZE = 4;
const S_CHUNK_EXT = 5;
const S_CHUNK_DATA = 6;
const S_CHUNK_DATA_END = 7;
const S_TRAILER = 8;
const S_BODY_EOF = 9;
const S_DONE = 10;

const LF = 10;
const CR = 13;
const SP = 32;
const TAB = 9;
const COLON = 58;
const COMMA = 44;

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const CONTENT_LENGTH = bytes('content-length');
const TRANSFER_ENCODING = bytes('transfer-encoding');
const CONNECTION = bytes('connection');
const CHUNKED = bytes('chunked');
const CLOSE = bytes('close');
const KEEP_ALIVE = bytes('keep-alive');
const TIMEOUT_EQ = bytes('timeout=');

/** True when buf[at, at + word.length) equals `word` (lower case ASCII letters and '-') ignoring case. */
function matchesLower(buf: Uint8Array, at: number, word: Uint8Array): boolean {
  for (let k = 0; k < word.length; k++) {
    if (((buf[at + k] as number) | 0x20) !== word[k]) return false;
  }
  return true;
}

/** Value of one hex digit, or -1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/**
 * Parses the responses of one connection, one at a time. Call {@link ResponseParser.start} before each
 * response, then {@link ResponseParser.execute} with each read until {@link ResponseParser.complete}.
 */
export class ResponseParser {
  /** The final status of the current response (0 until its status line has been read). */
  status = 0;
  /** Whether the connection may carry another response after this one (valid once headers are read). */
  keepAlive = true;
  /** The `Keep-Alive: timeout=N` hint of the current response in ms, or -1 without one. */
  keepAliveHintMs = -1;
  /** True once the current response has been read to its end. */
  complete = false;
  /** Why the last {@link ResponseParser.execute} returned -1. */
  error: ResponseParseError | null = null;

  #state = S_IDLE;
  #noBody = false;
  #remaining = 0;
  #sawDigit = false;
  #lineLen = 0;
  #headerBytes = 0;
  #minor = 1;
  #contentLength = -1;
  #transferEncoding = false;
  #chunked = false;
  #close = false;
  #keepAliveToken = false;
  #carry: Uint8Array = new Uint8Array(256);
  #carryLen = 0;
  /** Where the current head started in the current read, or -1 when it is not in one read (carried, interim). */
  #headStart = -1;
  /** The last head read in one piece, and what it said. */
  readonly #headCache = new DataView(new ArrayBuffer(HEAD_CACHE_BYTES));
  #headCacheLen = 0;
  #cachedStatus = 0;
  #cachedKeepAlive = true;
  #cachedHintMs = -1;
  #cachedContentLength = -1;
  #cachedTransferEncoding = false;
  #cachedChunked = false;
  /** A view of the buffer being read, for four-byte compares; rebuilt only when the buffer changes. */
  #view: DataView | null = null;
  #viewOf: Uint8Array | null = null;

  /** Expects a new response; `noBody` for the response to a HEAD request. */
  start(noBody: boolean): void {
    this.#noBody = noBody;
    this.status = 0;
    this.complete = false;
    this.error = null;
    this.#headerBytes = 0;
    this.#carryLen = 0;
    this.#resetHeaders();
    this.#state = S_STATUS;
  }

  #resetHeaders(): void {
    this.keepAlive = true;
    this.keepAliveHintMs = -1;
    this.#contentLength = -1;
    this.#transferEncoding = false;
    this.#chunked = false;
    this.#close = false;
    this.#keepAliveToken = false;
  }

  /** True while waiting for (the rest of) the status line and headers. */
  get readingHeaders(): boolean {
    return this.#state === S_STATUS || this.#state === S_HEADER;
  }

  /** True between the end of a final response's headers and the end of its body. */
  get readingBody(): boolean {
    return this.#state >= S_BODY_LENGTH && this.#state <= S_BODY_EOF;
  }

  /** True when the body lasts until the peer closes the connection. */
  get untilClose(): boolean {
    return this.#state === S_BODY_EOF;
  }

  /**
   * Reads bytes `buf[pos, end)`. Returns where it stopped: `end` when it needs more, the offset just past the
   * response when it completed it (`complete` is then true; the rest may be the next response), or -1 for a
   * malformed response (`error` says why). Bytes when no response is expected are an error.
   */
  execute(buf: Uint8Array, pos: number, end: number): number {
    while (pos < end) {
      switch (this.#state) {
        case S_STATUS:
          if (this.#carryLen === 0) {
            const len = this.#headCacheLen;
            if (len > 0 && end - pos >= len && this.#sameHead(buf, pos, len)) {
              pos += len;
              this.status = this.#cachedStatus;
              this.keepAliveHintMs = this.#cachedHintMs;
              this.#contentLength = this.#cachedContentLength;
              this.#transferEncoding = this.#cachedTransferEncoding;
              this.#chunked = this.#cachedChunked;
              this.#enterBody(this.#cachedKeepAlive);
              if (this.complete) return pos;
              break;
            }
            this.#headStart = pos;
          }
          pos = this.#lines(buf, pos, end);
          if (pos < 0) return -1;
          if (this.complete) return pos;
          break;
        case S_HEADER:
          pos = this.#lines(buf, pos, end);
          if (pos < 0) return -1;
          if (this.complete) return pos;
          break;
        case S_BODY_LENGTH: {
          const avail = end - pos;
          if (avail < this.#remaining) {
            this.#remaining -= avail;
            return end;
          }
          pos += this.#remaining;
          this.#remaining = 0;
          return this.#done(pos);
        }
        case S_CHUNK_DATA: {
          const avail = end - pos;
          if (avail < this.#remaining) {
            this.#remaining -= avail;
            return end;
          }
          pos += this.#remaining;
          this.#remaining = 0;
          this.#state = S_CHUNK_DATA_END;
          break;
        }
        case S_CHUNK_SIZE: {
          const c = buf[pos++] as number;
          const v = hexValue(c);
          if (v >= 0) {
            this.#remaining = this.#remaining * 16 + v;
            this.#sawDigit = true;
            if (this.#remaining > Number.MAX_SAFE_INTEGER) return this.#fail('chunk size too large');
          } else if (!this.#sawDigit) {
            return this.#fail('bad chunk size');
          } else if (c === LF) {
            this.#endChunkSize();
          } else if (c === CR || c === 59 /* ; */ || c === SP || c === TAB) {
            this.#state = S_CHUNK_EXT;
          } else {
            return this.#fail('bad chunk size');
          }
          break;
        }
        case S_CHUNK_EXT:
          while (pos < end && buf[pos] !== LF) pos++;
          if (pos < end) {
            pos++;
            this.#endChunkSize();
          }
          break;
        case S_CHUNK_DATA_END: {
          const c = buf[pos++] as number;
          if (c === LF) {
            this.#state = S_CHUNK_SIZE;
            this.#remaining = 0;
            this.#sawDigit = false;
          } else if (c !== CR) {
            return this.#fail('missing CRLF after chunk data');
          }
          break;
        }
        case S_TRAILER: {
          const c = buf[pos++] as number;
          if (c === LF) {
            if (this.#lineLen === 0) return this.#done(pos);
            this.#lineLen = 0;
          } else if (c !== CR) {
            this.#lineLen++;
          }
          break;
        }
        case S_BODY_EOF:
          return end;
        default:
          return this.#fail('data when no response was expected');
      }
    }
    return pos;
  }

  /**
   * The peer closed the connection. Completes a body that lasts until the close; returns false when a response
   * was cut short (or none was expected — the caller knows which).
   */
  finish(): boolean {
    if (this.#state !== S_BODY_EOF) return false;
    this.#done(0);
    return true;
  }

  #done(pos: number): number {
    this.#state = S_DONE;
    this.complete = true;
    return pos;
  }

  #fail(message: string): number {
    this.error = new ResponseParseError(message);
    this.#state = S_DONE;
    return -1;
  }

  #endChunkSize(): void {
    if (this.#remaining === 0) {
      this.#state = S_TRAILER;
      this.#lineLen = 0;
    } else {
      this.#state = S_CHUNK_DATA;
    }
  }

  /**
   * Status and header lines: complete lines are read in place, a line cut by the end of a read is carried.
   * Line ends and colons are found with `indexOf` (native, much faster than a byte loop over a whole line); it
   * may look past `end` into stale bytes of a reused read buffer, so every hit is checked against the bound.
   */
  #lines(buf: Uint8Array, pos: number, end: number): number {
    while (pos < end) {
      let i = buf.indexOf(LF, pos);
      if (i < 0 || i > end) i = end;
      this.#headerBytes += i - pos + 1;
      if (this.#headerBytes > MAX_HEADER_BYTES) return this.#fail('headers too large');
      if (i === end) {
        this.#carryAppend(buf, pos, end);
        this.#headStart = -1;
        return end;
      }
      let ok: boolean;
      if (this.#carryLen > 0) {
        this.#carryAppend(buf, pos, i);
        ok = this.#line(this.#carry, 0, this.#carryLen);
        this.#carryLen = 0;
      } else {
        ok = this.#line(buf, pos, i);
      }
      if (!ok) return -1;
      pos = i + 1;
      if (this.#state !== S_STATUS && this.#state !== S_HEADER) {
        if (this.#headStart >= 0) this.#cacheHead(buf, this.#headStart, pos);
        return pos;
      }
    }
    // The read ended between two lines of the head: the rest comes in another read.
    this.#headStart = -1;
    return pos;
  }

  #carryAppend(buf: Uint8Array, from: number, to: number): void {
    const n = to - from;
    if (this.#carryLen + n > this.#carry.length) {
      const bigger = new Uint8Array(Math.max(this.#carry.length * 2, this.#carryLen + n));
      bigger.set(this.#carry.subarray(0, this.#carryLen));
      this.#carry = bigger;
    }
    this.#carry.set(buf.subarray(from, to), this.#carryLen);
    this.#carryLen += n;
  }

  /** One line without its LF; returns false after recording an error. */
  #line(buf: Uint8Array, s: number, e: number): boolean {
    if (e > s && buf[e - 1] === CR) e--;
    if (this.#state === S_STATUS) return this.#statusLine(buf, s, e);
    if (e === s) return this.#endOfHeaders();
    // The headers that matter have names of 10, 14 and 17 bytes: look for a colon right there first.
    const len = e - s;
    if (len > 10 && buf[s + 10] === COLON) {
      if (matchesLower(buf, s, CONNECTION)) {
        this.#connectionValue(buf, s + 11, e);
        return true;
      }
      if (matchesLower(buf, s, KEEP_ALIVE)) {
        this.#keepAliveValue(buf, s + 11, e);
        return true;
      }
    } else if (len > 14 && buf[s + 14] === COLON && matchesLower(buf, s, CONTENT_LENGTH)) {
      return this.#contentLengthValue(buf, s + 15, e);
    } else if (len > 17 && buf[s + 17] === COLON && matchesLower(buf, s, TRANSFER_ENCODING)) {
      this.#transferEncodingValue(buf, s + 18, e);
      return true;
    }
    const colon = buf.indexOf(COLON, s);
    if (colon <= s || colon >= e) {
      this.#fail('bad header line');
      return false;
    }
    return true;
  }

  #statusLine(buf: Uint8Array, s: number, e: number): boolean {
    // "HTTP/1.x SSS"
    if (
      e - s < 12 ||
      buf[s] !== 72 ||
      buf[s + 1] !== 84 ||
      buf[s + 2] !== 84 ||
      buf[s + 3] !== 80 ||
      buf[s + 4] !== 47 ||
      buf[s + 5] !== 49 ||
      buf[s + 6] !== 46 ||
      buf[s + 8] !== SP ||
      (e - s > 12 && buf[s + 12] !== SP)
    ) {
      this.#fail('bad status line');
      return false;
    }
    const minor = (buf[s + 7] as number) - 48;
    const d0 = (buf[s + 9] as number) - 48;
    const d1 = (buf[s + 10] as number) - 48;
    const d2 = (buf[s + 11] as number) - 48;
    if (minor < 0 || minor > 9 || d0 < 1 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) {
      this.#fail('bad status line');
      return false;
    }
    this.#minor = minor;
    this.status = d0 * 100 + d1 * 10 + d2;
    this.#state = S_HEADER;
    return true;
  }

  #contentLengthValue(buf: Uint8Array, vs: number, ve: number): boolean {
    while (vs < ve && (buf[vs] === SP || buf[vs] === TAB)) vs++;
    while (ve > vs && (buf[ve - 1] === SP || buf[ve - 1] === TAB)) ve--;
    if (vs === ve) {
      this.#fail('bad content-length');
      return false;
    }
    let v = 0;
    for (let k = vs; k < ve; k++) {
      const d = (buf[k] as number) - 48;
      if (d < 0 || d > 9 || v > 1e15) {
        this.#fail('bad content-length');
        return false;
      }
      v = v * 10 + d;
    }
    if (this.#contentLength >= 0 && this.#contentLength !== v) {
      this.#fail('conflicting content-length');
      return false;
    }
    this.#contentLength = v;
    return true;
  }

  /** Whether the body is chunked: only when chunked is the final coding. */
  #transferEncodingValue(buf: Uint8Array, vs: number, ve: number): void {
    while (ve > vs && (buf[ve - 1] === SP || buf[ve - 1] === TAB)) ve--;
    this.#transferEncoding = true;
    this.#chunked =
      ve - vs >= 7 && matchesLower(buf, ve - 7, CHUNKED) && (ve - vs === 7 || isSep(buf[ve - 8]));
  }

  #connectionValue(buf: Uint8Array, vs: number, ve: number): void {
    while (vs < ve && (buf[vs] === SP || buf[vs] === TAB)) vs++;
    while (ve > vs && (buf[ve - 1] === SP || buf[ve - 1] === TAB)) ve--;
    const n = ve - vs;
    if (n === 10 && matchesLower(buf, vs, KEEP_ALIVE)) {
      this.#keepAliveToken = true;
      return;
    }
    if (n === 5 && matchesLower(buf, vs, CLOSE)) {
      this.#close = true;
      return;
    }
    let k = vs;
    while (k < ve) {
      let te = k;
      while (te < ve && buf[te] !== COMMA) te++;
      let a = k;
      let b = te;
      while (a < b && (buf[a] === SP || buf[a] === TAB)) a++;
      while (b > a && (buf[b - 1] === SP || buf[b - 1] === TAB)) b--;
      if (b - a === 5 && matchesLower(buf, a, CLOSE)) this.#close = true;
      else if (b - a === 10 && matchesLower(buf, a, KEEP_ALIVE)) this.#keepAliveToken = true;
      k = te + 1;
    }
  }

  /** `Keep-Alive: timeout=5, max=100`: only the timeout matters (when to stop reusing an idle connection). */
  #keepAliveValue(buf: Uint8Array, vs: number, ve: number): void {
    for (let k = vs; k + 8 < ve; k++) {
      if (matchesLower(buf, k, TIMEOUT_EQ)) {
        let v = 0;
        let d = k + 8;
        while (d < ve && (buf[d] as number) >= 48 && (buf[d] as number) <= 57 && v < 1e9) {
          v = v * 10 + (buf[d] as number) - 48;
          d++;
        }
        if (d > k + 8) this.keepAliveHintMs = v * 1000;
        return;
      }
    }
  }

  #endOfHeaders(): boolean {
    const status = this.status;
    if (status < 200) {
      if (status === 101) {
        this.#fail('unexpected protocol upgrade');
        return false;
      }
      // Interim response (100 Continue, 103 Early Hints): the final one follows.
      this.#resetHeaders();
      this.#state = S_STATUS;
      this.#headStart = -1;
      return true;
    }
    this.#enterBody(this.#minor >= 1 ? !this.#close : this.#keepAliveToken && !this.#close);
    return true;
  }

  /** After the head of a final response: where its body ends, given what the headers said. */
  #enterBody(keepAlive: boolean): void {
    const status = this.status;
    this.keepAlive = keepAlive;
    if (this.#noBody || status === 204 || status === 304) {
      this.#done(0);
    } else if (this.#chunked) {
      this.#state = S_CHUNK_SIZE;
      this.#remaining = 0;
      this.#sawDigit = false;
    } else if (this.#transferEncoding || this.#contentLength < 0) {
      this.#state = S_BODY_EOF;
      this.keepAlive = false;
    } else if (this.#contentLength === 0) {
      this.#done(0);
    } else {
      this.#state = S_BODY_LENGTH;
      this.#remaining = this.#contentLength;
    }
  }

  /** Keeps the head just read, buf[from, to), and its findings for {@link ResponseParser.execute}'s fast path. */
  #cacheHead(buf: Uint8Array, from: number, to: number): void {
    const len = to - from;
    if (len > HEAD_CACHE_BYTES) {
      this.#headCacheLen = 0;
      return;
    }
    new Uint8Array(this.#headCache.buffer).set(buf.subarray(from, to));
    this.#headCacheLen = len;
    this.#cachedStatus = this.status;
    this.#cachedKeepAlive = this.#minor >= 1 ? !this.#close : this.#keepAliveToken && !this.#close;
    this.#cachedHintMs = this.keepAliveHintMs;
    this.#cachedContentLength = this.#contentLength;
    this.#cachedTransferEncoding = this.#transferEncoding;
    this.#cachedChunked = this.#chunked;
  }

  /** Whether buf[pos, pos + len) holds the cached head. */
  #sameHead(buf: Uint8Array, pos: number, len: number): boolean {
    let view = this.#view;
    if (this.#viewOf !== buf || view === null) {
      view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      this.#view = view;
      this.#viewOf = buf;
    }
    const cache = this.#headCache;
    let k = 0;
    for (; k + 4 <= len; k += 4) if (view.getInt32(pos + k) !== cache.getInt32(k)) return false;
    for (; k < len; k++) if (view.getUint8(pos + k) !== cache.getUint8(k)) return false;
    return true;
  }
}

function isSep(c: number | undefined): boolean {
  return c === COMMA || c === SP || c === TAB;
}
