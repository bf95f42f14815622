import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeRequest } from '../../../src/load/engines/http1-request.js';
import type { BuiltRequest } from '../../../src/load/template.js';

const req = (r: Partial<BuiltRequest>): BuiltRequest => ({
  method: 'GET',
  path: '/',
  headers: undefined,
  body: undefined,
  template: 0,
  reusable: true,
  ...r,
});

describe('HTTP/1.1 request encoding', () => {
  it('writes the head undici writes: host, connection, headers, content-length', () => {
    assert.equal(
      encodeRequest(req({ path: '/a?b=1' }), '127.0.0.1:8080'),
      'GET /a?b=1 HTTP/1.1\r\nhost: 127.0.0.1:8080\r\nconnection: keep-alive\r\n\r\n',
    );
    assert.equal(
      encodeRequest(req({ method: 'POST', path: '/p', body: 'é=1', headers: { 'X-User': 'ann' } }), 'h'),
      'POST /p HTTP/1.1\r\nhost: h\r\nconnection: keep-alive\r\nX-User: ann\r\ncontent-length: 4\r\n\r\né=1',
    );
    assert.equal(
      encodeRequest(req({ method: 'PUT' }), 'h'),
      'PUT / HTTP/1.1\r\nhost: h\r\nconnection: keep-alive\r\ncontent-length: 0\r\n\r\n',
    );
  });

  it("keeps the template's host and connection, and computes content-length itself", () => {
    assert.equal(
      encodeRequest(
        req({ body: 'xy', headers: { Host: 'example', connection: 'close', 'content-length': '99' } }),
        'h',
      ),
      'GET / HTTP/1.1\r\nHost: example\r\nconnection: close\r\ncontent-length: 2\r\n\r\nxy',
    );
  });

  it('refuses what undici refuses', () => {
    const code = (r: BuiltRequest) => {
      try {
        encodeRequest(r, 'h');
      } catch (e) {
        return (e as { code?: string }).code;
      }
      return 'encoded';
    };
    assert.equal(code(req({ path: '/a b' })), 'ERR_LOAD_BAD_REQUEST');
    assert.equal(code(req({ path: '/a\nb' })), 'ERR_LOAD_BAD_REQUEST');
    assert.equal(code(req({ headers: { 'bad name': 'x' } })), 'ERR_LOAD_BAD_REQUEST');
    assert.equal(code(req({ headers: { x: 'a\r\nInjected: 1' } })), 'ERR_LOAD_BAD_REQUEST');
    assert.equal(code(req({ headers: { 'transfer-encoding': 'chunked' } })), 'ERR_LOAD_BAD_REQUEST');
    assert.equal(code(req({ path: '/ok', headers: { x: 'tab\tok' } })), 'encoded');
  });
});
