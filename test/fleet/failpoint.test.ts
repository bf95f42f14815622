/**
 * Failpoints on a fleet, on the real test bed: every host (a network namespace with its own sshd) runs a
 * process with a failpoint control endpoint on 127.0.0.1:7170 *of that namespace* — unreachable from this
 * machine's loopback — and faultline reaches each through an SSH forward: `faultline failpoint … --hosts`, a
 * `failpoint` fault on a `host` target applied and reverted by a run (the term before put back), and
 * `faultline recover` after a kill -9 of the run.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readJournal } from '../../src/experiment/journal.js';
import type { RunEvent } from '../../src/experiment/run-types.js';
import { startChild, stopAll } from '../disruptors/helpers.js';
import { runFile, tempDir } from '../experiment/engine-helpers.js';
import { cleanEnv, ROOT } from '../failpoint/helpers.js';
import { cli, cliArgv } from '../helpers/cli.js';
import { bedTestFile } from '../helpers/exclusive.js';
import { bedHostArgs, bedUnavailable, fleetBed } from '../helpers/fleet-bed.js';

bedTestFile();

const unavailable = bedUnavailable();
if (unavailable) console.log(`# skipping the fleet failpoint tests: ${unavailable}`);

const PORT = 7170;
const HOSTS = ['fltfp-n1', 'fltfp-n2', 'fltfp-n3'];

/** The fixture process in a host's namespace: `hit NAME` on stdin, what the failpoint did on stdout. */
interface Service {
  proc: ChildProcess;
  hit(name: string): Promise<{ value?: unknown; error?: string }>;
}

function startService(ns: string): Promise<Service> {
  const proc = spawn(
    'ip',
    [
      'netns',
      'exec',
      ns,
      process.execPath,
      '--import',
      'tsx',
      join(ROOT, 'test/fixtures/failpoint/serve.ts'),
    ],
    { cwd: ROOT, env: cleanEnv({ FAULTLINE_FAILPOINTS_ADDR: `127.0.0.1:${PORT}` }), stdio: 'pipe' },
  );
  let out = '';
  let err = '';
  const waiting = new Set<() => void>();
  proc.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (const w of [...waiting]) w();
  });
  proc.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    for (const w of [...waiting]) w();
  });
  const until = (check: () => boolean, what: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${ns}: no ${what}; stderr: ${err}`)), 30_000);
      const w = () => {
        if (!check()) return;
        clearTimeout(timer);
        waiting.delete(w);
        resolve();
      };
      waiting.add(w);
      w();
    });
  let serial = 0;
  const service: Service = {
    proc,
    async hit(name) {
      const tag = `t${++serial}`;
      proc.stdin.write(`hit ${name} ${tag}\n`);
      const re = new RegExp(`^\\{"tag":"${tag}".*$`, 'm');
      await until(() => re.test(out), `answer to hit ${tag}`);
      return JSON.parse((re.exec(out) as RegExpExecArray)[0]);
    },
  };
  return until(() => /failpoint endpoint listening on/.test(err), 'endpoint').then(() => service);
}

describe('failpoints on hosts, through SSH forwards, on the fleet test bed', { skip: unavailable }, () => {
  const bed = fleetBed({ prefix: 'fltfp', net: '10.235.11', hosts: 3, idle: 1 });
  const dir = tempDir('fleet-fp');
  const env = { ...process.env, FAULTLINE_STATE_DIR: join(dir, 'state') };
  const services = new Map<string, Service>();
  let serial = 0;

  before(async () => {
    bed.up();
    for (const h of HOSTS) services.set(h, await startService(h));
  });
  after(async () => {
    await stopAll();
    for (const s of services.values()) s.proc.kill('SIGKILL');
    await Promise.all(
      [...services.values()].map((s) =>
        s.proc.exitCode !== null || s.proc.signalCode !== null
          ? undefined
          : new Promise((r) => s.proc.once('close', r)),
      ),
    );
    bed.down();
    rmSync(dir, { recursive: true, force: true });
  });

  const fleetArgs = (hosts = 'fleet', endpoint = `127.0.0.1:${PORT}`) => [
    ...bedHostArgs(bed, hosts),
    '--endpoint',
    endpoint,
  ];
  const fp = (args: string[]) => cli(['failpoint', ...args], env);
  const service = (h: string) => services.get(h) as Service;
  const values = (name: string) => Promise.all(HOSTS.map(async (h) => (await service(h).hit(name)).value));
  const newName = () => `fleet.fp${++serial}`;

  it('`failpoint set|get|list|unset --hosts` act on every host, each line naming its host', async () => {
    const name = newName();
    assert.deepEqual(await values(name), [null, null, null], 'nothing set yet');

    const set = await fp(['set', name, 'return("boom")', '--allow-unknown', ...fleetArgs()]);
    assert.equal(set.code, 0, set.stdout + set.stderr);
    assert.deepEqual(
      set.stdout.trim().split('\n'),
      HOSTS.map((h) => `${h}: ${name} = return("boom")`),
    );
    assert.deepEqual(await values(name), ['boom', 'boom', 'boom'], 'each process fails at the failpoint');

    const list = await fp(['list', ...fleetArgs()]);
    assert.equal(list.code, 0, list.stderr);
    for (const h of HOSTS)
      assert.match(
        list.stdout,
        new RegExp(`^${h}: ${name.replace('.', '\\.')}\\s+return\\("boom"\\)\\s+1\\s+1`, 'm'),
      );

    const get = await fp(['get', name, '--json', ...fleetArgs('fltfp-n2')]);
    assert.equal(get.code, 0, get.stderr);
    const got = JSON.parse(get.stdout) as Record<string, { name: string; term: string; fires: number }>;
    assert.deepEqual(Object.keys(got), ['fltfp-n2']);
    assert.equal(got['fltfp-n2']?.term, 'return("boom")');

    const unset = await fp(['unset', name, ...fleetArgs('fltfp-n1,fltfp-n3')]);
    assert.equal(unset.code, 0, unset.stderr);
    assert.deepEqual(unset.stdout.trim().split('\n'), [`fltfp-n1: ${name} unset`, `fltfp-n3: ${name} unset`]);
    assert.deepEqual(await values(name), [null, 'boom', null], 'only the hosts named');
    assert.equal((await fp(['unset', name, ...fleetArgs('fltfp-n2')])).code, 0);
  });

  it('names each host that fails and exits 1; bad input exits 2 before any host is contacted', async () => {
    const name = newName();
    // fltfp-n4 has an address but no sshd
    const partly = await fp([
      'set',
      name,
      'return("x")',
      '--allow-unknown',
      ...fleetArgs('fltfp-n1,fltfp-n4'),
    ]);
    assert.equal(partly.code, 1, partly.stdout + partly.stderr);
    assert.equal(partly.stdout.trim(), `fltfp-n1: ${name} = return("x")`);
    assert.match(
      partly.stderr,
      /fltfp-n4: FAILED: cannot reach the failpoint endpoint .* on host fltfp-n4 \(fltfp-n4: /,
    );
    assert.match(partly.stderr, /1 of 2 host\(s\) failed: fltfp-n4/);
    assert.equal((await service('fltfp-n1').hit(name)).value, 'x');

    // nothing listens on that port on the hosts: refused there, not here
    const refused = await fp(['list', ...fleetArgs('fleet', `127.0.0.1:${PORT + 1}`)]);
    assert.equal(refused.code, 1);
    for (const h of HOSTS)
      assert.match(refused.stderr, new RegExp(`${h}: FAILED: .* on host ${h} \\(connection refused\\)`));

    const badTerm = await fp(['set', name, 'retrun(', '--allow-unknown', ...fleetArgs()]);
    assert.equal(badTerm.code, 2, badTerm.stderr);
    const placeholder = await fp(['list', ...fleetArgs('fleet', '127.0.0.1:{{host.nope}}')]);
    assert.equal(placeholder.code, 2);
    assert.match(placeholder.stderr, /--endpoint/);
    const noInventory = await fp(['list', '--hosts', 'fleet', '--endpoint', `127.0.0.1:${PORT}`]);
    assert.equal(noInventory.code, 2);
    assert.match(noInventory.stderr, /--inventory/);
  });

  /** An experiment whose `nodes` target is every host, with a failpoint fault on all three. */
  function experiment(name: string, term: string, fault: string): string {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      `title: failpoint on hosts
inventory: ${bed.inventory}
known_hosts: ${bed.knownHosts}
targets:
  nodes: { type: host, hosts: fleet }
${fault}
faults:
  - name: fp
    disruptor: failpoint
    target: nodes
    count: 3
    at: 0s
    with: { endpoint: "127.0.0.1:${PORT}", name: ${name}, term: '${term}' }
`,
    );
    return file;
  }

  it('a failpoint fault on hosts is set through SSH on each and reverted to the term each had before', async () => {
    const name = newName();
    assert.equal(
      (await fp(['set', name, 'return("before")', '--allow-unknown', ...fleetArgs('fltfp-n1')])).code,
      0,
    );
    const file = experiment(name, 'return("during")', 'duration: 2s');
    const during: Promise<unknown>[] = [];
    const run = await runFile(file, {
      seed: 1,
      onEvent: (e: RunEvent) => {
        // the fault holds until the run ends: each host's process fails at it right after it is applied
        const host = /→ nodes@(\S+):/.exec(e.message)?.[1];
        if (e.kind === 'fault.applied' && host)
          during.push(
            service(host)
              .hit(name)
              .then((r) => r.value),
          );
      },
    });
    assert.equal(run.verdict, 'pass', run.reason);
    assert.deepEqual(await Promise.all(during), ['during', 'during', 'during']);
    assert.deepEqual(
      run.result.faultRuns.map((f) => [f.instance, f.status]).sort(),
      HOSTS.map((h) => [`nodes@${h}`, 'applied']),
    );
    assert.deepEqual(await values(name), ['before', null, null], 'n1 has its term back, the others none');
  });

  it('kill -9 of `faultline run` mid-fault: `faultline recover` puts each host’s term back over SSH', async () => {
    const name = newName();
    assert.equal(
      (await fp(['set', name, 'return("before")', '--allow-unknown', ...fleetArgs('fltfp-n2')])).code,
      0,
    );
    const file = experiment(name, 'return("stuck")', 'duration: 60s');
    const out = join(dir, `${name}-out`);
    const runner = startChild([...cliArgv, 'run', file, '--seed', '2', '--out', out, '--no-report'], { env });
    // line() looks at every line seen so far each time output arrives: its predicate must not count
    for (const h of HOSTS)
      await runner.line((l) => /fault\.applied/.test(l) && l.includes(`nodes@${h}:`), 60_000);
    runner.proc.kill('SIGKILL');
    await runner.exited;
    assert.deepEqual(await values(name), ['stuck', 'stuck', 'stuck'], 'left set by the killed run');

    const journal = join(out, 'journal.ndjson');
    const records = readJournal(journal).flatMap((e) => (e.event === 'fault.applied' ? [e.revert] : []));
    assert.equal(records.length, 3);
    for (const r of records) {
      // enough to reach the host again from the journal alone
      const host = r.host as { name: string; address: string; knownHosts: string };
      assert.equal(host.address, bed.addressOf(HOSTS.indexOf(host.name) + 1));
      assert.equal(host.knownHosts, bed.knownHosts);
      assert.equal(r.endpoint, `127.0.0.1:${PORT}`);
    }
    const byHost = Object.fromEntries(records.map((r) => [(r.host as { name: string }).name, r.previous]));
    assert.deepEqual(byHost, { 'fltfp-n1': null, 'fltfp-n2': 'return("before")', 'fltfp-n3': null });

    const rec = await cli(['recover', journal], env);
    assert.equal(rec.code, 0, rec.stdout + rec.stderr);
    assert.match(rec.stdout, /recovered: 3 of 3 reverted/);
    assert.match(
      rec.stdout,
      new RegExp(
        `restored failpoint ${name.replace('.', '\\.')} to .* at 127\\.0\\.0\\.1:${PORT} on host fltfp-n2 \\(${bed.addressOf(2).replace(/\./g, '\\.')}\\)`,
      ),
    );
    assert.match(
      rec.stdout,
      new RegExp(
        `cleared failpoint ${name.replace('.', '\\.')} at 127\\.0\\.0\\.1:${PORT} on host fltfp-n1 `,
      ),
    );
    assert.deepEqual(await values(name), [null, 'before', null], 'each host has the term it had before');
  });
});
