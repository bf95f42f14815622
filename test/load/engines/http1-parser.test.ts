import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_HEADER_BYTES, ResponseParser } from '../../../src/load/engines/http1-parser.js';

interface Parsed {
  status: number;
  keepAlive: boolean;
  /** Offset just past the response in the concatenated input. */
  end: number;
}

/**
 * Feeds `text` cut at `cuts` (offsets), starting a new response after each completed one, as a connection does.
 * `noBody` lists which responses answer a HEAD request. Returns the completed responses, or the error message.
 */
function parse(text: string, cuts: number[] = [], noBody: boolean[] = []): Parsed[] | string {
  const all = Buffer.from(text, 'latin1');
  const parser = new ResponseParser();
  const out: Parsed[] = [];
  parser.start(noBody[0] ?? false);
  const bounds = [0, ...cuts, all.length];
  for (let c = 0; c + 1 < bounds.length; c++) {
    // Each read lands in its own buffer, with unrelated bytes around it as in a reused read buffer.
    const piece = all.subarray(bounds[c], bounds[c + 1]);
    const buf = Buffer.alloc(piece.length + 8, 'X');
    piece.copy(buf, 4);
    let pos = 4;
    const end = 4 + piece.length;
    while (pos < end) {
      pos = parser.execute(buf, pos, end);
      if (pos < 0) return parser.error?.message ?? 'error';
      if (parser.complete) {
        out.push({
          status: parser.status,
          keepAlive: parser.keepAlive,
          end: (bounds[c] as number) + pos - 4,
        });
        parser.start(noBody[out.length] ?? false);
      }
    }
  }
  return out;
}

/** Every way of cutting `text` in two, plus byte by byte: all must give `expected`. */
function everySplit(text: string, expected: Parsed[] | string, noBody: boolean[] = []): void {
  assert.deepEqual(parse(text, [], noBody), expected, 'whole');
  for (let cut = 1; cut < text.length; cut++) {
    assert.deepEqual(parse(text, [cut], noBody), expected, `cut at ${cut}`);
  }
  const bytes = Array.from({ length: text.length - 1 }, (_, i) => i + 1);
  assert.deepEqual(parse(text, bytes, noBody), expected, 'byte by byte');
}

const NODE_200 =
  'HTTP/1.1 200 OK\r\nDate: Mon, 23 Nov 2026 10:00:00 GMT\r\nConnection: keep-alive\r\n' +
  'Keep-Alive: timeout=5\r\nContent-Length: 11\r\n\r\nhello world';

describe('HTTP/1.1 response parser', () => {
  it('reads a Content-Length response however the reads cut it', () => {
    everySplit(NODE_200, [{ status: 200, keepAlive: true, end: NODE_200.length }]);
  });

  it('reads chunked bodies with extensions and trailers', () => {
    const r =
      'HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n' +
      '5\r\nhello\r\n1A;name=value\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nx-trailer: 1\r\n\r\n';
    everySplit(r, [{ status: 201, keepAlive: true, end: r.length }]);
    const plain = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n';
    everySplit(plain, [{ status: 200, keepAlive: true, end: plain.length }]);
  });

  it('reads pipelined responses back to back, a HEAD response without its body', () => {
    const head = 'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n';
    const two = head + NODE_200;
    everySplit(
      two,
      [
        { status: 200, keepAlive: true, end: head.length },
        { status: 200, keepAlive: true, end: two.length },
      ],
      [true, false],
    );
  });

  it('reads a repeated head from its cache, and only an identical one', () => {
    const ok = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
    const no = 'HTTP/1.1 503 No\r\nContent-Length: 2\r\n\r\nno';
    const close = 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok';
    const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n';
    const seq = [ok, ok, no, no, ok, close, close, ok, chunked, chunked, ok, ok];
    const text = seq.join('');
    let end = 0;
    const expected = seq.map((r) => {
      end += r.length;
      return { status: r === no ? 503 : 200, keepAlive: r !== close, end };
    });
    everySplit(text, expected);
    // The same heads answering HEAD requests: no body, whatever the cached head said.
    const heads = [
      'HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n',
    ];
    const body = 'HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n123456789';
    const mixed = heads[0] + body + (heads[1] as string);
    everySplit(
      mixed,
      [
        { status: 200, keepAlive: true, end: (heads[0] as string).length },
        { status: 200, keepAlive: true, end: (heads[0] as string).length + body.length },
        { status: 200, keepAlive: true, end: mixed.length },
      ],
      [true, false, true],
    );
  });

  it('reads 204 and 304 without a body, and skips interim 1xx responses', () => {
    const r204 = 'HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n';
    const r304 = 'HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n';
    const early = 'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n';
    const cont = 'HTTP/1.1 100 Continue\r\n\r\n';
    const all = r204 + r304 + early + cont + NODE_200;
    everySplit(all, [
      { status: 204, keepAlive: true, end: r204.length },
      { status: 304, keepAlive: true, end: r204.length + r304.length },
      { status: 200, keepAlive: true, end: all.length },
    ]);
  });

  it('tells whether the connection may be reused', () => {
    const close = 'HTTP/1.1 503 Service Unavailable\r\nCONNECTION: Close\r\ncontent-length: 2\r\n\r\nno';
    everySplit(close, [{ status: 503, keepAlive: false, end: close.length }]);
    const http10 = 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok';
    assert.deepEqual(parse(http10), [{ status: 200, keepAlive: false, end: http10.length }]);
    const http10ka = 'HTTP/1.0 200 OK\r\nConnection: foo, Keep-Alive\r\nContent-Length: 2\r\n\r\nok';
    assert.deepEqual(parse(http10ka), [{ status: 200, keepAlive: true, end: http10ka.length }]);
    const lf = 'HTTP/1.1 200 OK\nContent-Length: 2\n\nok';
    assert.deepEqual(parse(lf), [{ status: 200, keepAlive: true, end: lf.length }]);
  });

  it('reads the Keep-Alive timeout hint', () => {
    const hint = (text: string) => {
      const parser = new ResponseParser();
      parser.start(false);
      const buf = Buffer.from(text);
      parser.execute(buf, 0, buf.length);
      return parser.keepAliveHintMs;
    };
    assert.equal(hint(NODE_200), 5000);
    assert.equal(hint('HTTP/1.1 200 OK\r\nkeep-alive: max=100, TIMEOUT=30\r\n\r\n'), 30_000);
    assert.equal(hint('HTTP/1.1 200 OK\r\nkeep-alive: max=100\r\n\r\n'), -1);
    assert.equal(hint('HTTP/1.1 200 OK\r\n\r\n'), -1);
  });

  it('reads a body delimited by the end of the connection', () => {
    const parser = new ResponseParser();
    parser.start(false);
    const buf = Buffer.from('HTTP/1.1 200 OK\r\nServer: x\r\n\r\nsome body, and more');
    assert.equal(parser.execute(buf, 0, buf.length), buf.length);
    assert.equal(parser.complete, false);
    assert.equal(parser.untilClose, true);
    assert.equal(parser.finish(), true);
    assert.equal(parser.complete, true);
    assert.equal(parser.keepAlive, false);
    // A response cut short is not complete.
    parser.start(false);
    const cut = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
    assert.equal(parser.execute(cut, 0, cut.length), cut.length);
    assert.equal(parser.readingBody, true);
    assert.equal(parser.finish(), false);
    // Transfer-Encoding without chunked as the final coding: until close.
    parser.start(false);
    const gz = Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n');
    parser.execute(gz, 0, gz.length);
    assert.equal(parser.untilClose, true);
  });

  it('reports malformed responses', () => {
    assert.equal(parse('HTTX/1.1 200 OK\r\n\r\n'), 'bad status line');
    assert.equal(parse('HTTP/1.1 20 OK\r\n\r\n'), 'bad status line');
    assert.equal(parse('HTTP/1.1 200 OK\r\nno colon\r\n\r\n'), 'bad header line');
    assert.equal(parse('HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n'), 'bad content-length');
    assert.equal(
      parse('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'),
      'conflicting content-length',
    );
    assert.equal(parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'), 'bad chunk size');
    assert.equal(
      parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\naXY'),
      'missing CRLF after chunk data',
    );
    assert.equal(parse('HTTP/1.1 101 Switching Protocols\r\n\r\n'), 'unexpected protocol upgrade');
    const huge = `HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(MAX_HEADER_BYTES)}\r\n\r\n`;
    assert.equal(parse(huge, [100, 9000]), 'headers too large');
    // Bytes after the last expected response (no request waiting for them).
    const parser = new ResponseParser();
    assert.equal(parser.execute(Buffer.from('HTTP/1.1 200 OK\r\n'), 0, 17), -1);
  });
});
