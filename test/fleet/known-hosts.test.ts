import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  checkHostKey,
  fileKnownHosts,
  hostFieldMatches,
  keyTypeOf,
  knownHostsLine,
  knownKeyTypes,
  parseKnownHosts,
} from '../../src/fleet/known-hosts.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-known-hosts-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Real keys from ssh-keygen: their blobs are what an SSH server presents. */
function newKey(name: string): { line: string; blob: Buffer } {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, name)]);
  const line = readFileSync(join(dir, `${name}.pub`), 'utf8').trim();
  return { line, blob: Buffer.from(line.split(' ')[1] as string, 'base64') };
}

const a = newKey('a');
const b = newKey('b');
const pub = (k: { line: string }) => k.line.split(' ').slice(0, 2).join(' ');

describe('known_hosts', () => {
  it('knows a listed key, by address and by [address]:port', () => {
    const entries = parseKnownHosts(`# c\n10.0.0.1,web1 ${pub(a)}\n[10.0.0.2]:2222 ${pub(b)}\n`);
    assert.deepEqual(checkHostKey(entries, '10.0.0.1', 22, a.blob), { kind: 'known' });
    assert.deepEqual(checkHostKey(entries, 'web1', 22, a.blob), { kind: 'known' });
    assert.deepEqual(checkHostKey(entries, '10.0.0.2', 2222, b.blob), { kind: 'known' });
    assert.deepEqual(checkHostKey(entries, '10.0.0.2', 22, b.blob), { kind: 'unknown' }, 'port matters');
    assert.deepEqual(knownKeyTypes(entries, '10.0.0.1', 22), ['ssh-ed25519']);
  });

  it('tells a changed key from an unknown host', () => {
    const entries = parseKnownHosts(`10.0.0.1 ${pub(a)}\n`);
    assert.deepEqual(checkHostKey(entries, '10.0.0.1', 22, b.blob), { kind: 'mismatch', lines: [1] });
    assert.deepEqual(checkHostKey(entries, '10.0.0.9', 22, a.blob), { kind: 'unknown' });
  });

  it('honours @revoked, wildcards and negation', () => {
    const entries = parseKnownHosts(`@revoked * ${pub(b)}\n10.0.0.*,!10.0.0.5 ${pub(a)}\n`);
    assert.deepEqual(checkHostKey(entries, '10.0.0.7', 22, b.blob), { kind: 'revoked', line: 1 });
    assert.deepEqual(checkHostKey(entries, '10.0.0.7', 22, a.blob), { kind: 'known' });
    assert.deepEqual(checkHostKey(entries, '10.0.0.5', 22, a.blob), { kind: 'unknown' });
    assert.equal(hostFieldMatches('web?', 'web1'), true);
  });

  it('matches names hashed by ssh-keygen -H', () => {
    const file = join(dir, 'hashed');
    writeFileSync(file, `10.0.0.1 ${pub(a)}\n[10.0.0.2]:2222 ${pub(b)}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'ignore' });
    const text = readFileSync(file, 'utf8');
    assert.doesNotMatch(text, /10\.0\.0/);
    const entries = parseKnownHosts(text);
    assert.deepEqual(checkHostKey(entries, '10.0.0.1', 22, a.blob), { kind: 'known' });
    assert.deepEqual(checkHostKey(entries, '10.0.0.2', 2222, b.blob), { kind: 'known' });
    assert.deepEqual(checkHostKey(entries, '10.0.0.3', 22, a.blob), { kind: 'unknown' });
  });

  it('writes lines OpenSSH reads back', async () => {
    assert.equal(keyTypeOf(a.blob), 'ssh-ed25519');
    const file = join(dir, 'sub', 'known_hosts');
    const store = fileKnownHosts(file);
    assert.equal(await store.read(), '');
    await store.append(knownHostsLine('10.0.0.3', 2200, a.blob));
    await store.append(knownHostsLine('10.0.0.4', 22, b.blob));
    // ssh-keygen -F finds a host in known_hosts exactly as ssh does
    const found = execFileSync('ssh-keygen', ['-F', '[10.0.0.3]:2200', '-f', file], { encoding: 'utf8' });
    assert.match(found, /ssh-ed25519/);
    assert.deepEqual(checkHostKey(parseKnownHosts(await store.read()), '10.0.0.4', 22, b.blob), {
      kind: 'known',
    });
  });
});
