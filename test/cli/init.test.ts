import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { starterExperiment } from '../../src/experiment/starter.js';
import { validateExperiment } from '../../src/experiment/validate.js';
import { assertSoundVerdict } from '../experiment/engine-helpers.js';
import { cli, cliArgv } from '../helpers/cli.js';
import { heavyTestFile } from '../helpers/exclusive.js';

heavyTestFile();
const repo = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'faultline-init-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The CLI from the repository root, as a user runs it in their project. */
function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...cliArgv, ...args], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const serverScript = join(dir, 'server.mjs');
writeFileSync(
  serverScript,
  `import { createServer } from 'node:http';
createServer((req, res) => res.end('ok')).listen(Number(process.argv[2]), '127.0.0.1');
`,
);

test('both starters validate as written, for several URLs, rates and durations', () => {
  for (const url of ['http://127.0.0.1:8080/health', 'http://localhost/', 'https://[::1]:8443/a?b=1']) {
    for (const command of [undefined, 'cd srv && npm start']) {
      const text = starterExperiment({ url, rate: 5, durationSeconds: 12, ...(command ? { command } : {}) });
      const r = validateExperiment(text, { file: 'experiment.yaml', env: {} });
      assert.ok(r.ok, `${url} ${command}: ${JSON.stringify(!r.ok && r.errors)}`);
    }
  }
});

test('bad options name the flag and exit 2; an existing file is kept unless --force', async () => {
  let r = await cli(['init', join(dir, 'a.yaml')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--url: is required/);
  r = await cli(['init', join(dir, 'a.yaml'), '--url', 'localhost:8080']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--url: must be an http:\/\/ or https:\/\/ URL/);
  r = await cli(['init', join(dir, 'a.yaml'), '--url', 'http://127.0.0.1:1/', '--rate', 'fast']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--rate: expected requests per second/);
  r = await cli(['init', join(dir, 'a.yaml'), '--url', 'http://127.0.0.1:1/', '--duration', '3s']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--duration: must be at least 8s, so that recovery after the fault can be seen/);
  assert.equal(existsSync(join(dir, 'a.yaml')), false, 'nothing written on bad input');

  writeFileSync(join(dir, 'mine.yaml'), 'my own experiment\n');
  r = await cli(['init', join(dir, 'mine.yaml'), '--url', 'http://127.0.0.1:1/']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /already exists \(pass --force/);
  assert.equal(readFileSync(join(dir, 'mine.yaml'), 'utf8'), 'my own experiment\n');
  r = await cli(['init', join(dir, 'mine.yaml'), '--url', 'http://127.0.0.1:1/', '--force']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(readFileSync(join(dir, 'mine.yaml'), 'utf8'), /disruptor: proxy\.toxic/);
  r = await cli(['init', '-', '--url', 'http://127.0.0.1:1/', '--command', 'node s.js']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /disruptor: process\.pause/);
});

test('the --command starter runs against a real service: paused, resumed, passed, and the service stopped', async () => {
  const port = await freePort();
  const file = join(dir, 'cmd.yaml');
  const url = `http://127.0.0.1:${port}/health`;
  let r = await runCli([
    'init',
    file,
    '--url',
    url,
    '--command',
    `node ${serverScript} ${port}`,
    '--duration',
    '9s',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /next:\n {2}(npx )?faultline validate /);
  const out = join(dir, 'cmd-out');
  r = await runCli(['run', file, '--out', out, '--no-report']);
  const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
  assertSoundVerdict(result, `${r.stdout}\n${r.stderr}`);
  assert.equal(r.code, result.verdict === 'pass' ? 0 : 1);
  assert.equal(result.faults.length, 1);
  assert.equal(result.faults[0].name, 'pause-the-service');
  assert.ok(result.faults[0].endMs - result.faults[0].startMs >= 2000, 'paused for its duration');
  // the service faultline started is gone: its port refuses connections
  await assert.rejects(fetch(url), /fetch failed/);
});

test('the --url starter puts a faultline proxy in front of a running service and adds latency there', async () => {
  const port = await freePort();
  const server = spawn(process.execPath, [serverScript, String(port)], { stdio: 'ignore' });
  after(() => server.kill('SIGKILL'));
  const url = `http://127.0.0.1:${port}/`;
  for (let i = 0; ; i++) {
    try {
      await fetch(url);
      break;
    } catch (err) {
      if (i > 200) throw err;
      await new Promise((res) => setTimeout(res, 50));
    }
  }
  const file = join(dir, 'url.yaml');
  let r = await runCli(['init', file, '--url', url, '--duration', '14s', '--rate', '10']);
  assert.equal(r.code, 0, r.stderr);
  const out = join(dir, 'url-out');
  r = await runCli(['run', file, '--out', out, '--no-report']);
  const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
  assertSoundVerdict(result, `${r.stdout}\n${r.stderr}`);
  assert.equal(result.faults[0].name, 'slow-link');
  // the latency was really on the link: the during phase's p50 is at least the toxic's 300 ms - 50 ms jitter
  const during = result.load[0].kpis.during;
  assert.ok(during.latency.p50Ms >= 250, `during p50 ${during.latency.p50Ms} ms`);
  assert.ok(result.load[0].kpis.before.latency.p50Ms < during.latency.p50Ms);
});
