/**
 * Every toxic on a fake clock: the shared rules (order, no loss, flush on removal, end of stream, destroy,
 * same seed ⇒ same behaviour) for every registered one-sided toxic, then each toxic's own semantics.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createFakeClock,
  getToxicDefinition,
  ProxyApiError,
  parseAttributes,
  toxicDefinitions,
} from '../../src/proxy/index.js';
import { payload } from './helpers.js';
import { type Harness, harness, makeContext, type Pushed } from './toxic-harness.js';

/** Attributes under which each toxic acts but passes every byte (the no-loss rules apply). */
const passing: Record<string, Record<string, unknown>> = {
  latency: { latency: 30, jitter: 10 },
  bandwidth: { rate: 50 },
  slow_close: { delay: 40 },
  slicer: { average_size: 7, size_variation: 5, delay: 300 },
  noop: {},
};
/** Toxics that drop, truncate or close by design, with the attributes their dedicated tests use. */
const dropping: Record<string, Record<string, unknown>> = {
  timeout: { timeout: 100 },
  reset_peer: { timeout: 10 },
  limit_data: { bytes: 10 },
};

function chunks(seed: number): Buffer[] {
  const data = payload(5000, seed);
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; ) {
    const n = 1 + ((i * 7919 + seed) % 900);
    out.push(data.subarray(i, i + n));
    i += n;
  }
  return out;
}

describe('toxic conformance (every registered one-sided toxic)', () => {
  it('has test attributes for every registered toxic', () => {
    for (const def of toxicDefinitions()) {
      if (!def.create) continue;
      assert.ok(def.type in passing || def.type in dropping, `add ${def.type} to the conformance tables`);
    }
  });

  for (const [type, attrs] of Object.entries(passing)) {
    describe(type, () => {
      it('passes every byte in order, then the end, after the last byte', () => {
        const h = harness(type, attrs);
        const input = chunks(3);
        let t = 0;
        for (const c of input) {
          h.stage.write(c, h.clock.now());
          h.clock.advance((t++ % 3) * 2);
        }
        h.stage.end();
        h.clock.runAll();
        assert.deepEqual(h.bytes(), Buffer.concat(input));
        assert.deepEqual(
          h.events.map((e) => e.what),
          ['end'],
        );
        const lastPush = h.pushed.at(-1)!.time;
        assert.ok(h.events[0]!.time >= lastPush);
      });

      it('flush() at any moment pushes everything held, with the end if it arrived', () => {
        for (const cut of [0, 1, 5, 20, 60]) {
          const h = harness(type, attrs);
          const input = chunks(cut + 1);
          for (const c of input.slice(0, 4)) h.stage.write(c, h.clock.now());
          h.stage.end();
          h.clock.advance(cut);
          assert.notEqual(h.stage.flush(), false);
          assert.deepEqual(h.bytes(), Buffer.concat(input.slice(0, 4)), `cut at ${cut} ms`);
          assert.deepEqual(
            h.events.map((e) => e.what),
            ['end'],
          );
          assert.equal(h.clock.pending(), 0, 'no timer left after flush');
        }
      });

      it('destroy() cancels every timer; nothing is pushed after it', () => {
        const h = harness(type, attrs);
        for (const c of chunks(9).slice(0, 5)) h.stage.write(c, h.clock.now());
        const before = h.pushed.length;
        h.stage.destroy?.();
        h.clock.runAll();
        assert.equal(h.pushed.length, before);
        assert.equal(h.clock.pending(), 0);
      });

      it('the same seed gives the same output, chunk for chunk and time for time', () => {
        const run = (seed: number) => {
          const h = harness(type, attrs, { seed });
          for (const c of chunks(4)) {
            h.stage.write(c, h.clock.now());
            h.clock.advance(1);
          }
          h.clock.runAll();
          return h.pushed.map((p) => `${p.chunk.length}@${p.time}`).join(',');
        };
        assert.equal(run(7), run(7));
      });

      it('buffered() counts what it holds', () => {
        const h = harness(type, attrs);
        h.stage.write(Buffer.alloc(1000), h.clock.now());
        const held = h.stage.buffered?.() ?? 0;
        assert.equal(held + h.bytes().length, 1000);
        h.clock.runAll();
        assert.equal(h.stage.buffered?.() ?? 0, 0);
      });
    });
  }
});

describe('latency', () => {
  it('delays each chunk by latency from when it was read', () => {
    const h = harness('latency', { latency: 50 });
    h.write('a');
    h.clock.advance(10);
    h.write('b');
    h.clock.advance(39);
    assert.equal(h.pushed.length, 0);
    h.clock.advance(1);
    assert.deepEqual(
      h.pushed.map((p) => [String(p.chunk), p.time]),
      [['a', 1050]],
    );
    h.clock.advance(10);
    assert.deepEqual(
      h.pushed.map((p) => [String(p.chunk), p.time]),
      [
        ['a', 1050],
        ['b', 1060],
      ],
    );
  });

  it('jitter stays within ±jitter and never reorders', () => {
    const h = harness('latency', { latency: 20, jitter: 15 });
    for (let i = 0; i < 200; i++) {
      h.write(String.fromCharCode(65 + (i % 26)));
      h.clock.advance(1);
    }
    h.clock.runAll();
    assert.equal(h.pushed.length, 200);
    let prev = 0;
    h.pushed.forEach((p, i) => {
      const readAt = 1000 + i;
      const delay = p.time - readAt;
      assert.ok(delay <= 20 + 15, `delay ${delay}`);
      assert.ok(p.time >= prev);
      prev = p.time;
    });
    const delays = new Set(h.pushed.map((p, i) => p.time - (1000 + i)));
    assert.ok(delays.size > 5, 'jitter varies the delay');
  });

  it('an update changes the delay of later chunks only', () => {
    const h = harness('latency', { latency: 100 });
    h.write('a');
    h.stage.update?.(parseAttributes(getToxicDefinition('latency')!.attributes, { latency: 10 }));
    h.write('b');
    h.clock.advance(100);
    assert.deepEqual(
      h.pushed.map((p) => [String(p.chunk), p.time]),
      [
        ['a', 1100],
        ['b', 1100],
      ],
    );
  });
});

describe('bandwidth', () => {
  it('N bytes take N / rate milliseconds (rate in KB/s, 1 KB = 1000 bytes)', () => {
    const h = harness('bandwidth', { rate: 100 }); // 100 bytes/ms
    h.stage.write(Buffer.alloc(50_000), h.clock.now());
    h.clock.runAll();
    assert.equal(h.bytes().length, 50_000);
    assert.equal(h.pushed.at(-1)!.time - 1000, 500);
  });

  it('rate 0 lets nothing through until the rate is raised', () => {
    const h = harness('bandwidth', { rate: 0 });
    h.stage.write(Buffer.alloc(100), h.clock.now());
    h.clock.advance(10_000);
    assert.equal(h.pushed.length, 0);
    h.stage.update?.({ rate: 1 });
    h.clock.runAll();
    assert.equal(h.bytes().length, 100);
  });
});

describe('slow_close', () => {
  it('passes data at once and the end after delay', () => {
    const h = harness('slow_close', { delay: 300 });
    h.write('x');
    assert.equal(h.pushed.length, 1);
    h.stage.end();
    h.clock.advance(299);
    assert.equal(h.events.length, 0);
    h.clock.advance(1);
    assert.deepEqual(h.events, [{ what: 'end', time: 1300 }]);
  });
});

describe('timeout', () => {
  it('drops data and closes after timeout', () => {
    const h = harness('timeout', { timeout: 100 });
    h.write('dropped');
    h.clock.advance(99);
    assert.deepEqual(h.events, []);
    h.clock.advance(1);
    assert.deepEqual(h.events, [{ what: 'close', time: 1100 }]);
    assert.equal(h.pushed.length, 0);
  });

  it('timeout 0 holds forever', () => {
    const h = harness('timeout', { timeout: 0 });
    h.write('dropped');
    h.clock.advance(1e9);
    assert.deepEqual(h.events, []);
    assert.equal(h.clock.pending(), 0);
  });

  it('removal closes a connection it dropped data from, and only such a one', () => {
    const dropped = harness('timeout', { timeout: 0 });
    dropped.write('x');
    dropped.stage.flush();
    assert.deepEqual(
      dropped.events.map((e) => e.what),
      ['close'],
    );
    const clean = harness('timeout', { timeout: 0 });
    clean.stage.flush();
    assert.deepEqual(clean.events, []);
  });
});

describe('reset_peer', () => {
  it('resets timeout ms after data arrives, dropping it', () => {
    const h = harness('reset_peer', { timeout: 10 });
    h.clock.advance(500);
    assert.deepEqual(h.events, []);
    h.write('x');
    h.clock.advance(10);
    assert.deepEqual(h.events, [{ what: 'reset', time: 1510 }]);
    assert.equal(h.pushed.length, 0);
  });

  it('timeout 0 resets as soon as data arrives', () => {
    const h = harness('reset_peer', { timeout: 0 });
    h.write('x');
    h.clock.advance(0);
    assert.deepEqual(
      h.events.map((e) => e.what),
      ['reset'],
    );
  });
});

describe('slicer', () => {
  it('cuts into slices of average_size ± size_variation with delay µs between', () => {
    const h = harness('slicer', { average_size: 10, size_variation: 4, delay: 1000 });
    h.stage.write(payload(1000), h.clock.now());
    h.clock.runAll();
    assert.deepEqual(h.bytes(), payload(1000));
    const sizes = h.pushed.map((p) => p.chunk.length);
    for (const s of sizes.slice(0, -1)) assert.ok(s >= 6 && s <= 14, `slice of ${s}`);
    for (let i = 1; i < h.pushed.length; i++) assert.equal(h.pushed[i]!.time - h.pushed[i - 1]!.time, 1);
  });

  it('rejects average_size 0 (Toxiproxy would crash on it)', () => {
    assert.throws(
      () => harness('slicer', { average_size: 0 }),
      (e: unknown) => e instanceof ProxyApiError && e.status === 400 && e.field === 'attributes.average_size',
    );
  });
});

describe('limit_data', () => {
  it('passes exactly `bytes` bytes and then closes', () => {
    const h = harness('limit_data', { bytes: 10 });
    h.write('12345');
    h.write('67890abc');
    h.write('more');
    assert.equal(String(h.bytes()), '1234567890');
    assert.deepEqual(
      h.events.map((e) => e.what),
      ['close'],
    );
  });

  it('an update raising the limit lets more through on the same connection', () => {
    const h = harness('limit_data', { bytes: 100 });
    h.write('abc');
    h.stage.update?.({ bytes: 4 });
    h.write('defg');
    assert.equal(String(h.bytes()), 'abcd');
    assert.deepEqual(
      h.events.map((e) => e.what),
      ['close'],
    );
  });
});

describe('attribute validation', () => {
  for (const def of toxicDefinitions()) {
    for (const [name, spec] of Object.entries(def.attributes)) {
      if (spec.kind !== 'integer') continue;
      it(`${def.type}.${name}: negative → 400 naming attributes.${name}`, () => {
        assert.throws(
          () => parseAttributes(def.attributes, { [name]: -1 }),
          (e: unknown) => e instanceof ProxyApiError && e.status === 400 && e.field === `attributes.${name}`,
        );
      });
      it(`${def.type}.${name}: a string → 400`, () => {
        assert.throws(
          () => parseAttributes(def.attributes, { [name]: '5' }),
          (e: unknown) => e instanceof ProxyApiError && e.status === 400,
        );
      });
    }
  }
});

describe('http (both stages on a fake clock)', () => {
  function pair(attributes: Record<string, unknown>, stream: 'upstream' | 'downstream' = 'downstream') {
    const def = getToxicDefinition('http')!;
    const clock = createFakeClock(0);
    const up: Pushed[] = [];
    const down: Pushed[] = [];
    const events: Harness['events'] = [];
    const upCtx = makeContext(clock, up, events, 'upstream', 1);
    const downCtx = {
      ...makeContext(clock, down, events, 'downstream', 1),
      detach: () => events.push({ what: 'detach-down', time: clock.now() }),
    };
    const stages = def.createPair!(
      { upstream: upCtx, downstream: downCtx, stream },
      parseAttributes(def.attributes, attributes),
    );
    return {
      clock,
      events,
      req: (s: string) => stages.upstream.write(Buffer.from(s), clock.now()),
      res: (s: string) => stages.downstream.write(Buffer.from(s), clock.now()),
      stages,
      upText: () => Buffer.concat(up.map((p) => p.chunk)).toString(),
      downText: () => Buffer.concat(down.map((p) => p.chunk)).toString(),
    };
  }
  const ok = (body: string) => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

  it('an answer owed after a forwarded request waits for that response, even across a removal', () => {
    const h = pair({ path: '/x', status: 503, delay: 10 });
    h.req('GET /a HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n');
    assert.equal(h.upText(), 'GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n');
    h.clock.advance(50);
    assert.equal(h.downText(), '', 'nothing before the first response');
    // Removed now: the response stage must still put the answer between the two responses, then leave.
    assert.equal(h.stages.upstream.flush(), true);
    assert.equal(h.stages.downstream.flush(), false);
    h.res(ok('A'));
    assert.match(
      h.downText(),
      /^HTTP\/1\.1 200 OK\r\nContent-Length: 1\r\n\r\nAHTTP\/1\.1 503 Service Unavailable\r\n/,
    );
    assert.deepEqual(
      h.events.map((e) => e.what),
      ['detach-down'],
    );
    h.res(ok('B'));
    assert.match(h.downText(), /\r\n\r\nB$/);
  });

  it('a request split across many chunks is still recognised and its body swallowed', () => {
    const h = pair({ method: 'POST', status: 201 });
    const wire = 'POST /p HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789GET /g HTTP/1.1\r\n\r\n';
    for (const ch of wire) h.req(ch);
    assert.equal(h.upText(), 'GET /g HTTP/1.1\r\n\r\n');
    assert.match(h.downText(), /^HTTP\/1\.1 201 Created\r\n/);
  });
});
