/**
 * Failpoints switched on from a file, as juju's "wrench" files did: FAULTLINE_FAILPOINTS_FILE=path names a file
 * of `name=term` lines that this process applies when faultline loads and again whenever the file changes, so
 * processes that start later pick it up and running ones follow edits.
 *
 * The file is the wanted state of the failpoints it names: a new or changed line sets that term, a line taken
 * out (or the file removed) unsets the failpoint — unless something else has set another term on it since. A
 * line that did not change is left alone, so its hit and fire counts go on.
 *
 * Anyone who can write the file can switch failpoints on, so it is read only when it and its directory are
 * owned by this process's user or root and writable by nobody else (src/control/trusted-file.ts). A refused
 * file sets nothing, unsets what it had set, and says why on stderr. Changes are seen through fs.watch on the
 * directory (an editor that saves by renaming replaces the file) with a periodic re-stat behind it, for file
 * systems where watching does not work. Neither keeps the process alive.
 */
import { type FSWatcher, readFileSync, statSync, watch } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { assertTrustedFile, UntrustedFileError } from '../control/trusted-file.js';
import type { FaultlineError } from '../core/errors.js';
import { FailpointParseError } from './errors.js';
import { type FailpointSpec, isValidFailpointName, parseFailpointTerm } from './grammar.js';
import { failpoints } from './registry.js';
import { ALLOW_HINT, productionRefusal } from './switches.js';

export interface FailpointFileOptions {
  /** Receives each line for stderr (default: write it to stderr). */
  log?: (line: string) => void;
  /** How often the file is re-stat'ed besides watching it, in ms (default 1,000). */
  pollMs?: number;
}

/** A failpoint file being followed. */
export interface FailpointFileWatcher {
  readonly path: string;
  /** Re-reads the file now if it changed (what a watch event or the poll does). */
  check(): void;
  /** Stops following the file; what it set stays set. */
  close(): void;
}

/** Waits this long after a watch event for the writes around it to finish before reading. */
const SETTLE_MS = 20;
const DEFAULT_POLL_MS = 1000;

interface Line {
  name: string;
  spec: FailpointSpec;
}

/** The state of the file and its directory that, when it changes, calls for another look. */
function signature(path: string): string {
  let dir = '';
  try {
    const d = statSync(dirname(path));
    dir = `${d.uid}:${d.mode}`;
  } catch {
    dir = 'no directory';
  }
  try {
    const st = statSync(path, { bigint: true });
    return `${dir}|${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.mode}:${st.uid}`;
  } catch {
    return `${dir}|missing`;
  }
}

/**
 * Parses the file's text: `name=term` per line; blank lines and lines starting with `#` are skipped. A bad line
 * is reported as `path:line[:column]` and skipped; its name, when it has a valid one, is returned in `kept` so
 * that failpoint keeps whatever it had.
 */
export function parseFailpointFile(
  text: string,
  path: string,
): { lines: Line[]; kept: Set<string>; problems: string[] } {
  const lines: Line[] = [];
  const kept = new Set<string>();
  const problems: string[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const where = `${path}:${i + 1}`;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const eq = raw.indexOf('=');
    if (eq < 0) {
      problems.push(`${where}: expected name=term, found ${JSON.stringify(line)}; line ignored`);
      return;
    }
    const name = raw.slice(0, eq).trim();
    if (!isValidFailpointName(name)) {
      problems.push(
        `${where}: ${JSON.stringify(name)} is not a failpoint name (1 to 256 of A-Z a-z 0-9 _ . : / @ $ -); line ignored`,
      );
      return;
    }
    if (seen.has(name)) {
      problems.push(`${where}: ${name} is already set on an earlier line; line ignored`);
      return;
    }
    seen.add(name);
    try {
      lines.push({ name, spec: parseFailpointTerm(raw.slice(eq + 1)) });
    } catch (err) {
      if (!(err instanceof FailpointParseError)) throw err;
      kept.add(name);
      problems.push(
        `${where}:${eq + 1 + err.column}: bad failpoint term for ${name}: expected ${err.expected}, found ${err.found}; line ignored, ${name} keeps its term`,
      );
    }
  });
  return { lines, kept, problems };
}

/** Applies `path` now and follows it. Never throws: every problem is a line for `log`. */
export function watchFailpointFile(path: string, options: FailpointFileOptions = {}): FailpointFileWatcher {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const abs = resolve(path);
  /** What the file has set, by name: the term text, to tell whether something else changed it since. */
  const applied = new Map<string, string>();
  let last: string | undefined;
  let lastRefusal: string | undefined;
  let closed = false;
  let started = false;

  /** Says `line` once for as long as the same refusal lasts. */
  const refuse = (line: string): void => {
    if (line !== lastRefusal) log(line);
    lastRefusal = line;
  };

  /** Unsets what the file set and nothing else has changed since; returns the names. */
  const unsetApplied = (names: Iterable<string>): string[] => {
    const out: string[] = [];
    for (const name of [...names]) {
      const term = applied.get(name);
      applied.delete(name);
      if (term !== undefined && failpoints.get(name)?.term === term) {
        failpoints.unset(name);
        out.push(name);
      }
    }
    return out;
  };

  const check = (): void => {
    if (closed) return;
    const sig = signature(abs);
    if (sig === last) return;
    const first = !started;
    started = true;
    last = sig;

    if (sig.endsWith('|missing')) {
      const gone = unsetApplied(applied.keys());
      if (first) refuse(`faultline: failpoint file ${path}: no such file yet; it is read when it appears`);
      else if (gone.length > 0) log(`faultline: failpoint file ${path} is gone: unset ${gone.join(', ')}`);
      return;
    }
    try {
      assertTrustedFile(abs, { what: 'failpoint file' });
    } catch (err) {
      if (!(err instanceof UntrustedFileError)) throw err;
      const gone = unsetApplied(applied.keys());
      refuse(
        `faultline: ${err.message.replace(abs, path)}; no failpoints are set from it${gone.length > 0 ? ` (unset ${gone.join(', ')})` : ''}`,
      );
      return;
    }
    const disabled = failpoints.disabled();
    const production = productionRefusal();
    if (disabled !== false || production !== undefined) {
      last = undefined; // look again at the next poll: failpoints may be enabled by then
      refuse(
        `faultline: not applying failpoint file ${path}: ${disabled !== false ? `failpoints are disabled (${disabled})` : `${production}; ${ALLOW_HINT}`}`,
      );
      return;
    }
    let text: string;
    try {
      text = readFileSync(abs, 'utf8');
    } catch (err) {
      refuse(`faultline: cannot read failpoint file ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`);
      return;
    }
    lastRefusal = undefined;
    const { lines, kept, problems } = parseFailpointFile(text, path);
    for (const p of problems) log(`faultline: ${p}`);
    const set: string[] = [];
    for (const { name, spec } of lines) {
      if (applied.get(name) === spec.text) continue;
      try {
        failpoints.set(name, spec, { allowUnknown: true });
        applied.set(name, spec.text);
        set.push(`${name}=${spec.text}`);
      } catch (err) {
        log(`faultline: failpoint file ${path}: ${name} not set: ${(err as FaultlineError).message}`);
      }
    }
    const wanted = new Set([...lines.map((l) => l.name), ...kept]);
    const unset = unsetApplied([...applied.keys()].filter((name) => !wanted.has(name)));
    if (set.length > 0 || unset.length > 0) {
      const parts = [];
      if (set.length > 0) parts.push(`set ${set.join(', ')}`);
      if (unset.length > 0) parts.push(`unset ${unset.join(', ')}`);
      log(`faultline: failpoint file ${path}: ${parts.join('; ')}`);
    }
  };

  check();

  let settle: NodeJS.Timeout | undefined;
  const soon = (): void => {
    clearTimeout(settle);
    settle = setTimeout(check, SETTLE_MS);
    settle.unref();
  };
  let watcher: FSWatcher | undefined;
  try {
    const name = basename(abs);
    watcher = watch(dirname(abs), { persistent: false }, (_event, filename) => {
      if (filename === null || String(filename) === name) soon();
    });
    watcher.on('error', () => {
      watcher?.close();
      watcher = undefined;
    });
  } catch {
    // no watching here (no directory yet, no inotify): the poll below still sees changes
  }
  const poll = setInterval(check, options.pollMs ?? DEFAULT_POLL_MS);
  poll.unref();

  return {
    path,
    check,
    close() {
      closed = true;
      clearInterval(poll);
      clearTimeout(settle);
      watcher?.close();
    },
  };
}
