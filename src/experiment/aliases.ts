/**
 * YAML aliases, bounded. `*name` repeats the node `&name` marks; nested, ten aliases of ten aliases of … let a few
 * lines stand for a billion values (the "billion laughs"), which converting and validating would then walk.
 * The `yaml` package's own guard (`maxAliasCount`) throws with no position, and at its default of 100 it refuses a
 * legitimate file that reuses one anchor 100 times. So the expansion is measured here, exactly and in time linear
 * in the file: a node counts once for every place it appears once aliases are expanded. The alias at which the
 * file passes the limit is refused, by its line and field; so are an alias with no anchor before it and an alias
 * inside the node it repeats (a cycle), which would otherwise throw, or never end, while converting.
 */
import { type Alias, type Document, isAlias, isMap, isPair, isScalar, isSeq, type Node } from 'yaml';

/** Values an experiment file may expand to: far more than any real file holds, a sliver of an alias bomb. */
export const MAX_EXPANDED_VALUES = 100_000;

type Path = (string | number)[];

/** An alias the file cannot keep: the alias node, its field path, and why. */
export interface AliasProblem {
  alias: Alias;
  path: Path;
  message: string;
}

function children(node: unknown, path: Path): [unknown, Path][] {
  if (isMap(node)) {
    return node.items.flatMap((pair): [unknown, Path][] => {
      if (!isPair(pair)) return [];
      const sub = [...path, isScalar(pair.key) ? String(pair.key.value) : '?'];
      return [
        [pair.key, sub],
        [pair.value, sub],
      ];
    });
  }
  if (isSeq(node)) return node.items.map((item, i): [unknown, Path] => [item, [...path, i]]);
  return [];
}

/** The first alias problem in `doc` in document order, or undefined when its aliases are sound and bounded. */
export function checkAliases(doc: Document, limit = MAX_EXPANDED_VALUES): AliasProblem | undefined {
  // Resolve each alias as `yaml` does: to the last node with that anchor before it in document order (depth
  // first, a map's key before its value, a node before what it contains).
  const targets = new Map<Alias, Node>();
  const paths = new Map<Alias, Path>();
  const latest = new Map<string, Node>();
  const resolve = (node: unknown, path: Path): void => {
    if (isAlias(node)) {
      const target = latest.get(node.source);
      if (target !== undefined) targets.set(node, target);
      paths.set(node, path);
      return;
    }
    if ((isScalar(node) || isMap(node) || isSeq(node)) && node.anchor) latest.set(node.anchor, node);
    for (const [child, sub] of children(node, path)) resolve(child, sub);
  };
  resolve(doc.contents, []);
  if (paths.size === 0) return undefined;

  let problem: AliasProblem | undefined;
  const fail = (alias: Alias, message: string) => {
    problem ??= { alias, path: paths.get(alias) ?? [], message };
  };
  // The expanded size of a node, memoised so that a shared anchor is measured once (no alias is expanded twice).
  const sizes = new Map<unknown, number>();
  const open = new Set<unknown>();
  const sizeOf = (node: unknown): number => {
    if (node === null || node === undefined) return 0;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    let size: number;
    if (isAlias(node)) {
      const target = targets.get(node);
      if (target === undefined) {
        fail(node, `*${node.source} has no &${node.source} before it`);
        size = 0;
      } else if (open.has(target)) {
        fail(node, `*${node.source} is inside the node &${node.source} it repeats`);
        size = 0;
      } else size = sizeOf(target);
    } else {
      open.add(node);
      size = 1;
      for (const [child] of children(node, [])) size += sizeOf(child);
      open.delete(node);
    }
    sizes.set(node, size);
    return size;
  };
  // Walk the file as written, adding each alias's expansion, to name the alias where the total passes the limit.
  let total = 0;
  const walk = (node: unknown): boolean => {
    if (problem) return true;
    if (isAlias(node)) {
      total += sizeOf(node);
      if (!problem && total > limit)
        fail(
          node,
          `*${node.source}: aliases expand this file past ${limit} values, the limit for an experiment file`,
        );
      return problem !== undefined;
    }
    if (node !== null && node !== undefined) total += 1;
    return children(node, []).some(([child]) => walk(child));
  };
  walk(doc.contents);
  return problem;
}
