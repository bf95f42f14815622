/**
 * Whether a file may make faultline act: a journal whose records `recover` runs, a failpoint file whose terms
 * switch failpoints on. Anyone who can write such a file can make this process run their command or signal
 * their pid, so it is trusted only when it and its directory are owned by this process's user or root and
 * writable by nobody else (the rule sshd applies to authorized_keys).
 */
import { lstatSync, type Stats, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { FaultlineError } from '../core/errors.js';

/** Refusal of an untrusted file: `FAULTLINE_UNTRUSTED_FILE`, naming the path and the reason. */
export class UntrustedFileError extends FaultlineError {
  readonly path: string;
  readonly reason: string;
  constructor(path: string, what: string, reason: string) {
    super('FAULTLINE_UNTRUSTED_FILE', `refusing ${what} ${path}: ${reason}`);
    this.name = 'UntrustedFileError';
    this.path = path;
    this.reason = reason;
  }
}

export interface TrustOptions {
  /** What the file is, for messages: e.g. `journal`, `failpoint file`. */
  what: string;
  /** The user allowed besides root (default: this process's effective uid). */
  uid?: number;
}

function currentUid(): number | undefined {
  return typeof process.geteuid === 'function' ? process.geteuid() : undefined;
}

/** Why `st` is not trustworthy, or undefined when it is. */
function distrust(st: Stats, uid: number | undefined): string | undefined {
  if (uid !== undefined && st.uid !== uid && st.uid !== 0) {
    return `owned by uid ${st.uid}, not by uid ${uid} or root`;
  }
  if ((st.mode & 0o022) !== 0) {
    return `writable by ${(st.mode & 0o020) !== 0 ? 'its group' : 'others'} (mode ${(st.mode & 0o777).toString(8).padStart(3, '0')})`;
  }
  return undefined;
}

/**
 * Throws `UntrustedFileError` unless `path` is a regular file (not a symlink) and it and its directory pass
 * the ownership and permission rule. A directory that is world-writable with the sticky bit (like /tmp) is
 * accepted, as only the file's owner can replace the file there. Returns the file's stats.
 */
export function assertTrustedFile(path: string, options: TrustOptions): Stats {
  const uid = options.uid ?? currentUid();
  const abs = resolve(path);
  let st: Stats;
  try {
    st = lstatSync(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UntrustedFileError(
      path,
      options.what,
      code === 'ENOENT' ? 'no such file' : `cannot read it (${code})`,
    );
  }
  if (st.isSymbolicLink()) throw new UntrustedFileError(path, options.what, 'it is a symbolic link');
  if (!st.isFile()) throw new UntrustedFileError(path, options.what, 'not a regular file');
  const fileReason = distrust(st, uid);
  if (fileReason !== undefined) throw new UntrustedFileError(path, options.what, fileReason);
  const dir = dirname(abs);
  const dst = statSync(dir);
  const sticky = (dst.mode & 0o1000) !== 0;
  const dirReason = distrust(dst, uid);
  if (dirReason !== undefined && !(sticky && dirReason.startsWith('writable'))) {
    throw new UntrustedFileError(path, options.what, `its directory ${dir} is ${dirReason}`);
  }
  return st;
}
