// Transpiles the TypeScript the tests run (src, test, examples, bench) into a mirror of the repository, so the
// test files and what they import run as plain JavaScript: a TypeScript loader costs every test process about a
// second of CPU (its hooks run on another thread, once per module), which across the suite is minutes.
// Everything else in the mirror is a symlink to the repository (fixtures, package.json, node_modules, dist, …),
// so paths a test builds from import.meta.url land where they did; .ts files stay beside their .js for the child
// processes that tests start through tsx. Usage: node scripts/build-tests.mjs OUT_DIR
import { mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.argv[2] ?? join(repo, '.test-build'));
const TRANSPILED = new Set(['src', 'test', 'examples', 'bench']);
const SKIPPED = new Set([relative(repo, out).split('/')[0]]);
// The CLI that code in the mirror starts for itself (`{{faultline}}` in experiments, suites' runs: src/cli/self.ts
// picks the bin.js beside it) is the bundled one scripts/test.sh has just built, as the test helpers' is.
const BUILT = new Map([['src/cli/bin.ts', join(repo, 'dist/cli/bin.js')]]);

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

/** @type {Promise<void>[]} */
const jobs = [];

function mirror(dir) {
  const target = join(out, relative(repo, dir));
  mkdirSync(target, { recursive: true });
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const from = join(dir, entry.name);
    const to = join(target, entry.name);
    if (entry.isDirectory()) {
      mirror(from);
      continue;
    }
    symlinkSync(from, to);
    const built = BUILT.get(relative(repo, from));
    if (built !== undefined) symlinkSync(built, `${to.slice(0, -3)}.js`);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
      jobs.push(transpile(from, to.slice(0, -3)));
  }
}

async function transpile(from, base) {
  const code = await readFile(from, 'utf8');
  const js = await transform(code, {
    loader: 'ts',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'inline',
    sourcefile: from,
    tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
  });
  writeFileSync(`${base}.js`, js.code);
}

for (const entry of readdirSync(repo, { withFileTypes: true })) {
  if (SKIPPED.has(entry.name)) continue;
  if (entry.isDirectory() && TRANSPILED.has(entry.name)) mirror(join(repo, entry.name));
  else symlinkSync(join(repo, entry.name), join(out, entry.name));
}
await Promise.all(jobs);
