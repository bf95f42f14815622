// Replaces tsc's dist/cli/bin.js (a ten-line module that imports main.js, which imports ~300 more) with one
// bundled file. Node 20 resolves, reads and compiles every ES module separately: a bundled CLI starts in about
// two thirds of the CPU time, which counts wherever faultline is started many times (`{{faultline}}` targets,
// suites, `recover` after each crash). Dependencies are bundled too, except the ones loaded only on demand
// through src/deps/lazy.ts or a dynamic import (tsx for TypeScript scenarios; ssh2 and its optional native
// part). dist/ keeps every module tsc wrote, for the library entry points. Usage: node scripts/bundle-cli.mjs
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(repo, 'dist/cli/bin.js');

await build({
  entryPoints: [join(repo, 'src/cli/bin.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['tsx', 'esbuild', 'ssh2', 'cpu-features'],
  // bundled CommonJS dependencies call require(): give the ES module one
  banner: {
    js: "import { createRequire as __faultlineRequire } from 'node:module';\nconst require = __faultlineRequire(import.meta.url);",
  },
  legalComments: 'none',
  logLevel: 'warning',
});
// tsc's map described the ten-line file
rmSync(`${outfile}.map`, { force: true });
