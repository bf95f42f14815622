import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InventoryError } from '../../src/fleet/errors.js';
import type { Host } from '../../src/fleet/host.js';
import { expandRange, parseInventory } from '../../src/fleet/inventory.js';

const byName = (hosts: Host[]) => new Map(hosts.map((h) => [h.name, h]));

const INI = `
# comment
bastion ansible_host=192.0.2.1 ansible_port=2222

[web]
web[01:02] ansible_host=192.0.2.10  ; trailing comment
web03 ansible_host=192.0.2.13 ansible_user=deploy role=canary

[db]
db1 ansible_host=192.0.2.20 ansible_ssh_private_key_file="/keys/db key" ansible_become=yes

[web:vars]
ansible_user=www
role=frontend
tier=web

[prod:children]
web
db

[prod:vars]
ansible_user=ops
tier=prod
env=prod

[all:vars]
env=default
dc=eu
`;

const YAML = `
all:
  vars:
    env: default
    dc: eu
  hosts:
    bastion:
      ansible_host: 192.0.2.1
      ansible_port: 2222
  children:
    prod:
      vars:
        ansible_user: ops
        tier: prod
        env: prod
      children:
        web:
          vars:
            ansible_user: www
            role: frontend
            tier: web
          hosts:
            web[01:02]:
              ansible_host: 192.0.2.10
            web03:
              ansible_host: 192.0.2.13
              ansible_user: deploy
              role: canary
        db:
          hosts:
            db1:
              ansible_host: 192.0.2.20
              ansible_ssh_private_key_file: /keys/db key
              ansible_become: true
`;

for (const [form, text] of [
  ['INI', INI],
  ['YAML', YAML],
] as const) {
  describe(`inventory (${form})`, () => {
    const hosts = byName(parseInventory(text, { defaultUser: 'me' }));

    it('lists every host once, ranges expanded', () => {
      assert.deepEqual([...hosts.keys()].sort(), ['bastion', 'db1', 'web01', 'web02', 'web03']);
    });

    it('reads address, port, user, identity and become', () => {
      assert.deepEqual(hosts.get('bastion'), {
        name: 'bastion',
        address: '192.0.2.1',
        port: 2222,
        user: 'me',
        groups: [],
        labels: { env: 'default', dc: 'eu' },
        become: false,
      });
      const db = hosts.get('db1')!;
      assert.equal(db.identity, '/keys/db key');
      assert.equal(db.become, true);
      assert.equal(db.port, 22);
      assert.equal(hosts.get('web01')?.identity, undefined, 'no key file: the SSH agent');
    });

    it('puts hosts in groups of groups', () => {
      assert.deepEqual(hosts.get('web01')?.groups, ['prod', 'web']);
      assert.deepEqual(hosts.get('db1')?.groups, ['db', 'prod']);
    });

    it('applies vars host over child group over parent group over all', () => {
      assert.equal(hosts.get('web03')?.user, 'deploy', 'host var wins');
      assert.equal(hosts.get('web01')?.user, 'www', 'child group over parent');
      assert.equal(hosts.get('db1')?.user, 'ops', 'parent group over default');
      assert.deepEqual(hosts.get('web03')?.labels, { env: 'prod', dc: 'eu', role: 'canary', tier: 'web' });
      assert.deepEqual(hosts.get('web02')?.labels, { env: 'prod', dc: 'eu', role: 'frontend', tier: 'web' });
    });
  });
}

describe('inventory details', () => {
  it('orders same-depth groups by name, the later winning', () => {
    const hosts = parseInventory('[b]\nh1\n[a]\nh1\n[a:vars]\nx=from-a\n[b:vars]\nx=from-b\n');
    assert.equal(hosts[0]?.labels.x, 'from-b');
  });

  it('expands ranges with padding, steps and letters', () => {
    assert.deepEqual(expandRange('n[08:10]'), ['n08', 'n09', 'n10']);
    assert.deepEqual(expandRange('n[1:5:2].x'), ['n1.x', 'n3.x', 'n5.x']);
    assert.deepEqual(expandRange('db-[a:c]'), ['db-a', 'db-b', 'db-c']);
  });

  it('names the line of bad INI', () => {
    assert.throws(
      () => parseInventory('[web]\nh1 ansible_port=http\n'),
      (e) => e instanceof InventoryError && /h1: ansible_port/.test(e.message),
    );
    assert.throws(
      () => parseInventory('[web]\nh1 "unclosed\n'),
      (e) => e instanceof InventoryError && e.line === 2 && e.code === 'FLEET_INVENTORY',
    );
    assert.throws(() => parseInventory('[web:vars]\nnot-an-assignment\n'), /line 2/);
  });

  it('rejects cycles of children', () => {
    assert.throws(() => parseInventory('[a:children]\nb\n[b:children]\na\n[a]\nh\n'), /cycle/);
  });

  it('rejects YAML that is not an inventory', () => {
    assert.throws(() => parseInventory('all:\n  hostz: {}\n'), /unknown key hostz/);
  });
});
