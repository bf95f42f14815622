/**
 * What every registered load runner promises, whatever it loads: it stops when told and `done` then resolves;
 * its series has one bucket per elapsed second whose counts add up; a target that is down shows as failed
 * outcomes rather than a throw; bad options are an `InvalidOptionError` naming the field. The suite iterates the
 * registry, so a new runner is tested the moment it is registered — and fails until it has a harness below.
 *
 * Harnesses aim at real things: an HTTP server on 127.0.0.1 (a released port for "down"), `true` and `false`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidOptionError } from '../../src/core/errors.js';
import type { LoadResult, LoadRun } from '../../src/load/http-runner.js';
import { OUTCOME_CLASSES, type OutcomeCounts } from '../../src/load/samples.js';
import { runners } from '../../src/plugins/runners/index.js';
import { type RunnerSpec, startRunner } from '../../src/plugins/runners/start.js';
import { closedPort, startTestServer } from '../load/servers.js';

/** Options as an experiment file would give them (without `type`), for one runner. */
type Options = Record<string, unknown>;

interface Fixture {
  /** Load on a target that answers. */
  up: Options;
  /** Load on a target that is down. */
  down: Options;
  /** Options the runner's schema refuses, and the field the error must name. */
  bad: { options: Options; field: string };
  tearDown(): Promise<void>;
}

/** Per runner name: sets up its targets. Light load (a few workers, short think time): the machine is shared. */
const harnesses: Record<string, () => Promise<Fixture>> = {
  async http() {
    const server = await startTestServer();
    const down = await closedPort();
    return {
      up: { url: `${server.url}/items`, connections: 2, think_time: '5ms', timeout: '2s' },
      down: { url: `http://127.0.0.1:${down}/items`, connections: 1, think_time: '20ms', timeout: '1s' },
      bad: { options: { url: `${server.url}/`, timeout: '-1s' }, field: 'timeout' },
      tearDown: () => server.close(),
    };
  },
  async command() {
    return {
      up: { command: ['true'], concurrency: 2, think_time: '10ms' },
      down: { command: ['false'], think_time: '10ms' },
      bad: { options: { command: 'true', concurrency: 0 }, field: 'concurrency' },
      tearDown: async () => {},
    };
  },
};

const SEED = 7;

function start(type: string, options: Options, durationMs = 60_000): LoadRun {
  // as the engine does: an open end, stopped when the method is over
  return startRunner({ type, ...options } as RunnerSpec, { durationMs, seed: SEED });
}

/** `done`, or a failure naming what did not end. */
async function settled(run: LoadRun, withinMs: number): Promise<LoadResult> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`done did not resolve within ${withinMs} ms of stop()`)),
      withinMs,
    );
  });
  try {
    return await Promise.race([run.done, late]);
  } finally {
    clearTimeout(timer);
  }
}

const total = (o: OutcomeCounts) => OUTCOME_CLASSES.reduce((n, c) => n + o[c], 0);

/** Runs for `forMs`, then stops it and waits for `done`. */
async function runFor(type: string, options: Options, forMs: number): Promise<LoadResult> {
  const run = start(type, options);
  await sleep(forMs);
  run.stop();
  return settled(run, 5_000);
}

describe('load runner conformance', () => {
  it('every harness names a registered runner', () => {
    const unknown = Object.keys(harnesses).filter((name) => runners.get(name) === undefined);
    assert.deepEqual(unknown, [], 'harnesses of runners no longer registered');
  });

  for (const definition of runners.all()) {
    const name = definition.name;
    describe(`runner '${name}'`, () => {
      const setUp = harnesses[name];
      if (setUp === undefined) {
        it('has a conformance harness', () => {
          assert.fail(`no harness for load runner '${name}': add one in ${import.meta.url}`);
        });
        return;
      }
      let fixture: Fixture | undefined;
      before(async () => {
        fixture = await setUp();
      });
      after(() => fixture?.tearDown());

      it('describes itself', () => {
        assert.ok(definition.description.length > 0);
        assert.equal(typeof definition.start, 'function');
      });

      it('stops when told, and its series has one bucket per second whose counts add up', async () => {
        const r = await runFor(name, fixture!.up, 2_300);
        assert.equal(r.stopped, true);
        assert.ok(r.summary.ok > 0, `ok=${r.summary.ok}: the target answers`);

        const { buckets } = r.series;
        assert.equal(r.series.bucketMs, 1000);
        assert.deepEqual(
          buckets.map((b) => b.t),
          buckets.map((_, i) => i),
          'buckets are in order, empty seconds included',
        );
        // the last bucket is the second the last request fell in: one bucket per elapsed second (give or take
        // the one a request straddling a boundary opens)
        const seconds = Math.floor(r.elapsedMs / 1000) + 1;
        assert.ok(
          Math.abs(buckets.length - seconds) <= 1 && buckets.length >= 2,
          `${buckets.length} buckets for ${r.elapsedMs} ms`,
        );

        for (const b of buckets)
          assert.ok(
            b.sent >= total(b.outcomes),
            `bucket ${b.t}: sent ${b.sent} < ${total(b.outcomes)} outcomes`,
          );
        const s = r.summary;
        assert.ok(s.sent >= s.completed, `sent ${s.sent} < completed ${s.completed}`);
        assert.equal(s.completed, total(s.outcomes), 'completed = Σ outcomes');
        assert.equal(
          buckets.reduce((n, b) => n + b.sent, 0),
          s.sent,
          'Σ bucket sent = sent',
        );
        assert.equal(
          buckets.reduce((n, b) => n + total(b.outcomes), 0),
          s.completed,
          'Σ bucket outcomes = completed',
        );
      });

      it('counts a target that is down as failed outcomes, not a throw', async () => {
        const r = await runFor(name, fixture!.down, 1_200);
        assert.ok(r.summary.completed > 0, 'requests were made and completed (as failures)');
        assert.equal(r.summary.ok, 0);
        assert.equal(r.summary.errorRate, 1);
      });

      it('refuses bad options with an InvalidOptionError naming the field', () => {
        const { options, field } = fixture!.bad;
        assert.throws(
          () => start(name, options),
          (e: unknown) => e instanceof InvalidOptionError && e.field === field,
          `expected an InvalidOptionError naming '${field}'`,
        );
      });
    });
  }
});
