/**
 * OpenSSH `known_hosts`: which host keys a host may present. Verifying against it is the default, because a
 * fleet tool that silently trusts whatever key answers hands root on every host to whoever sits in between.
 *
 * The parsing and matching are pure; reading and appending the file sit behind KnownHostsStore.
 * Supported: plain and hashed (`|1|salt|hash`) names, `[addr]:port`, comma lists, `*`/`?` wildcards,
 * `!negation`, `@revoked`. `@cert-authority` lines are skipped (no host certificates here).
 */
import { createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface KnownHostEntry {
  marker?: 'revoked' | 'cert-authority';
  /** The host field as written: `a,b`, `[a]:2222`, `|1|salt|hash`. */
  hosts: string;
  keyType: string;
  /** The key blob (the base64 field decoded), as an SSH server sends it. */
  key: Buffer;
  /** 1-based line, for messages. */
  line: number;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const fields = (lines[i] as string).trim().split(/\s+/);
    if (fields[0] === '' || fields[0]?.startsWith('#')) continue;
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') {
      marker = fields[0] === '@revoked' ? 'revoked' : 'cert-authority';
      fields.shift();
    }
    const [hosts, keyType, base64] = fields;
    // A line OpenSSH would not understand is skipped, as OpenSSH does, rather than failing every connection.
    if (!hosts || !keyType || !base64 || !/^[A-Za-z0-9+/]+=*$/.test(base64)) continue;
    const entry: KnownHostEntry = { hosts, keyType, key: Buffer.from(base64, 'base64'), line: i + 1 };
    if (marker) entry.marker = marker;
    entries.push(entry);
  }
  return entries;
}

/** The name known_hosts uses for a host: the address alone on port 22, `[address]:port` otherwise. */
export function hostKeyName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

/** Whether a host field names `name`: any positive pattern matches and no negated one does. */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) return hashedMatches(field, name);
  let matched = false;
  for (const pattern of field.split(',')) {
    const negated = pattern.startsWith('!');
    if (globMatches(negated ? pattern.slice(1) : pattern, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

function hashedMatches(field: string, name: string): boolean {
  const [, , salt, hash] = field.split('|');
  if (!salt || !hash) return false;
  const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return mac === hash;
}

function globMatches(pattern: string, name: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(name);
}

export type HostKeyVerdict =
  | { kind: 'known' }
  | { kind: 'unknown' }
  /** The host is listed, with other keys: possibly a man in the middle, or a reinstalled host. */
  | { kind: 'mismatch'; lines: number[] }
  | { kind: 'revoked'; line: number };

export function checkHostKey(
  entries: readonly KnownHostEntry[],
  address: string,
  port: number,
  key: Buffer,
): HostKeyVerdict {
  const name = hostKeyName(address, port);
  const forHost = entries.filter((e) => e.marker !== 'cert-authority' && hostFieldMatches(e.hosts, name));
  const revoked = forHost.find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked) return { kind: 'revoked', line: revoked.line };
  const plain = forHost.filter((e) => e.marker === undefined);
  if (plain.some((e) => e.key.equals(key))) return { kind: 'known' };
  if (plain.length === 0) return { kind: 'unknown' };
  return { kind: 'mismatch', lines: plain.map((e) => e.line) };
}

/** The key types known_hosts lists for a host: offered first, so the server presents a key we can check. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], address: string, port: number): string[] {
  const name = hostKeyName(address, port);
  return [
    ...new Set(
      entries.filter((e) => e.marker === undefined && hostFieldMatches(e.hosts, name)).map((e) => e.keyType),
    ),
  ];
}

/** A key blob starts with its type as an SSH string (uint32 length, then the name). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) throw new Error('host key blob too short');
  const len = key.readUInt32BE(0);
  if (len > 64 || key.length < 4 + len) throw new Error('host key blob has no type name');
  return key.subarray(4, 4 + len).toString('latin1');
}

export function knownHostsLine(address: string, port: number, key: Buffer): string {
  return `${hostKeyName(address, port)} ${keyTypeOf(key)} ${key.toString('base64')}`;
}

/** Where known_hosts lives: a file in production, anything in a test. */
export interface KnownHostsStore {
  /** The whole text; '' when there is none yet. */
  read(): Promise<string>;
  append(line: string): Promise<void>;
}

export function fileKnownHosts(path: string): KnownHostsStore {
  const read = async (): Promise<string> => {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw err;
    }
  };
  return {
    read,
    async append(line) {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      // A file not ending in a newline would glue our line onto its last one.
      const text = await read();
      const sep = text === '' || text.endsWith('\n') ? '' : '\n';
      await appendFile(path, `${sep}${line}\n`, { mode: 0o600 });
    },
  };
}
