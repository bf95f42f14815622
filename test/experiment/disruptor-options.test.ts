/**
 * Every disruptor's options refuse what they do not know — a misspelt option must be an error, never a default
 * silently used — and `proxy.toxic` attributes are held to the toxic type's own declaration in the proxy.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { disruptors } from '../../src/plugins/disruptors/index.js';
import { proxyToxic } from '../../src/plugins/disruptors/proxy-toxic.js';
import { toxicDefinitions } from '../../src/proxy/index.js';

/** Paths of every object node in a JSON Schema that would accept keys it does not list. */
function openObjects(node: unknown, path = '$'): string[] {
  if (typeof node !== 'object' || node === null) return [];
  const n = node as Record<string, unknown>;
  const out: string[] = [];
  if (n.type === 'object' && n.properties !== undefined && n.additionalProperties !== false) out.push(path);
  for (const [k, v] of Object.entries(n)) {
    const items = Array.isArray(v)
      ? v.map((x, i) => [x, `${path}.${k}[${i}]`] as const)
      : [[v, `${path}.${k}`] as const];
    for (const [x, at] of items) out.push(...openObjects(x, at));
  }
  return out;
}

describe('disruptor options', () => {
  for (const d of disruptors.all()) {
    it(`${d.name}: every object in its options is strict`, () => {
      const schema = z.toJSONSchema(d.options, { io: 'input', unrepresentable: 'any' });
      assert.deepEqual(openObjects(schema), []);
      assert.equal(d.options.safeParse({ no_such_option: 1 }).success, false);
    });
  }

  const base = { api: 'http://127.0.0.1:8474', proxy: 'db' };

  it('proxy.toxic offers exactly the toxic types the proxy registers', () => {
    const types = toxicDefinitions().map((t) => t.type);
    const typeIssues = (toxic: string) =>
      (proxyToxic.options.safeParse({ ...base, toxic }).error?.issues ?? []).filter(
        (i) => i.path[0] === 'toxic',
      );
    for (const type of types) assert.deepEqual(typeIssues(type), [], type);
    assert.equal(typeIssues('lag').length, 1);
  });

  for (const def of toxicDefinitions()) {
    it(`proxy.toxic ${def.type}: its declared attributes pass, any other is an error naming it`, () => {
      const declared: Record<string, unknown> = {};
      for (const [name, spec] of Object.entries(def.attributes))
        if (spec.kind !== 'headers') declared[name] = spec.default;
      // defaults can break a cross-attribute rule (slicer's average_size 0); only the names matter here
      const known = proxyToxic.options.safeParse({ ...base, toxic: def.type, attributes: declared });
      if (!known.success)
        for (const issue of known.error.issues) assert.doesNotMatch(issue.message, /unknown attribute/);
      const r = proxyToxic.options.safeParse({ ...base, toxic: def.type, attributes: { bogus: 1 } });
      assert.equal(r.success, false);
      const issue = r.error?.issues[0];
      assert.deepEqual(issue?.path, ['attributes', 'bogus']);
      assert.match(issue?.message ?? '', new RegExp(`unknown attribute 'bogus' of toxic ${def.type}`));
    });
  }

  it("proxy.toxic checks values with the proxy's own rules, and takes the http toxic's headers", () => {
    const bad = proxyToxic.options.safeParse({ ...base, toxic: 'latency', attributes: { latency: -5 } });
    assert.equal(bad.success, false);
    assert.deepEqual(bad.error?.issues[0]?.path, ['attributes', 'latency']);
    assert.equal(bad.error?.issues[0]?.message, 'must not be negative');
    const ok = proxyToxic.options.safeParse({
      ...base,
      toxic: 'http',
      attributes: { status: 503, headers: { 'Retry-After': '5' } },
    });
    assert.ok(ok.success, JSON.stringify(ok.error?.issues));
  });
});
