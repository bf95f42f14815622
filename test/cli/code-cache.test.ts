/**
 * The built CLI (scripts/bundle-cli.mjs): one CommonJS bundle started by dist/cli/bin.js from the V8 code cache
 * written with it. The cache is used when it can be, refused when anyone but the user or root could have
 * written it (it becomes code), survives V8 rejecting it, and a run-time import() works from cached code.
 * Runs against dist/, which scripts/test.sh builds first.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const built = join(repo, 'dist/cli');
let pkg: string;

/** Runs the copy's bin.js with the cache's account of itself on stderr. */
function start(...args: string[]) {
  const r = spawnSync(process.execPath, [join(pkg, 'dist/cli/bin.js'), ...args], {
    cwd: repo,
    env: { ...process.env, FAULTLINE_CODE_CACHE_DEBUG: '1' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(() => {
  assert.ok(existsSync(join(built, 'faultline.cjs.cache')), 'dist/ is not built: npm run build');
  // a copy of the package's layout, so that the cache can be tampered with here
  pkg = mkdtempSync(join(tmpdir(), 'faultline-code-cache-'));
  mkdirSync(join(pkg, 'dist/cli'), { recursive: true });
  for (const f of ['bin.js', 'faultline.cjs', 'faultline.cjs.cache'])
    copyFileSync(join(built, f), join(pkg, 'dist/cli', f));
  copyFileSync(join(repo, 'package.json'), join(pkg, 'package.json'));
  symlinkSync(join(repo, 'node_modules'), join(pkg, 'node_modules'));
});

after(() => {
  if (pkg) rmSync(pkg, { recursive: true, force: true });
});

describe('the bundled CLI and its code cache', () => {
  it('starts from the cache written with it', () => {
    const r = start('--version');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\d+\.\d+\.\d+/);
    assert.equal(r.stderr, 'faultline: code cache used\n');
  });

  it('imports a TypeScript scenario at run time from cached code (explore)', () => {
    const r = start('explore', 'test/fixtures/explore/scenarios.ts', '--scenario', 'robust', '--runs', '2');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /robust: 2 runs passed/);
    assert.match(r.stderr, /^faultline: code cache used$/m);
  });

  it('refuses a cache that others could have written, and still runs', () => {
    const cache = join(pkg, 'dist/cli/faultline.cjs.cache');
    chmodSync(cache, 0o666);
    try {
      const r = start('--version');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(
        r.stderr,
        'faultline: code cache not trusted: not a file of yours or root, or writable by others\n',
      );
    } finally {
      chmodSync(cache, 0o644);
    }
  });

  it('compiles as usual when V8 rejects the cache, or there is none', () => {
    const cache = join(pkg, 'dist/cli/faultline.cjs.cache');
    writeFileSync(cache, Buffer.alloc(4096, 7), { mode: 0o644 });
    let r = start('--version');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, 'faultline: code cache rejected by V8 (another Node, V8 or flags)\n');
    rmSync(cache);
    r = start('validate', 'examples/experiments/slow-store.yaml');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, 'faultline: code cache absent\n');
  });
});
