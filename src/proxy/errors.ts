/**
 * Errors of the proxy API. Each carries the HTTP status Toxiproxy 2.x answers with for the same mistake and,
 * where one field is at fault, that field's name — so the JSON error body names it (`{"error", "status",
 * "field"}`; Toxiproxy's clients read `error` and `status` and ignore the rest).
 */
import { FaultlineError } from '../core/errors.js';

/** A failed proxy or toxic operation: `status` is the HTTP status, `field` the offending input field if any. */
export class ProxyApiError extends FaultlineError {
  readonly status: number;
  readonly field: string | undefined;

  constructor(code: string, status: number, message: string, field?: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ProxyApiError';
    this.status = status;
    this.field = field;
  }

  /** The JSON body the HTTP API sends: Toxiproxy's `{ error, status }` plus `field` when known. */
  toJSON(): { error: string; status: number; field?: string } {
    return this.field === undefined
      ? { error: this.message, status: this.status }
      : { error: this.message, status: this.status, field: this.field };
  }
}

/** 400 `bad request body: <field>: <why>` — malformed JSON or a field of the wrong type or range. */
export function badRequestBody(field: string | undefined, why: string): ProxyApiError {
  const message = field === undefined ? `bad request body: ${why}` : `bad request body: ${field}: ${why}`;
  return new ProxyApiError('FAULTLINE_PROXY_BAD_REQUEST_BODY', 400, message, field);
}

/** 400 `missing required field: <field>`. */
export function missingField(field: string, where = ''): ProxyApiError {
  return new ProxyApiError(
    'FAULTLINE_PROXY_MISSING_FIELD',
    400,
    `missing required field: ${field}${where}`,
    field,
  );
}

export function proxyNotFound(name: string): ProxyApiError {
  return new ProxyApiError('FAULTLINE_PROXY_NOT_FOUND', 404, 'proxy not found', 'name', {
    cause: `no proxy named ${JSON.stringify(name)}`,
  });
}

export function proxyAlreadyExists(name: string): ProxyApiError {
  return new ProxyApiError('FAULTLINE_PROXY_EXISTS', 409, 'proxy already exists', 'name', {
    cause: `a proxy named ${JSON.stringify(name)} exists`,
  });
}

export function invalidStream(): ProxyApiError {
  return new ProxyApiError(
    'FAULTLINE_PROXY_INVALID_STREAM',
    400,
    'stream was invalid, can be either upstream or downstream',
    'stream',
  );
}

export function invalidToxicType(type: unknown): ProxyApiError {
  return new ProxyApiError('FAULTLINE_PROXY_INVALID_TOXIC_TYPE', 400, 'invalid toxic type', 'type', {
    cause: `no toxic type ${JSON.stringify(type)}`,
  });
}

export function toxicAlreadyExists(): ProxyApiError {
  return new ProxyApiError('FAULTLINE_PROXY_TOXIC_EXISTS', 409, 'toxic already exists', 'name');
}

export function toxicNotFound(): ProxyApiError {
  return new ProxyApiError('FAULTLINE_PROXY_TOXIC_NOT_FOUND', 404, 'toxic not found', 'name');
}

/** 500, as Toxiproxy answers when the listen address cannot be bound (in use, bad host). */
export function listenFailed(message: string, cause?: unknown): ProxyApiError {
  return new ProxyApiError('FAULTLINE_PROXY_LISTEN_FAILED', 500, message, 'listen', { cause });
}
