/**
 * result.json has a published JSON Schema (schema/result.schema.json, generated from the zod schema), and a real
 * run's result.json conforms to it: a tiny HTTP server answers 503 while a flag file exists, a `command` fault
 * creates the file for a moment, and the run is judged with the newer KPIs (p90, p99.9, max, per-class error
 * rates, absorbed time to recover) and writes each monitor's availability.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { resultJsonSchema } from '../../src/experiment/result-schema.js';
import { availability } from '../../src/kpi/availability.js';
import { heavyTestFile } from '../helpers/exclusive.js';
import { validateJsonSchema } from '../helpers/json-schema.js';
import { assertSchemaFileCurrent } from '../helpers/schema-file.js';
import { runFile, tempDir } from './engine-helpers.js';

// judges a running system under load: run with the machine to itself (scripts/test.sh)
heavyTestFile();

const root = new URL('../../', import.meta.url).pathname;
const schemaPath = join(root, 'schema/result.schema.json');

const EXPERIMENT = `title: A flag file turns a tiny server's answers into 503s for a moment
parameters: { port: 0, pid_file: "", flag: "" }
duration: 5s
targets:
  self: { type: attach, pid_files: ["\${pid_file}"] }
monitors:
  health: { type: http, url: "http://127.0.0.1:\${port}/health", every: 100ms }
load:
  - { name: clients, type: http, url: "http://127.0.0.1:\${port}/", rate: 50/s }
faults:
  - name: flag
    disruptor: command
    target: self
    at: 1s
    duration: 1500ms
    with: { inject: "touch \${flag}", revert: "rm -f \${flag}" }
hypothesis:
  - { kpi: p90, phase: before, below: 5s }
  - { kpi: p99.9, phase: after, below: 5s }
  - { kpi: max, phase: during, below: 5s }
  - { kpi: error_rate.5xx, phase: during, above: 1% }
  - { kpi: error_rate.timeout, phase: during, below: 1% }
  - { kpi: time_to_recover, below: 4s, recovered_when: { p99: 2s, for: 1s } }
  - { name: absorbed, kpi: time_to_recover, below: 4s, absorb: [flag], recovered_when: { p99: 2s, for: 1s } }
  - { kpi: max_downtime, monitor: health, below: 5s }
`;

describe('result.json JSON Schema', () => {
  test('schema/result.schema.json is the one generated from the zod schema', () => {
    assertSchemaFileCurrent(schemaPath, resultJsonSchema());
  });

  test('it is published with the package, next to the experiment schema', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { files: string[] };
    assert.ok(pkg.files.includes('schema'));
  });

  describe('a real run', () => {
    let server: Server;
    let dir: string;
    let flag: string;
    before(async () => {
      dir = tempDir('result-schema');
      flag = join(dir, 'failing');
      server = createServer((req, res) => {
        req.resume();
        res.statusCode = existsSync(flag) ? 503 : 200;
        res.end('ok');
      });
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    });
    after(() => {
      server.closeAllConnections();
      server.close();
    });

    test('writes a result.json the schema accepts, with the new KPIs judged and availability per monitor', async () => {
      const pidFile = join(dir, 'self.pid');
      writeFileSync(pidFile, `${process.pid}\n`);
      const file = join(dir, 'flag.yaml');
      writeFileSync(file, EXPERIMENT);
      const port = String((server.address() as AddressInfo).port);
      const run = await runFile(file, { set: { port, pid_file: pidFile, flag }, outDir: join(dir, 'out') });
      assert.equal(run.verdict, 'pass', run.reason);

      const json = JSON.parse(readFileSync(run.resultPath, 'utf8')) as Record<string, unknown>;
      const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as object;
      assert.deepEqual(validateJsonSchema(schema, json), []);

      const byName = new Map(run.result.assertions.map((a) => [a.name, a]));
      for (const name of [
        'p90 before < 5s',
        'p99.9 after < 5s',
        'max during < 5s',
        'error_rate.5xx during > 1%',
        'error_rate.timeout during < 1%',
      ]) {
        const a = byName.get(name);
        assert.ok(a, `${name} in ${[...byName.keys()].join(', ')}`);
        assert.equal(a.passed, true, `${name}: ${a.measured} ${a.unit} ${a.note ?? ''}`);
        assert.equal(typeof a.measured, 'number');
      }
      assert.equal(byName.get('error_rate.5xx during > 1%')?.unit, '%');
      assert.equal(byName.get('p99.9 after < 5s')?.unit, 'ms');

      // absorbed: counted from the fault's start, so longer by exactly the fault's length
      const fault = run.result.faults[0] as { startMs: number; endMs: number };
      const plain = byName.get('time_to_recover < 4s');
      const absorbed = byName.get('absorbed');
      assert.equal(typeof plain?.measured, 'number', plain?.note);
      assert.equal(absorbed?.measured, (plain?.measured as number) + (fault.endMs - fault.startMs));

      // availability per monitor, in result.json itself and equal to what the samples give
      const health = run.result.monitors.find((m) => m.name === 'health');
      assert.ok(health);
      assert.deepEqual(health.availability, availability(health.samples, { endMs: run.result.endedMs }));
      assert.ok(health.availability.outages >= 1, 'the 503s were seen as an outage');
      assert.ok(health.availability.availability > 0 && health.availability.availability < 1);
      const written = (json.monitors as Array<{ name: string; availability: unknown }>)[0];
      assert.deepEqual(written?.availability, health.availability);

      // the schema is not vacuous: what the engine must write, and the types it must have, are checked
      const broken = structuredClone(json) as {
        monitors: Array<Record<string, unknown>>;
        load: Array<{ kpis: { during: { latency: Record<string, unknown> } } }>;
        surprise?: boolean;
      };
      delete broken.monitors[0]?.availability;
      (broken.load[0] as (typeof broken.load)[0]).kpis.during.latency.p999Ms = '1 ms';
      broken.surprise = true;
      const errors = validateJsonSchema(schema, broken);
      assert.ok(
        errors.some((e) => /^\/monitors\/0 must have required property 'availability'/.test(e)),
        errors.join('\n'),
      );
      assert.ok(errors.some((e) => /^\/load\/0\/kpis\/during\/latency\/p999Ms must be number/.test(e)));
      assert.ok(errors.some((e) => /^\/ must NOT have additional properties \(surprise\)/.test(e)));
    });
  });
});
