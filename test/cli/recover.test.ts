/**
 * `faultline recover` acts only on journals this user's own, ended run wrote, says what each revert did in words,
 * `--dry-run` changes nothing, and run files left by killed runners are stale: `halt` ignores them (and says so)
 * and `recover` removes them. Real files, the real CLI in child processes, real processes to pause and stop.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isSameProcess, processStartTime } from '../../src/disruptors/proc.js';
import { openJournal } from '../../src/experiment/journal.js';
import { startChild, startSleeper, stopAll, waitForState } from '../disruptors/helpers.js';
import { tempDir } from '../experiment/engine-helpers.js';
import { cli, cliArgv } from '../helpers/cli.js';

after(async () => {
  await stopAll();
});

const line = (o: object) => `${JSON.stringify({ at: '2026-01-01T00:00:00.000Z', ...o })}\n`;

/** A journal as a killed run leaves it: a command revert pending and an owned process not stopped. */
function writeJournal(path: string, records: object[], mode = 0o600): void {
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o755 });
  chmodSync(join(path, '..'), 0o755);
  writeFileSync(path, records.map(line).join(''), { mode });
  chmodSync(path, mode);
}

function commandFault(marker: string): object {
  return {
    event: 'fault.applying',
    id: 'flag.1.api-0',
    disruptor: 'command',
    instance: 'api-0',
    fault: 'flag',
    revert: { type: 'command', command: `touch ${marker}`, timeoutMs: 10_000 },
  };
}

function ownedTarget(pid: number): object {
  return {
    event: 'target.started',
    id: 'target:sleeper-0:1',
    target: 'sleeper',
    instance: 'sleeper-0',
    pid,
    revert: {
      type: 'owned.stop',
      pid,
      startTime: processStartTime(pid) ?? null,
      signal: 'SIGTERM',
      timeoutMs: 5000,
      group: false,
    },
  };
}

/** The pid of a process that has exited. */
function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', () => resolve(child.pid as number));
  });
}

function withState(state: string): NodeJS.ProcessEnv {
  return { ...process.env, FAULTLINE_STATE_DIR: state };
}

function writeRunFile(state: string, run: Record<string, unknown>): string {
  mkdirSync(join(state, 'runs'), { recursive: true });
  const file = join(state, 'runs', `${run.pid}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ title: 'A run', startedAt: '2026-01-01T00:00:00.000Z', ...run })}\n`,
  );
  return file;
}

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line of error, got: ${stderr}`);
  return lines[0]!;
}

describe('faultline recover: which journals it acts on', () => {
  test('a journal others could have written is refused with one line, and nothing is done', async () => {
    const dir = tempDir('recover-trust');
    const marker = join(dir, 'ran');
    const sleeper = await startSleeper();
    const journal = join(dir, 'run', 'journal.ndjson');
    const env = withState(join(dir, 'state'));
    const cases: { prepare: () => void; reason: RegExp }[] = [
      { prepare: () => chmodSync(journal, 0o664), reason: /: writable by its group \(mode 664\)$/ },
      { prepare: () => chmodSync(journal, 0o606), reason: /: writable by others \(mode 606\)$/ },
      {
        prepare: () => chmodSync(join(dir, 'run'), 0o775),
        reason: /: its directory .*run is writable by its group \(mode 775\)$/,
      },
    ];
    if (process.geteuid?.() === 0) {
      // only root can give a file away; as another user the rule is covered by the trusted-file tests
      cases.push({
        prepare: () => chownSync(journal, 12345, 12345),
        reason: /: owned by uid 12345, not by uid 0 or root$/,
      });
    }
    for (const c of cases) {
      writeJournal(journal, [commandFault(marker), ownedTarget(sleeper.pid)]);
      c.prepare();
      const before = readFileSync(journal, 'utf8');
      // every way of naming the journal goes through the same check: all of them once, then the plain one
      const forms =
        c === cases[0]
          ? [
              ['recover', journal],
              ['recover', '--dry-run', journal],
              ['recover', '--results', dir],
            ]
          : [['recover', journal]];
      for (const args of forms) {
        const out = await cli(args, env);
        assert.equal(out.code, 2, `${args.join(' ')}: ${out.stdout}${out.stderr}`);
        const msg = oneLine(out.stderr);
        assert.ok(msg.startsWith(`faultline: refusing journal ${journal}: `), msg);
        assert.match(msg, c.reason);
        assert.equal(out.stdout, '');
      }
      assert.equal(existsSync(marker), false, 'the revert command did not run');
      assert.ok(isSameProcess(sleeper.pid), 'the process was not signalled');
      assert.equal(readFileSync(journal, 'utf8'), before, 'nothing was appended');
      chmodSync(join(dir, 'run'), 0o755);
    }
  });

  test('a journal whose records do not match the run registered for it is refused, and nothing is done', async () => {
    const dir = tempDir('recover-registered');
    const state = join(dir, 'state');
    const marker = join(dir, 'ran');
    const outDir = join(dir, 'run');
    const journal = join(outDir, 'journal.ndjson');
    const pid = await deadPid();
    const runFile = writeRunFile(state, { pid, startTime: 4242, runId: 'run-a', outDir });
    // another run's journal (or one written by hand) in the registered run's place
    writeJournal(journal, [
      { event: 'run.started', title: 'A run', seed: 1, pid, startTime: 4242, runId: 'run-b' },
      commandFault(marker),
    ]);
    const out = await cli(['recover', journal], withState(state));
    assert.equal(out.code, 2, out.stdout + out.stderr);
    assert.match(
      oneLine(out.stderr),
      /^faultline: refusing journal .*journal\.ndjson: its records \(first: run run-b, pid \d+, start time 4242\) do not match the run registered for it in .*runs\/\d+\.json \(run run-a, pid \d+, start time 4242\)$/,
    );
    assert.equal(existsSync(marker), false, 'the revert command did not run');
    assert.ok(existsSync(runFile), 'the run file stays for the next look');

    // the same journal, but the registered run's own first record: recovered
    writeJournal(journal, [
      { event: 'run.started', title: 'A run', seed: 1, pid, startTime: 4242, runId: 'run-a' },
      commandFault(marker),
    ]);
    const ok = await cli(['recover', journal], withState(state));
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, new RegExp(`^ran: touch ${marker}$`, 'm'));
    assert.ok(existsSync(marker));
    assert.match(ok.stdout, /^removed stale run file .*runs\/\d+\.json \(process \d+ is gone\)$/m);
    assert.equal(existsSync(runFile), false, 'recover removed the stale run file');
  });

  test('the journal of a run that is still running is refused', async () => {
    const dir = tempDir('recover-live');
    const state = join(dir, 'state');
    const marker = join(dir, 'ran');
    const outDir = join(dir, 'run');
    const journal = join(outDir, 'journal.ndjson');
    // this test process stands for the runner: a real, live process with its real start time
    const me = { pid: process.pid, startTime: processStartTime(process.pid) as number };
    writeRunFile(state, { ...me, runId: 'run-live', outDir, title: 'Live one' });
    writeJournal(journal, [
      { event: 'run.started', title: 'Live one', seed: 1, ...me, runId: 'run-live' },
      commandFault(marker),
    ]);
    const registered = await cli(['recover', journal], withState(state));
    assert.equal(registered.code, 2, registered.stdout + registered.stderr);
    assert.match(
      oneLine(registered.stderr),
      /refusing journal .*: the run writing it is still running \(pid \d+, Live one\); stop it with `faultline halt`$/,
    );
    // no run file (another state directory): the journal's own run.started still names a live runner
    const elsewhere = await cli(['recover', journal], withState(join(dir, 'other-state')));
    assert.equal(elsewhere.code, 2, elsewhere.stdout + elsewhere.stderr);
    assert.match(oneLine(elsewhere.stderr), /the run writing it is still running \(pid \d+\)/);
    assert.equal(existsSync(marker), false, 'the revert command did not run');
  });
});

describe('faultline recover: what it says and does', () => {
  test('--dry-run lists each revert in words and changes nothing; recover then does it and says so', async () => {
    const dir = tempDir('recover-dry');
    const marker = join(dir, 'ran');
    const sleeper = await startSleeper();
    const journal = join(dir, 'run', 'journal.ndjson');
    const env = withState(join(dir, 'state'));
    writeJournal(journal, [ownedTarget(sleeper.pid), commandFault(marker)]);
    const before = readFileSync(journal, 'utf8');

    const dry = await cli(['recover', '--dry-run', journal], env);
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    assert.deepEqual(dry.stdout.trim().split('\n'), [
      `${journal}: 2 fault(s) to revert (dry run: nothing is changed)`,
      `would run: touch ${marker} (it may never have taken effect)`,
      `would stop process ${sleeper.pid} (sleeper-0, started by the run) with SIGTERM`,
      'dry run: 2 revert(s) would be made; nothing was changed',
    ]);
    assert.equal(existsSync(marker), false, 'the command did not run');
    assert.ok(isSameProcess(sleeper.pid), 'the process was not stopped');
    assert.equal(readFileSync(journal, 'utf8'), before, 'the journal is untouched');

    const done = await cli(['recover', journal], env);
    assert.equal(done.code, 0, done.stdout + done.stderr);
    assert.deepEqual(done.stdout.trim().split('\n'), [
      `${journal}: 2 fault(s) to revert`,
      `ran: touch ${marker}`,
      `stopped process ${sleeper.pid} (sleeper-0) that the run started, with SIGTERM`,
      'recovered: 2 of 2 reverted',
    ]);
    assert.ok(existsSync(marker));
    assert.equal((await sleeper.exited).code, 0, 'the sleeper exited on SIGTERM');
  });

  test('with nothing to recover it exits 0 with one line; a stale run file with nothing pending is removed', async () => {
    const dir = tempDir('recover-nothing');
    const state = join(dir, 'state');
    const none = await cli(['recover', '--results', join(dir, 'nowhere')], withState(state));
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, `nothing to recover: no journal under ${join(dir, 'nowhere')}/*/\n`);
    assert.equal(none.stderr, '');

    const runFile = writeRunFile(state, {
      pid: await deadPid(),
      startTime: 1,
      runId: 'gone',
      outDir: join(dir, 'never-wrote'),
    });
    const dry = await cli(['recover', '--dry-run', '--results', join(dir, 'nowhere')], withState(state));
    assert.match(dry.stdout, /^would remove stale run file .*\(process \d+ is gone\)$/m);
    assert.ok(existsSync(runFile), '--dry-run removes nothing');
    const tidy = await cli(['recover', '--results', join(dir, 'nowhere')], withState(state));
    assert.equal(tidy.code, 0, tidy.stderr);
    assert.match(tidy.stdout, /^removed stale run file .*\(process \d+ is gone\)$/m);
    assert.equal(existsSync(runFile), false);
  });
});

describe('run files of killed runs', () => {
  test('halt does not wait on a pid that now belongs to another process, and says why', async () => {
    const dir = tempDir('halt-reused');
    const state = join(dir, 'state');
    const stranger = await startSleeper();
    // the run file a killed runner left, whose pid the kernel has since given to `stranger`
    const startTime = (processStartTime(stranger.pid) as number) - 1;
    writeRunFile(state, {
      pid: stranger.pid,
      startTime,
      runId: 'old',
      outDir: join(dir, 'old-run'),
      title: 'Old',
    });
    const halt = await cli(['halt', '--wait', '60s'], withState(state));
    assert.equal(halt.code, 0, halt.stdout + halt.stderr);
    assert.match(halt.stdout, /halt set: 0 running experiment\(s\)/);
    assert.match(
      halt.stdout,
      new RegExp(
        `ignoring stale run file .*runs/${stranger.pid}\\.json: pid ${stranger.pid} now belongs to another process`,
      ),
    );
    assert.doesNotMatch(halt.stdout, /stopping pid/);
    assert.ok(isSameProcess(stranger.pid), 'the stranger is left alone');
    assert.match((await cli(['halt', '--clear'], withState(state))).stdout, /halt cleared/);
  });

  test('kill -9 of faultline run: the run file stays, halt ignores it, recover continues the processes in words and removes it', async () => {
    const dir = tempDir('recover-killed');
    const state = join(dir, 'state');
    const env = withState(state);
    const a = await startSleeper();
    const b = await startSleeper();
    writeFileSync(join(dir, 'a.pid'), `${a.pid}\n`);
    writeFileSync(join(dir, 'b.pid'), `${b.pid}\n`);
    const out = join(dir, 'out');
    const journal = join(out, 'journal.ndjson');
    // a umask that lets the group write: the run's directory and journal must still be ones recover trusts
    const umask = process.umask(0o002);
    let runner: ReturnType<typeof startChild>;
    try {
      runner = startChild(
        [
          ...cliArgv,
          'run',
          'test/fixtures/experiment/attach-pause.yaml',
          '--set',
          `pid_a=${join(dir, 'a.pid')}`,
          '--set',
          `pid_b=${join(dir, 'b.pid')}`,
          '--out',
          out,
          '--no-report',
        ],
        { env },
      );
    } finally {
      process.umask(umask);
    }
    await runner.line((l) => /fault\.applied .*freeze-both → workers-0/.test(l));
    await runner.line((l) => /fault\.applied .*freeze-both → workers-1/.test(l));
    runner.proc.kill('SIGKILL');
    assert.equal((await runner.exited).signal, 'SIGKILL');
    for (const pid of [a.pid, b.pid]) assert.equal(await waitForState(pid, (s) => s === 'T'), 'T');

    assert.equal(statSync(journal).mode & 0o777, 0o600, 'the journal is 0600');
    assert.equal(statSync(out).mode & 0o777, 0o755, 'only its owner can write the run directory');
    const runFile = join(state, 'runs', `${runner.pid}.json`);
    assert.deepEqual(readdirSync(join(state, 'runs')), [`${runner.pid}.json`], 'the run file stayed');
    const registered = JSON.parse(readFileSync(runFile, 'utf8'));
    assert.equal(registered.startTime, JSON.parse(readFileSync(journal, 'utf8').split('\n')[0]!).startTime);

    const halt = await cli(['halt', '--wait', '60s'], env);
    assert.equal(halt.code, 0, halt.stdout + halt.stderr);
    assert.match(halt.stdout, /halt set: 0 running experiment\(s\)/);
    assert.match(
      halt.stdout,
      new RegExp(`ignoring stale run file ${runFile}: process ${runner.pid} is gone`),
    );
    assert.match((await cli(['halt', '--clear'], env)).stdout, /halt cleared/);

    // a fault may be journaled more than once before it takes effect (its processes, once known): the last counts
    const pidById = new Map<string, number>();
    for (const l of readFileSync(journal, 'utf8').split('\n'))
      if (l.includes('"fault.applying"')) pidById.set(JSON.parse(l).id, JSON.parse(l).revert.pid as number);
    const [first, second] = [...pidById.values()];
    const dry = await cli(['recover', '--dry-run', journal], env);
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    const instance = (pid: number | undefined) => (pid === a.pid ? 'workers-0' : 'workers-1');
    assert.match(
      dry.stdout,
      new RegExp(`^would continue process ${second} \\(${instance(second)}, paused by freeze-both\\)$`, 'm'),
    );
    assert.match(
      dry.stdout,
      new RegExp(`^would continue process ${first} \\(${instance(first)}, paused by freeze-both\\)$`, 'm'),
    );
    assert.match(
      dry.stdout,
      new RegExp(`^would remove stale run file ${runFile} \\(process ${runner.pid} is gone\\)$`, 'm'),
    );
    for (const pid of [a.pid, b.pid])
      assert.equal(await waitForState(pid, (s) => s === 'T'), 'T', 'still paused');
    assert.ok(existsSync(runFile), '--dry-run removes nothing');

    const rec = await cli(['recover', journal], env);
    assert.equal(rec.code, 0, rec.stdout + rec.stderr);
    assert.deepEqual(rec.stdout.trim().split('\n'), [
      `${journal}: 2 fault(s) to revert`,
      `continued process ${second} (${instance(second)}) paused by fault freeze-both`,
      `continued process ${first} (${instance(first)}) paused by fault freeze-both`,
      'recovered: 2 of 2 reverted',
      `removed stale run file ${runFile} (process ${runner.pid} is gone)`,
    ]);
    for (const pid of [a.pid, b.pid]) assert.notEqual(await waitForState(pid, (s) => s !== 'T'), 'T');
    assert.equal(existsSync(runFile), false);

    const again = await cli(['recover', journal], env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, `${journal}: nothing to revert\n`);
  });

  test('openJournal makes an existing journal 0600 and a new run directory 0755, whatever the umask', () => {
    const dir = tempDir('journal-mode');
    const old = join(dir, 'old', 'journal.ndjson');
    writeJournal(old, [], 0o666);
    openJournal(old).close();
    assert.equal(statSync(old).mode & 0o777, 0o600);
    const umask = process.umask(0o002);
    try {
      const fresh = join(dir, 'new', 'journal.ndjson');
      openJournal(fresh).close();
      assert.equal(statSync(fresh).mode & 0o777, 0o600);
      assert.equal(statSync(join(dir, 'new')).mode & 0o777, 0o755);
    } finally {
      process.umask(umask);
    }
  });
});
