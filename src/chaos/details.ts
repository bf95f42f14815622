/**
 * What a real system error would say about the call it failed: `path` (and `dest`) for file-system calls,
 * `address`/`port` for connects and listens, `hostname` for lookups — with the syscall Node names. An injected
 * error built from these reads exactly like the one the kernel would have produced for the same call.
 *
 * Calls are recognized by the function they reach (node:fs, node:fs/promises, node:net, node:tls), never by the
 * method's name, so a user's own `readFile` is left alone. A driver whose connection is known (`options.host`/
 * `options.port`, as ioredis keeps them, or `host`/`port` of its own) gets the address on its connect errors.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import type { SystemErrorDetails } from './errors.js';

/** The details for an injected system error with `code`, or undefined when the call tells nothing. */
export type DetailsFor = (code: string) => SystemErrorDetails | undefined;

interface FsCall {
  /** The syscall that fails on the path (`open` for readFile, `scandir` for readdir, …). */
  syscall: string;
  /** For calls that open then read or write: the syscall an I/O error comes from, on the descriptor (no path). */
  io?: string;
  /** True when the second argument is a destination path (`rename`, `copyFile`, …). */
  dest?: boolean;
}

const FS_CALLS: Record<string, FsCall> = {
  readFile: { syscall: 'open', io: 'read' },
  writeFile: { syscall: 'open', io: 'write' },
  appendFile: { syscall: 'open', io: 'write' },
  truncate: { syscall: 'open', io: 'ftruncate' },
  open: { syscall: 'open' },
  access: { syscall: 'access' },
  stat: { syscall: 'stat' },
  lstat: { syscall: 'lstat' },
  statfs: { syscall: 'statfs' },
  readlink: { syscall: 'readlink' },
  realpath: { syscall: 'realpath' },
  chmod: { syscall: 'chmod' },
  lchmod: { syscall: 'lchmod' },
  chown: { syscall: 'chown' },
  lchown: { syscall: 'lchown' },
  utimes: { syscall: 'utime' },
  lutimes: { syscall: 'lutime' },
  mkdir: { syscall: 'mkdir' },
  mkdtemp: { syscall: 'mkdtemp' },
  rmdir: { syscall: 'rmdir' },
  unlink: { syscall: 'unlink' },
  readdir: { syscall: 'scandir' },
  opendir: { syscall: 'opendir' },
  // rm and cp look the source up first, so that is where they fail.
  rm: { syscall: 'lstat' },
  cp: { syscall: 'lstat' },
  rename: { syscall: 'rename', dest: true },
  copyFile: { syscall: 'copyfile', dest: true },
  link: { syscall: 'link', dest: true },
  symlink: { syscall: 'symlink', dest: true },
};

/** Errors a read or write on an open descriptor raises: Node reports them without the path. */
const IO_CODES = new Set(['EIO', 'ENOSPC', 'EDQUOT', 'EFBIG', 'EAGAIN', 'EINTR', 'EBADF', 'EISDIR']);
/** Codes that are not about files at all: an fs call with one of these gets no file details. */
const NOT_FILE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRINUSE',
  'EADDRNOTAVAIL',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
]);
/** Errors of the connect itself, which Node reports with the address (not those of a later read or write). */
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
const DNS_CODES = new Set(['EAI_AGAIN', 'ENOTFOUND']);

type Known = { kind: 'fs'; call: FsCall } | { kind: 'connect' } | { kind: 'listen' };
let known: Map<Function, Known> | undefined;

function knownFunctions(): Map<Function, Known> {
  if (known) return known;
  known = new Map();
  const add = (fn: unknown, what: Known) => {
    if (typeof fn === 'function' && !known!.has(fn)) known!.set(fn, what);
  };
  const sync = fs as unknown as Record<string, unknown>;
  const promises = fs.promises as unknown as Record<string, unknown>;
  for (const [name, call] of Object.entries(FS_CALLS)) {
    const what: Known = { kind: 'fs', call };
    add(promises[name], what);
    add(sync[name], what);
    add(sync[`${name}Sync`], what);
  }
  add(net.connect, { kind: 'connect' });
  add(net.createConnection, { kind: 'connect' });
  add(tls.connect, { kind: 'connect' });
  add(net.Socket.prototype.connect, { kind: 'connect' });
  add(net.Server.prototype.listen, { kind: 'listen' });
  return known;
}

/** A path argument as Node prints it, or undefined for a descriptor, a FileHandle or anything else. */
function pathOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (Buffer.isBuffer(arg)) return arg.toString();
  if (arg instanceof URL && arg.protocol === 'file:') return fileURLToPath(arg);
  return undefined;
}

function fsDetails(call: FsCall, args: readonly unknown[]): DetailsFor | undefined {
  let path = pathOf(args[0]);
  if (path === undefined) return undefined;
  // mkdtemp fails on the name it made from the prefix; the template stands in for the random part.
  if (call.syscall === 'mkdtemp') path = `${path}XXXXXX`;
  const dest = call.dest ? pathOf(args[1]) : undefined;
  return (code) => {
    if (NOT_FILE_CODES.has(code)) return undefined;
    if (call.io && IO_CODES.has(code) && !(code === 'EISDIR' && call.io !== 'read'))
      return { syscall: call.io };
    const syscall = call.syscall;
    return dest === undefined ? { syscall, path } : { syscall, path, dest };
  };
}

/** Where a connect or listen call goes: `{ port, host }`, `{ path }` for a local socket, from any of its forms. */
function endpointOf(args: readonly unknown[]): { host?: string; port?: number; path?: string } | undefined {
  let first = args[0];
  if (Array.isArray(first)) first = first[0]; // net's internal [options, cb] form
  if (first !== null && typeof first === 'object') {
    const o = first as { host?: unknown; port?: unknown; path?: unknown };
    if (typeof o.path === 'string') return { path: o.path };
    const port =
      typeof o.port === 'number' ? o.port : typeof o.port === 'string' ? Number(o.port) : undefined;
    return { host: typeof o.host === 'string' ? o.host : undefined, port };
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return { port: Number(first), host: typeof args[1] === 'string' ? args[1] : undefined };
  }
  if (typeof first === 'string') return { path: first };
  return undefined;
}

/** Node prints the address it tried, not the name: `localhost` is the loopback address. */
function addressOf(host: string | undefined, fallback: string): string {
  if (host === undefined || host === '') return fallback;
  return host === 'localhost' ? '127.0.0.1' : host.replace(/^\[|\]$/g, '');
}

function socketDetails(kind: 'connect' | 'listen', args: readonly unknown[]): DetailsFor | undefined {
  const at = endpointOf(args);
  if (!at) return undefined;
  return (code) => {
    if (DNS_CODES.has(code)) return at.host ? { hostname: at.host } : undefined;
    // A reset or a broken pipe comes from a later read or write, which Node reports without the address.
    if (code === 'ECONNRESET' || code === 'EPIPE') return undefined;
    if (at.path !== undefined) return { syscall: kind, address: at.path };
    // Listening with no host binds the unspecified IPv6 address, as Node does.
    const address = addressOf(at.host, kind === 'listen' ? '::' : '127.0.0.1');
    return at.port === undefined ? { syscall: kind, address } : { syscall: kind, address, port: at.port };
  };
}

/** The endpoint a driver object keeps for its connection, if it keeps one in a form faultline knows. */
function connectionOf(target: object): { host?: string; port: number } | { path: string } | undefined {
  type Endpoint = { host?: unknown; port?: unknown; path?: unknown };
  const t = target as Endpoint & { options?: unknown; remoteAddress?: unknown; remotePort?: unknown };
  if (target instanceof net.Socket) {
    return typeof t.remotePort === 'number'
      ? { host: String(t.remoteAddress), port: t.remotePort }
      : undefined;
  }
  for (const candidate of [t.options, t]) {
    if (candidate === null || typeof candidate !== 'object') continue;
    const o = candidate as Endpoint;
    if (typeof o.path === 'string' && o.path !== '') return { path: o.path };
    if (typeof o.port === 'number')
      return { host: typeof o.host === 'string' ? o.host : undefined, port: o.port };
  }
  return undefined;
}

function connectionDetails(target: object): DetailsFor | undefined {
  let at: ReturnType<typeof connectionOf> | null | undefined;
  return (code) => {
    if (!CONNECT_CODES.has(code) && !DNS_CODES.has(code)) return undefined;
    if (at === undefined) at = connectionOf(target) ?? null;
    if (at === null) return undefined;
    if ('path' in at) return DNS_CODES.has(code) ? undefined : { syscall: 'connect', address: at.path };
    if (DNS_CODES.has(code)) return at.host ? { hostname: at.host } : undefined;
    return { syscall: 'connect', address: addressOf(at.host, '127.0.0.1'), port: at.port };
  };
}

/** What the call of `fn` on `target` with `args` tells an injected system error, or undefined. */
export function callDetails(
  fn: Function,
  target: object | undefined,
  args: readonly unknown[],
): DetailsFor | undefined {
  const what = knownFunctions().get(fn);
  if (what?.kind === 'fs') return fsDetails(what.call, args);
  if (what) return socketDetails(what.kind, args);
  return target === undefined ? undefined : connectionDetails(target);
}
