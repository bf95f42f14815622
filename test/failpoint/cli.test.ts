/**
 * `faultline failpoint list|set|unset|release|waiters --target host:port` against a real child process's
 * endpoint. Errors must be one clear line on stderr and a non-zero exit (2 for bad input, 1 otherwise).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cliArgv } from '../helpers/cli.js';
import { type Fixture, jsonLine, startFixture, startNode } from './helpers.js';

async function cli(args: string[], env: Record<string, string> = {}) {
  // cliArgv already says how to load the CLI
  const run = startNode([...cliArgv, 'failpoint', ...args], env, false);
  const { code } = await run.exited;
  return { code, stdout: run.lines.join('\n').trim(), stderr: run.stderr().trim() };
}

function oneLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${stderr}`);
  return lines[0]!;
}

describe('faultline failpoint (CLI)', () => {
  let child: Fixture;
  let target: string;
  before(async () => {
    child = startFixture('serve', { FAULTLINE_FAILPOINTS_ADDR: '127.0.0.1:0' });
    target = new URL(await child.endpoint()).host;
    await jsonLine(child, 'ready');
  });
  after(() => child.kill());

  test('set, list (table and --json), unset', async () => {
    const set = await cli(['set', 'demo.declared', '2*return("x")->off', '--target', target]);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout, 'demo.declared = 2*return("x")->off');
    child.send('hit demo.declared a');
    await child.line((l) => l.includes('"tag":"a"'));

    const list = await cli(['list', '--target', target]);
    assert.equal(list.code, 0, list.stderr);
    const [head, row] = list.stdout.split('\n');
    assert.match(head!, /^NAME\s+TERM\s+HITS\s+FIRES\s+WAITERS\s+DESCRIPTION$/);
    assert.match(row!, /^demo\.declared\s+2\*return\("x"\)->off\s+1\s+1\s+0\s+a failpoint declared at start/);

    const json = await cli(['list', '--json', '--target', target]);
    const listing = JSON.parse(json.stdout) as { failpoints: { name: string; hits: number }[] };
    assert.equal(listing.failpoints.find((f) => f.name === 'demo.declared')?.hits, 1);

    const unset = await cli(['unset', 'demo.declared', '--target', target]);
    assert.equal(unset.code, 0, unset.stderr);
    assert.equal(unset.stdout, 'demo.declared unset');
  });

  test('waiters and release: --min waits for paused callers, --count releases the longest-waiting', async () => {
    assert.equal((await cli(['set', 'demo.declared', 'pause', '--target', target])).code, 0);
    child.send('hit demo.declared w1');
    child.send('hit demo.declared w2');
    const waiters = await cli([
      'waiters',
      'demo.declared',
      '--min',
      '2',
      '--timeout',
      '10000',
      '--target',
      target,
    ]);
    assert.equal(waiters.code, 0, waiters.stderr);
    const rows = waiters.stdout.split('\n');
    assert.match(rows[0]!, /^ID\s+SINCE\s+CTX$/);
    assert.match(rows[1]!, /^\d+\s+\S+Z\s+\{"tag":"w1"\}$/);
    assert.match(rows[2]!, /^\d+\s+\S+Z\s+\{"tag":"w2"\}$/);

    const one = await cli(['release', 'demo.declared', '--count', '1', '--target', target]);
    assert.equal(one.stdout, 'released 1 caller(s) at demo.declared; 1 still paused');
    await child.line((l) => l.includes('"tag":"w1"'));
    const rest = await cli(['release', 'demo.declared', '--target', target]);
    assert.equal(rest.stdout, 'released 1 caller(s) at demo.declared; 0 still paused');
    await child.line((l) => l.includes('"tag":"w2"'));
    assert.equal((await cli(['unset', 'demo.declared', '--target', target])).code, 0);
  });

  test('a bad term: exit 2 and one line naming the column', async () => {
    const r = await cli(['set', 'demo.declared', '50%x', '--target', target]);
    assert.equal(r.code, 2);
    assert.match(oneLine(r.stderr), /^faultline: bad failpoint term "50%x" at column 4: expected an action/);
  });

  test('an unknown name: exit 1 and one line; --allow-unknown sets it with a warning', async () => {
    const r = await cli(['set', 'demo.nope', 'throw', '--target', target]);
    assert.equal(r.code, 1);
    const line = oneLine(r.stderr);
    assert.match(line, /^faultline: failpoint demo\.nope has not been reached or declared/);
    // the hint names the flag this command takes, not the endpoint's query parameter
    assert.match(line, /pass --allow-unknown if its code has not run yet/);
    assert.doesNotMatch(line, /allowUnknown/);
    const ok = await cli(['set', 'demo.nope', 'throw', '--allow-unknown', '--target', target]);
    assert.equal(ok.code, 0);
    assert.match(
      oneLine(ok.stderr),
      /^faultline: warning: failpoint demo\.nope has not been reached or declared yet/,
    );
  });

  test('bad input and an unreachable endpoint: one line each, exit 2 and 1', async () => {
    const noTarget = await cli(['list']);
    assert.equal(noTarget.code, 2);
    assert.equal(
      oneLine(noTarget.stderr),
      'faultline: --target: required: the endpoint as host:port (or set FAULTLINE_FAILPOINTS_ADDR)',
    );
    const badCount = await cli(['release', 'x', '--count', 'many', '--target', target]);
    assert.equal(badCount.code, 2);
    assert.match(oneLine(badCount.stderr), /^faultline: --count: must be a whole number/);
    const unreachable = await cli(['list', '--target', '127.0.0.1:1']);
    assert.equal(unreachable.code, 1);
    assert.equal(
      oneLine(unreachable.stderr),
      'faultline: cannot reach the failpoint endpoint at http://127.0.0.1:1 (connection refused)',
    );
    // FAULTLINE_FAILPOINTS_ADDR stands in for --target
    const viaEnv = await cli(['list'], { FAULTLINE_FAILPOINTS_ADDR: target });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
  });
});

describe('faultline failpoint --token', () => {
  const token = 'cli-test-token-0123456789';
  let child: Fixture;
  let target: string;
  before(async () => {
    child = startFixture('serve', {
      FAULTLINE_FAILPOINTS_ADDR: '127.0.0.1:0',
      FAULTLINE_FAILPOINTS_TOKEN: token,
    });
    target = new URL(await child.endpoint()).host;
  });
  after(() => child.kill());

  test('without the token: exit 1 and one line; --token or FAULTLINE_FAILPOINTS_TOKEN gets in', async () => {
    const denied = await cli(['list', '--target', target]);
    assert.equal(denied.code, 1);
    assert.equal(oneLine(denied.stderr), 'faultline: missing token: send Authorization: Bearer <token>');
    const wrong = await cli(['list', '--target', target, '--token', 'not-the-token-at-all']);
    assert.equal(oneLine(wrong.stderr), 'faultline: wrong token');
    assert.equal((await cli(['list', '--target', target, '--token', token])).code, 0);
    assert.equal((await cli(['list', '--target', target], { FAULTLINE_FAILPOINTS_TOKEN: token })).code, 0);
  });
});
