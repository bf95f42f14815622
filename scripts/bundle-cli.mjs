// Replaces tsc's dist/cli/bin.js (a ten-line module that imports main.js, which imports ~300 more) with one
// bundled file, dist/cli/faultline.cjs, and a loader in bin.js's place (scripts/cli-loader.mjs) that compiles it
// from a V8 code cache written here. Node 20 resolves, reads and compiles every ES module separately: the bundle
// starts in about half the CPU time, the cache takes a further fifth off, which counts wherever faultline is
// started many times (`{{faultline}}` targets, suites, `recover` after each crash). Dependencies are bundled too,
// except the ones loaded only on demand through src/deps/lazy.ts or src/deps/import-module.ts (tsx for
// TypeScript scenarios; ssh2 and its optional native part). dist/ keeps every module tsc wrote, for the library
// entry points. Usage: node scripts/bundle-cli.mjs
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(repo, 'dist/cli/bin.js');
const bundle = join(repo, 'dist/cli/faultline.cjs');

/**
 * zod exports every locale it has (`z.locales`, about 400 KB); faultline's messages are its own and zod's default
 * English needs none of them (classic/schemas.js imports locales/en.js itself). Parsing them costs every start.
 */
const withoutZodLocales = {
  name: 'without-zod-locales',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]/.test(args.importer)
        ? { path: 'zod-locales', namespace: 'without-zod-locales' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'without-zod-locales' }, () => ({
      contents: 'export {};',
      loader: 'js',
    }));
  },
};

// CommonJS, so that scripts/cli-loader.mjs can compile it as one vm.Script with a code cache (Node 20 has none
// for ES modules); import.meta is the loader's, passed in.
await build({
  entryPoints: [join(repo, 'src/cli/bin.ts')],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['tsx', 'esbuild', 'ssh2', 'cpu-features'],
  define: { 'import.meta': '__faultlineImportMeta' },
  plugins: [withoutZodLocales],
  legalComments: 'none',
  logLevel: 'warning',
});
// bin.ts's #! line: the bundle is a function body inside the loader, not a file node runs
writeFileSync(bundle, readFileSync(bundle, 'utf8').replace(/^#!.*\n/, ''));
// tsc's bin.js and its map described the ten-line module; the loader takes its place
rmSync(`${bin}.map`, { force: true });
copyFileSync(join(repo, 'scripts/cli-loader.mjs'), bin);
chmodSync(bin, 0o755);
// the code cache: compiled while `--version` loads every command, written when it exits
rmSync(`${bundle}.cache`, { force: true });
execFileSync(process.execPath, [bin, '--version'], {
  env: { ...process.env, FAULTLINE_WRITE_CODE_CACHE: '1' },
  stdio: 'ignore',
});
