/**
 * The source layout: no two modules under src/ import each other, directly or through others. A circle makes
 * load order matter (a module sees the other half-initialised) and keeps either side from being moved or tested
 * alone. `import type` counts too: an erased import still ties the two files' designs together.
 *
 * A small scan of `import … from`, `import '…'` and `export … from` of relative modules, not a parser: the
 * codebase writes its imports at the top of the file, one statement each, as biome formats them.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Circles allowed for now, each as its modules sorted and joined by ' -> ' (paths from the repository root),
 * with a TODO naming who removes it. Empty: keep it so.
 */
const KNOWN_CYCLES: ReadonlyMap<string, string> = new Map<string, string>([]);

// `import x from '…'`, `import { a } from '…'`, `import type …`, `import '…'`, `export { a } from '…'`,
// `export * from '…'`, statements that span lines included; only relative specifiers (`./`, `../`).
const IMPORT_RE = /^\s*(?:import|export)\s+(?:[^'";]*?\sfrom\s*)?['"](\.{1,2}\/[^'"]+)['"]/gm;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Each module (repository-relative, `/`-separated) and the relative modules it imports. */
function importGraph(root: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(join(root, 'src'))) {
    const text = readFileSync(file, 'utf8');
    const deps = [...text.matchAll(IMPORT_RE)].map((m) =>
      // ESM sources name the emitted `.js`; the module on disk is the `.ts` beside it
      toKey(root, resolve(dirname(file), (m[1] as string).replace(/\.js$/, '.ts'))),
    );
    graph.set(toKey(root, file), [...new Set(deps)]);
  }
  return graph;
}

const toKey = (root: string, file: string) => relative(root, file).split('\\').join(posix.sep);

/**
 * Every circle as a path that returns to its start (`a -> b -> a`): one per strongly connected group of
 * modules (Tarjan), walked from the group's first module in sort order so the name is stable.
 */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue; // a missing file is tsc's to report
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1 || (graph.get(v) ?? []).includes(v)) groups.push(group.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return groups.map((g) => circleThrough(graph, new Set(g), g[0]!));
}

/** The shortest path from `start` back to itself inside `group` (breadth first). */
function circleThrough(graph: ReadonlyMap<string, readonly string[]>, group: Set<string>, start: string) {
  const from = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of [...(graph.get(v) ?? [])].sort()) {
      if (!group.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let u = v; u !== start; u = from.get(u)!) path.splice(1, 0, u);
        return [...path, start];
      }
      if (!from.has(w)) {
        from.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

const cycleKey = (cycle: readonly string[]) => [...new Set(cycle)].sort().join(' -> ');

describe('source layout', () => {
  const graph = importGraph(ROOT);

  it('scans the sources it is meant to', () => {
    // guards the regex: a scan that found nothing would pass vacuously
    assert.ok(graph.size > 100, `found ${graph.size} modules`);
    assert.ok(graph.get('src/proxy/server.ts')?.includes('src/proxy/api.ts'), 'a plain import');
    assert.ok(graph.get('src/index.ts')?.includes('src/load/index.ts'), 'an export * from');
  });

  it('finds a circle, and names it', () => {
    const toy = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
    ]);
    assert.deepEqual(findCycles(toy), [['a', 'b', 'c', 'a']]);
    assert.deepEqual(findCycles(new Map([['a', ['a']]])), [['a', 'a']]);
  });

  it('has no import circles under src/', () => {
    const found = findCycles(graph);
    const unexpected = found.filter((c) => !KNOWN_CYCLES.has(cycleKey(c)));
    assert.deepEqual(
      unexpected.map((c) => c.join(' -> ')),
      [],
      'modules import each other; move what both need into a third module',
    );
    const stale = [...KNOWN_CYCLES.keys()].filter((k) => !found.some((c) => cycleKey(c) === k));
    assert.deepEqual(stale, [], 'a known circle is gone: remove it from KNOWN_CYCLES');
  });
});
