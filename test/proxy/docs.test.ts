/** docs/proxy.md cannot drift from the registry: every toxic type and attribute has its section and row. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { toxicDefinitions } from '../../src/proxy/index.js';

const doc = readFileSync(new URL('../../docs/proxy.md', import.meta.url), 'utf8');

it('docs/proxy.md documents every registered toxic and each of its attributes', () => {
  for (const def of toxicDefinitions()) {
    const start = doc.indexOf(`### \`${def.type}\``);
    assert.ok(start >= 0, `no section for ${def.type}`);
    const next = doc.indexOf('\n### ', start + 1);
    const section = doc.slice(start, next < 0 ? undefined : next);
    for (const name of Object.keys(def.attributes)) {
      assert.match(section, new RegExp(`\\|\\s*\`${name}\`\\s*\\|`), `${def.type}.${name} not in its table`);
    }
  }
});
