import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyError, defaultOk, statusClass } from '../../src/load/classify.js';

const coded = (code: string) => Object.assign(new Error(code), { code });

describe('outcome classification', () => {
  it('maps statuses to classes and 200–399 to ok by default', () => {
    assert.deepEqual([101, 204, 302, 404, 503].map(statusClass), ['1xx', '2xx', '3xx', '4xx', '5xx']);
    assert.deepEqual([199, 200, 399, 400].map(defaultOk), [false, true, true, false]);
  });

  it('gives the same class to the same cause from either engine', () => {
    const same: [string, string, string][] = [
      ['timeout', 'UND_ERR_HEADERS_TIMEOUT', 'ERR_LOAD_HEADERS_TIMEOUT'],
      ['timeout', 'UND_ERR_BODY_TIMEOUT', 'ERR_LOAD_BODY_TIMEOUT'],
      ['timeout', 'UND_ERR_CONNECT_TIMEOUT', 'ERR_LOAD_CONNECT_TIMEOUT'],
      ['reset', 'UND_ERR_SOCKET', 'ERR_LOAD_SOCKET_CLOSED'],
      ['other', 'HPE_INVALID_CONSTANT', 'ERR_LOAD_BAD_RESPONSE'],
      ['other', 'UND_ERR_INVALID_ARG', 'ERR_LOAD_BAD_REQUEST'],
    ];
    for (const [cls, undici, raw] of same) {
      assert.equal(classifyError(coded(undici)), cls, undici);
      assert.equal(classifyError(coded(raw)), cls, raw);
    }
  });

  it('reads Node codes, a cause chain and TimeoutError', () => {
    assert.equal(classifyError(coded('ECONNREFUSED')), 'refused');
    assert.equal(classifyError(coded('ECONNRESET')), 'reset');
    assert.equal(classifyError(coded('EPIPE')), 'reset');
    assert.equal(classifyError(new Error('x', { cause: coded('ETIMEDOUT') })), 'timeout');
    assert.equal(classifyError(Object.assign(new Error('t'), { name: 'TimeoutError' })), 'timeout');
    assert.equal(classifyError('a string'), 'other');
  });
});
