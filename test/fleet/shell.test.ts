/**
 * RemoteShell against a real `sh` on this machine (the stream an SSH session would carry is the child's stdio):
 * output framing, exit statuses, commands that would disturb a shared shell, quoting, aborts and a shell that
 * will not start.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { Duplex } from 'node:stream';
import { after, describe, it } from 'node:test';
import { shellQuote } from '../../src/fleet/command-output.js';
import {
  RemoteShell,
  runnerOf,
  type SessionStream,
  ShellClosedError,
  ShellUnavailableError,
} from '../../src/fleet/shell.js';

const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
});

/** A local process as a session stream: writes go to its stdin, reads come from its stdout, stderr beside. */
function session(argv: string[]): SessionStream {
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  child.stdin.on('error', () => {}); // EPIPE once the process is gone: the end shows as 'close'
  const stream = new Duplex({
    read() {
      child.stdout.resume();
    },
    write(chunk, _enc, done) {
      // like a channel the server closed: what is written after the end is dropped, and 'close' tells the end
      child.stdin.write(chunk, () => done());
    },
    final(done) {
      child.stdin.end();
      done();
    },
    destroy(_err, done) {
      child.kill('SIGKILL');
      done(null);
    },
  });
  child.stdout.on('data', (d: Buffer) => stream.push(d));
  child.on('close', () => {
    stream.push(null);
    stream.destroy();
  });
  return Object.assign(stream, { stderr: child.stderr });
}

const never = new AbortController().signal;
const start = (argv = ['sh']) => RemoteShell.start(session(argv), false, never);

describe('RemoteShell on a real sh', () => {
  it('frames stdout, stderr and the exit status, with or without a trailing newline', async () => {
    const shell = await start();
    assert.deepEqual(await shell.run("printf 'a\\nb'; echo oops >&2; exit 3", never), {
      stdout: 'a\nb',
      stderr: 'oops\n',
      status: 3,
      signal: null,
    });
    assert.deepEqual(await shell.run('echo one', never), {
      stdout: 'one\n',
      stderr: '',
      status: 0,
      signal: null,
    });
    shell.close();
  });

  it('runs 200 commands in a row in one shell, each answered in order', async () => {
    const shell = await start();
    for (let i = 0; i < 200; i++) assert.equal((await shell.run(`echo ${i}`, never)).stdout, `${i}\n`);
    shell.close();
  });

  it('keeps each command to itself: exit, cd, variables, set -e and stdin do not reach the next', async () => {
    const shell = await start();
    assert.equal((await shell.run('exit 4', never)).status, 4);
    assert.equal((await shell.run("sh -c 'exit 5'", never)).status, 5);
    assert.equal((await shell.run("sh -c 'set -e; cd /; x=1; false; echo not'", never)).status, 1);
    const here = (await shell.run('pwd', never)).stdout;
    assert.equal((await shell.run('sh -c \'echo "[$x]"; pwd\'', never)).stdout, `[]\n${here}`);
    // a command reading stdin gets /dev/null, not the commands that follow it
    assert.deepEqual(await shell.run('cat', never), { stdout: '', stderr: '', status: 0, signal: null });
    assert.equal((await shell.run('echo still here', never)).stdout, 'still here\n');
    assert.equal(shell.usable, true);
    shell.close();
  });

  it('passes quotes, newlines and markers-like text through untouched', async () => {
    const shell = await start();
    const text = `it's "quoted" $HOME \`x\` \\ and\nnewline __faultline_x_1 0`;
    const r = await shell.run(`printf '%s' ${`'${text.replace(/'/g, `'\\''`)}'`}`, never);
    assert.equal(r.stdout, text);
    assert.equal((await shell.run(`sh -c ${shellQuote(`printf '%s|' "a b" c`)}`, never)).stdout, 'a b|c|');
    shell.close();
  });

  it('chooses how each command runs: plain words and sh -c scripts in a subshell, the rest by the login shell', () => {
    assert.equal(runnerOf('iptables -w -S', false), '(iptables -w -S)');
    assert.equal(runnerOf("sh -c 'a; b'", false), "(eval 'a; b')");
    assert.equal(runnerOf("sh -c 'it'\\''s'", false), "(eval 'it'\\''s')");
    assert.equal(runnerOf('echo $HOME', false), `"$\{SHELL:-sh}" -c 'echo $HOME'`);
    assert.equal(runnerOf('echo $HOME', true), `sh -c 'echo $HOME'`);
    // not one quoted word: the login shell reads it
    assert.equal(runnerOf("sh -c 'a' 'b'", false), `"$\{SHELL:-sh}" -c 'sh -c '\\''a'\\'' '\\''b'\\'''`);
  });

  it('an abort closes the shell and rejects with its reason', async () => {
    const shell = await start();
    const abort = new AbortController();
    const running = shell.run('sleep 5', abort.signal);
    setTimeout(() => abort.abort(new Error('too slow')), 50);
    await assert.rejects(running, /too slow/);
    assert.equal(shell.usable, false);
    await assert.rejects(shell.run('true', never), ShellClosedError);
  });

  it('a shell whose channel closes mid-command rejects with ShellClosedError', async () => {
    const shell = await start();
    await assert.rejects(shell.run('kill -9 $PPID; sleep 1', never), ShellClosedError);
    assert.equal(shell.usable, false);
  });

  it('a shell that never starts is ShellUnavailableError, with what it said', async () => {
    await assert.rejects(
      start(['sh', '-c', 'echo "sudo: a password is required" >&2; exit 1']),
      (err: unknown) => err instanceof ShellUnavailableError && /a password is required/.test(err.message),
    );
  });
});
