/**
 * A long-lived POSIX `sh` on a host that runs the pool's commands one at a time. Opening an SSH session costs
 * the server a fork, a login shell and the session's setup — about 45 ms of the 65 ms a command took on the test
 * bed — while a line written to a shell already running answers in a few milliseconds. Each command still runs
 * as the login shell would run it (`"$SHELL" -c COMMAND`, or `sh -c` as root for `become` hosts), with stdin
 * from /dev/null so it cannot read the commands after it; a random marker printed after it on stdout (with its
 * exit status) and on stderr ends its output. Commands every shell parses alike (a `sh -c '…'` script, plain
 * words) are run by the shell itself, sparing a login shell and a new program (see runnerOf).
 */
import { randomBytes } from 'node:crypto';
import type { Duplex, Readable } from 'node:stream';
import { type CommandOutput, shellQuote } from './command-output.js';

/** A session channel running a command (`exec sh`): stdin is written, stdout read, `stderr` beside it. */
export interface SessionStream extends Duplex {
  readonly stderr: Readable;
}

/** The shell did not start (sudo asking for a password, no `sh`): commands go over sessions of their own. */
export class ShellUnavailableError extends Error {
  override readonly name = 'ShellUnavailableError';
}

/** The shell's channel closed before the command's marker came back: whether it finished is unknown. */
export class ShellClosedError extends Error {
  override readonly name = 'ShellClosedError';
}

/**
 * The last word of every faultline shell's command line (`sh -s faultline-shell`, `sudo -n -- sh -s
 * faultline-shell`): process selections on a host (a `match` pattern, a freeze's patterns) leave such processes
 * out, so a pattern as broad as `sh` never stops or kills the shell faultline reaches the host through. A
 * subshell running a command is a fork of the shell and carries the same command line; a program it starts
 * does not.
 */
export const SHELL_MARK = 'faultline-shell';

/** Shell function: `ownshell PID` succeeds when the process is one of faultline's shells (see {@link SHELL_MARK}). */
export const OWN_SHELL_FN = `ownshell() { case "$(tr '\\0' ' ' < /proc/$1/cmdline 2>/dev/null)" in *" -s ${SHELL_MARK} ") return 0;; esac; return 1; }`;

/** What the session runs: the shell itself (marked), as root through sudo for `become` hosts. */
export function shellCommand(become: boolean): string {
  return `exec ${become ? 'sudo -n -- ' : ''}sh -s ${SHELL_MARK}`;
}

/** A POSIX script in one single-quoted word, as `sh()` in faults/types.ts writes them. */
const SH_SCRIPT_RE = /^sh -c ('(?:[^']|'\\'')*')$/;

/** Plain words, with nothing a shell expands or quotes: every shell reads them alike. */
const PLAIN_RE = /^[\w./=:,@%+-]+(?: [\w./=:,@%+-]+)*$/;

/** The login shell, as sshd would run a command with it (its SHELL is the user's shell from passwd). */
const LOGIN_SHELL = '"$' + '{SHELL:-sh}"';

/**
 * How the shell runs a command: plain words, or a `sh -c` script through `eval`, in a subshell of its own (a
 * fork, no new program: the same POSIX sh reads it, and `exit`, `cd` or `set -e` end or change only the
 * subshell); anything else through the login shell as sshd would (`sh -c` for `become` hosts, as
 * `sudo -n -- sh -c` would).
 */
export function runnerOf(command: string, become: boolean): string {
  // in a subshell, so `exit`, `cd` or `exec` end or change only it
  if (PLAIN_RE.test(command)) return `(${command})`;
  const script = SH_SCRIPT_RE.exec(command);
  if (script) return `(eval ${script[1]})`;
  return `${become ? 'sh' : LOGIN_SHELL} -c ${shellQuote(command)}`;
}

interface Pending {
  mark: string;
  resolve(output: CommandOutput): void;
  reject(err: Error): void;
}

export class RemoteShell {
  readonly #stream: SessionStream;
  readonly #become: boolean;
  readonly #token = randomBytes(8).toString('hex');
  #seq = 0;
  #stdout = '';
  #stderr = '';
  /** How much of each buffer the marker was looked for in. */
  #outSeen = 0;
  #errSeen = 0;
  #pending: Pending | undefined;
  #closed = false;
  #why = '';

  private constructor(stream: SessionStream, become: boolean) {
    this.#stream = stream;
    this.#become = become;
    stream.setEncoding('utf8');
    stream.stderr.setEncoding('utf8');
    stream.on('data', (d: string) => {
      this.#stdout += d;
      this.#settle();
    });
    stream.stderr.on('data', (d: string) => {
      this.#stderr += d;
      this.#settle();
    });
    stream.on('error', (err: Error) => this.#end(err.message));
    stream.on('close', () => this.#end('the shell channel closed'));
  }

  /** Wraps a session running {@link shellCommand}; resolves once the shell answers. */
  static async start(stream: SessionStream, become: boolean, abort: AbortSignal): Promise<RemoteShell> {
    const shell = new RemoteShell(stream, become);
    try {
      await shell.#send('true', abort);
    } catch (err) {
      shell.close();
      if (abort.aborted) throw err;
      const said = shell.#stderr.trim().split('\n').slice(-2).join(' | ');
      throw new ShellUnavailableError(`${(err as Error).message}${said ? `: ${said}` : ''}`);
    }
    return shell;
  }

  /** Whether it can take another command. */
  get usable(): boolean {
    return !this.#closed && this.#pending === undefined;
  }

  /**
   * Runs one command. When `abort` fires the shell is closed (the command may run on: OpenSSH does not signal
   * a root session's processes) and the promise rejects with abort.reason.
   */
  run(command: string, abort: AbortSignal): Promise<CommandOutput> {
    return this.#send(runnerOf(command, this.#become), abort);
  }

  close(): void {
    if (this.#closed) return;
    this.#end('the shell was closed');
    this.#stream.end();
    this.#stream.destroy();
  }

  #send(line: string, abort: AbortSignal): Promise<CommandOutput> {
    if (abort.aborted) return Promise.reject(abort.reason);
    if (this.#closed) return Promise.reject(new ShellClosedError(this.#why));
    if (this.#pending) return Promise.reject(new Error('the shell is running another command'));
    const mark = `__faultline_${this.#token}_${++this.#seq}`;
    return new Promise<CommandOutput>((resolve, reject) => {
      const onAbort = () => {
        this.#pending = undefined;
        reject(abort.reason);
        this.close();
      };
      abort.addEventListener('abort', onAbort, { once: true });
      this.#pending = {
        mark,
        resolve: (o) => {
          abort.removeEventListener('abort', onAbort);
          resolve(o);
        },
        reject: (e) => {
          abort.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      this.#stream.write(`${line} </dev/null; printf '%s %d\\n' ${mark} "$?"; printf '%s\\n' ${mark} >&2\n`);
    });
  }

  /** Resolves the pending command once both markers are in. */
  #settle(): void {
    const p = this.#pending;
    if (!p) return;
    // each search starts near where the last one ended: linear however much a command prints
    const lead = p.mark.length + 8;
    const at = this.#stdout.indexOf(`${p.mark} `, Math.max(0, this.#outSeen - lead));
    this.#outSeen = this.#stdout.length;
    const status = at < 0 ? null : /^(\d+)\n/.exec(this.#stdout.slice(at + p.mark.length + 1));
    const err = this.#stderr.indexOf(`${p.mark}\n`, Math.max(0, this.#errSeen - lead));
    this.#errSeen = this.#stderr.length;
    if (at < 0 || !status || err < 0) return;
    const output: CommandOutput = {
      stdout: this.#stdout.slice(0, at),
      stderr: this.#stderr.slice(0, err),
      status: Number(status[1]),
      signal: null,
    };
    this.#stdout = this.#stdout.slice(at + p.mark.length + 1 + status[0].length);
    this.#stderr = this.#stderr.slice(err + p.mark.length + 1);
    this.#outSeen = 0;
    this.#errSeen = 0;
    this.#pending = undefined;
    p.resolve(output);
  }

  #end(why: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#why = why;
    const p = this.#pending;
    this.#pending = undefined;
    p?.reject(new ShellClosedError(why));
  }
}
