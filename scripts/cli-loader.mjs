#!/usr/bin/env node
// faultline's command: starts the bundled CLI beside it (faultline.cjs, scripts/bundle-cli.mjs) from the V8 code
// cache written with it, so a start compiles next to nothing; a cache from another Node or V8 is rejected by V8
// and the bundle is compiled as usual. The bundle sees this file's import.meta (its URL places the package's
// other files, as the unbundled dist/cli/bin.js would).
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const bundle = fileURLToPath(new URL('./faultline.cjs', import.meta.url));
const cacheFile = `${bundle}.cache`;

// FAULTLINE_CODE_CACHE_DEBUG=1 says on stderr whether the cache was used, and if not why
const debug = process.env.FAULTLINE_CODE_CACHE_DEBUG === '1';
function say(what) {
  if (debug) process.stderr.write(`faultline: code cache ${what}\n`);
}

/** The cache, unless someone other than the user or root owns it or could have written it: it becomes code. */
function trustedCache() {
  let st;
  try {
    st = statSync(cacheFile);
  } catch {
    say('absent');
    return undefined;
  }
  const owner = st.uid === 0 || st.uid === process.getuid?.();
  if (!st.isFile() || !owner || (st.mode & 0o022) !== 0) {
    say('not trusted: not a file of yours or root, or writable by others');
    return undefined;
  }
  return readFileSync(cacheFile);
}

const cachedData = trustedCache();
const script = new vm.Script(
  `(function (exports, require, module, __filename, __dirname, __faultlineImportMeta) {${readFileSync(bundle, 'utf8')}\n})`,
  { filename: bundle, cachedData },
);
if (cachedData) say(script.cachedDataRejected ? 'rejected by V8 (another Node, V8 or flags)' : 'used');
// scripts/bundle-cli.mjs runs the CLI once with this set, after it has compiled what a start runs
if (process.env.FAULTLINE_WRITE_CODE_CACHE === '1')
  process.once('exit', () => {
    try {
      writeFileSync(cacheFile, script.createCachedData(), { mode: 0o644 });
    } catch (err) {
      process.stderr.write(`faultline: cannot write the code cache: ${err.message}\n`);
    }
  });
// src/deps/import-module.ts: an import() restored from the cache has no callback on Node 20, this module's has
const meta = {
  url: import.meta.url,
  resolve: import.meta.resolve,
  filename: fileURLToPath(import.meta.url),
  dirname: dirname(fileURLToPath(import.meta.url)),
  importModule: (specifier) => import(specifier),
};
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dirname(bundle), meta);
