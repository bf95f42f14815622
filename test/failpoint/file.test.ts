/**
 * FAULTLINE_FAILPOINTS_FILE, in real child processes (test/fixtures/failpoint/serve.ts): `name=term` lines
 * applied at start, followed while the process runs, picked up by processes started later — and refused, with
 * nothing switched on, when someone other than the owner could have written the file or its directory.
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { type Fixture, jsonLine, startFixture } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'faultline-fp-file-'));
let dirs = 0;
const children: Fixture[] = [];
/** Generous: the file is seen through fs.watch, or the 1 s re-stat where watching does not work. */
const SEEN_MS = 30_000;

afterEach(() => {
  for (const c of children.splice(0)) c.kill();
});
after(() => rmSync(root, { recursive: true, force: true }));

/** A fresh directory (mode 0700) with a failpoint file (mode 0600) holding `text`. */
function failpointFile(text: string): { dir: string; path: string } {
  const dir = join(root, `d${++dirs}`);
  mkdirSync(dir, { mode: 0o700 });
  const path = join(dir, 'failpoints');
  write(path, text);
  return { dir, path };
}

function write(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

async function start(path: string, env: Record<string, string> = {}): Promise<Fixture> {
  const child = startFixture('serve', { FAULTLINE_FAILPOINTS_FILE: path, ...env });
  children.push(child);
  await jsonLine(child, 'ready');
  return child;
}

let tags = 0;
/** What `await failpoint(name)` did in the child: its value, or `error:<message>`. */
async function hit(child: Fixture, name: string): Promise<unknown> {
  const tag = `t${++tags}`;
  child.send(`hit ${name} ${tag}`);
  const line = await child.line((l) => l.includes(`"tag":"${tag}"`));
  const out = JSON.parse(line) as { value?: unknown; error?: string };
  return out.error !== undefined ? `error:${out.error}` : out.value;
}

const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('FAULTLINE_FAILPOINTS_FILE', () => {
  test('applied at start; a running process follows changes; a process started later reads the file as it is now', async () => {
    const { path } = failpointFile('# wrenches\nfile.a=return("one")\nfile.b=1*throw("b")\n');
    const child = await start(path);
    assert.equal(await hit(child, 'file.a'), 'one');
    assert.equal(await hit(child, 'file.b'), 'error:b');
    assert.match(child.stderr(), /failpoint file .*: set file\.a=return\("one"\), file\.b=1\*throw\("b"\)/);

    // rewritten in place: the changed line is set again, the unchanged one keeps its count (1*throw is used up)
    write(path, 'file.a=return("two")\nfile.b=1*throw("b")\n');
    await child.stderrMatch(/failpoint file .*: set file\.a=return\("two"\)\n/, SEEN_MS);
    assert.equal(await hit(child, 'file.a'), 'two');
    assert.equal(await hit(child, 'file.b'), null);

    // replaced by a rename, as editors save: a line taken out unsets its failpoint
    write(`${path}.new`, 'file.b=return("b2")\n');
    renameSync(`${path}.new`, path);
    await child.stderrMatch(/set file\.b=return\("b2"\); unset file\.a/, SEEN_MS);
    assert.equal(await hit(child, 'file.a'), null);
    assert.equal(await hit(child, 'file.b'), 'b2');

    const later = await start(path);
    assert.equal(await hit(later, 'file.a'), null);
    assert.equal(await hit(later, 'file.b'), 'b2');
  });

  test('a bad line is reported with its line number and skipped; the good lines apply', async () => {
    const { path } = failpointFile('ok.one=return(1)\nnot a line\nbad.term=50%x\n');
    const child = await start(path);
    assert.equal(await hit(child, 'ok.one'), 1);
    assert.equal(await hit(child, 'bad.term'), null);
    assert.match(child.stderr(), new RegExp(`${literal(path)}:2: expected name=term`));
    assert.match(child.stderr(), new RegExp(`${literal(path)}:3:\\d+: bad failpoint term for bad\\.term`));
  });

  test('a file writable by others (chmod 0666) is refused with the reason, and sets nothing', async () => {
    const { path } = failpointFile('trust.a=return("dropped in")\n');
    chmodSync(path, 0o666);
    const child = await start(path);
    assert.match(
      child.stderr(),
      new RegExp(
        `refusing failpoint file ${literal(path)}: writable by (its group|others) \\(mode 666\\); no failpoints are set from it`,
      ),
    );
    assert.equal(await hit(child, 'trust.a'), null);
  });

  test('a file in a group-writable directory is refused, and sets nothing', async () => {
    const { dir, path } = failpointFile('trust.b=return("dropped in")\n');
    chmodSync(dir, 0o770);
    const child = await start(path);
    assert.match(
      child.stderr(),
      new RegExp(
        `refusing failpoint file ${literal(path)}: its directory ${literal(dir)} is writable by its group \\(mode 770\\); no failpoints are set from it`,
      ),
    );
    assert.equal(await hit(child, 'trust.b'), null);
  });

  test('a file owned by another user is refused, and sets nothing', {
    skip: process.getuid?.() !== 0 && 'chown to another user needs root',
  }, async () => {
    const { path } = failpointFile('trust.c=return("dropped in")\n');
    chownSync(path, 4242, 4242);
    const child = await start(path);
    assert.match(
      child.stderr(),
      new RegExp(
        `refusing failpoint file ${literal(path)}: owned by uid 4242, not by uid \\d+ or root; no failpoints are set from it`,
      ),
    );
    assert.equal(await hit(child, 'trust.c'), null);
  });

  test('a file that becomes writable by others while the process runs: what it set is unset', async () => {
    const { path } = failpointFile('trust.d=return("set")\n');
    const child = await start(path);
    assert.equal(await hit(child, 'trust.d'), 'set');
    chmodSync(path, 0o666);
    await child.stderrMatch(
      /writable by (its group|others) \(mode 666\); no failpoints are set from it \(unset trust\.d\)/,
      SEEN_MS,
    );
    assert.equal(await hit(child, 'trust.d'), null);
  });

  test('a file that appears after start is read then; production and FAULTLINE_FAILPOINTS_OFF refuse it', async () => {
    const { path } = failpointFile('');
    rmSync(path);
    const child = await start(path);
    assert.match(child.stderr(), /no such file yet; it is read when it appears/);
    write(path, 'late.a=return("late")\n');
    await child.stderrMatch(/set late\.a=return\("late"\)/, SEEN_MS);
    assert.equal(await hit(child, 'late.a'), 'late');

    const [prod, off] = await Promise.all([
      start(path, { NODE_ENV: ' Production' }),
      start(path, { FAULTLINE_FAILPOINTS_OFF: 'yes' }),
    ]);
    assert.match(
      prod.stderr(),
      /refusing to read FAULTLINE_FAILPOINTS_FILE: NODE_ENV=" Production"; set FAULTLINE_ALLOW_PRODUCTION=1/,
    );
    assert.match(
      off.stderr(),
      /ignoring FAULTLINE_FAILPOINTS_FILE: FAULTLINE_FAILPOINTS_OFF=yes disables failpoints/,
    );
    assert.equal(await hit(prod, 'late.a'), null);
    assert.equal(await hit(off, 'late.a'), null);
  });
});
