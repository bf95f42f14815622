import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { assertTrustedFile, UntrustedFileError } from '../../src/control/trusted-file.js';

const root = mkdtempSync(join(tmpdir(), 'faultline-trust-'));
after(() => rmSync(root, { recursive: true, force: true }));

function fresh(name: string, mode = 0o600): string {
  const dir = join(root, name);
  mkdirSync(dir, { mode: 0o700 });
  const file = join(dir, 'f');
  writeFileSync(file, 'x', { mode });
  chmodSync(file, mode);
  return file;
}

test('a file owned by this user, mode 0600, in a private directory is trusted', () => {
  assert.ok(assertTrustedFile(fresh('ok'), { what: 'journal' }).isFile());
});

test('a group- or world-writable file is refused, naming the mode', () => {
  for (const mode of [0o620, 0o602, 0o666]) {
    const file = fresh(`w${mode.toString(8)}`, mode);
    assert.throws(
      () => assertTrustedFile(file, { what: 'journal' }),
      (err: unknown) => {
        assert.ok(err instanceof UntrustedFileError);
        assert.equal(err.code, 'FAULTLINE_UNTRUSTED_FILE');
        assert.match(err.message, /refusing journal .*writable by (its group|others) \(mode \d{3}\)/);
        return true;
      },
    );
  }
});

test('a file owned by another user is refused; by root it is accepted', () => {
  const file = fresh('other');
  const me = process.geteuid!();
  if (me === 0) {
    chownSync(file, 12345, 12345);
    assert.throws(
      () => assertTrustedFile(file, { what: 'failpoint file' }),
      /owned by uid 12345, not by uid 0 or root/,
    );
  } else {
    // Not root: pretend to be another user; root-owned files stay trusted.
    assert.throws(() => assertTrustedFile(file, { what: 'failpoint file', uid: me + 1 }), /owned by uid/);
  }
});

test('a writable directory without the sticky bit is refused; /tmp-like sticky directories are fine', () => {
  const file = fresh('dir');
  chmodSync(join(root, 'dir'), 0o777);
  assert.throws(
    () => assertTrustedFile(file, { what: 'journal' }),
    /its directory .* is writable by its group/,
  );
  chmodSync(join(root, 'dir'), 0o1777);
  assert.ok(assertTrustedFile(file, { what: 'journal' }));
});

test('symlinks, FIFOs-or-directories and missing files are refused', () => {
  const file = fresh('link');
  const link = join(root, 'link', 'l');
  symlinkSync(file, link);
  assert.throws(() => assertTrustedFile(link, { what: 'journal' }), /symbolic link/);
  assert.throws(() => assertTrustedFile(join(root, 'link'), { what: 'journal' }), /not a regular file/);
  assert.throws(() => assertTrustedFile(join(root, 'nope'), { what: 'journal' }), /no such file/);
});
