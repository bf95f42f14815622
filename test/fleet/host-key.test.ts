import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SshError } from '../../src/fleet/errors.js';
import type { Host } from '../../src/fleet/host.js';
import { verifyHostKey } from '../../src/fleet/host-key.js';
import { fileKnownHosts } from '../../src/fleet/known-hosts.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-host-key-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function newKey(name: string): { pub: string; blob: Buffer } {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, name)]);
  const pub = readFileSync(join(dir, `${name}.pub`), 'utf8')
    .split(' ')
    .slice(0, 2)
    .join(' ');
  return { pub, blob: Buffer.from(pub.split(' ')[1] as string, 'base64') };
}

const host: Host = {
  name: 'n1',
  address: '10.0.0.1',
  port: 2222,
  user: 'root',
  groups: [],
  labels: {},
  become: false,
};
const a = newKey('a');
const b = newKey('b');
const code = (c: string) => (e: unknown) => e instanceof SshError && e.code === c && e.host === 'n1';

describe('verifyHostKey', () => {
  it('refuses an unknown host by default and leaves known_hosts alone', async () => {
    const file = join(dir, 'kh1');
    await assert.rejects(
      verifyHostKey(fileKnownHosts(file), host, a.blob, 'strict'),
      code('FLEET_SSH_HOST_KEY_UNKNOWN'),
    );
    assert.equal(await fileKnownHosts(file).read(), '');
  });

  it('accepts a new host under accept-new, then verifies it', async () => {
    const file = join(dir, 'kh2');
    await verifyHostKey(fileKnownHosts(file), host, a.blob, 'accept-new');
    assert.equal(readFileSync(file, 'utf8'), `[10.0.0.1]:2222 ${a.pub}\n`);
    await verifyHostKey(fileKnownHosts(file), host, a.blob, 'strict');
    await assert.rejects(
      verifyHostKey(fileKnownHosts(file), host, b.blob, 'accept-new'),
      code('FLEET_SSH_HOST_KEY_MISMATCH'),
    );
  });

  it('refuses a changed key under either policy, naming the known_hosts line', async () => {
    const file = join(dir, 'kh3');
    writeFileSync(file, `# fleet\n[10.0.0.1]:2222 ${a.pub}\n`);
    for (const policy of ['strict', 'accept-new'] as const) {
      await assert.rejects(verifyHostKey(fileKnownHosts(file), host, b.blob, policy), (e) => {
        assert.ok(code('FLEET_SSH_HOST_KEY_MISMATCH')(e));
        assert.match(
          (e as Error).message,
          /^n1: ssh-ed25519 host key of 10\.0\.0\.1:2222 differs from known_hosts line 2/,
        );
        return true;
      });
    }
    assert.equal(readFileSync(file, 'utf8').split('\n').length, 3, 'nothing appended');
  });
});
