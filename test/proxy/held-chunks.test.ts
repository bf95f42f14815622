/** The queue behind the timed toxics: order, partial takes, the end behind the bytes, and no slot kept forever. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createFakeClock } from '../../src/proxy/index.js';
import { HeldChunks } from '../../src/proxy/toxics/held-chunks.js';
import { makeContext, type Pushed } from './toxic-harness.js';

function setup() {
  const clock = createFakeClock(0);
  const pushed: Pushed[] = [];
  const events: { what: string; time: number }[] = [];
  const held = new HeldChunks(makeContext(clock, pushed, events, 'downstream', 1));
  return { clock, pushed, events, held };
}

it('takes whole chunks and pieces in order, counting the bytes held', () => {
  const { held } = setup();
  held.add(Buffer.from('abcdef'), 1);
  held.add(Buffer.from('gh'), 2);
  assert.equal(held.bytes, 8);
  assert.deepEqual(held.take(4), { chunk: Buffer.from('abcd'), at: 1 });
  assert.equal(held.bytes, 4);
  assert.deepEqual(held.take(), { chunk: Buffer.from('ef'), at: 1 });
  assert.deepEqual(held.take(99), { chunk: Buffer.from('gh'), at: 2 });
  assert.equal(held.bytes, 0);
  assert.equal(held.peek(), undefined);
});

it('passes the end on only once nothing is held, and flush pushes everything before it', () => {
  const { held, pushed, events } = setup();
  held.add(Buffer.from('xy'), 5);
  held.endPending = true;
  assert.equal(held.endIfEmpty(), false);
  assert.equal(events.length, 0);
  held.take(1);
  assert.equal(held.flush(), true);
  assert.deepEqual(
    pushed.map((p) => [p.chunk.toString(), p.at]),
    [['y', 5]],
  );
  assert.deepEqual(
    events.map((e) => e.what),
    ['end'],
  );
  assert.equal(held.endPending, false);
});

it('a timer replaces the one before it; destroy cancels it and drops what is held', () => {
  const { held, clock, pushed } = setup();
  let fired = '';
  held.setTimer(() => (fired += 'a'), 5);
  held.setTimer(() => (fired += 'b'), 10);
  assert.equal(held.timing, true);
  clock.advance(20);
  assert.equal(fired, 'b');
  assert.equal(held.timing, false);
  held.add(Buffer.from('z'), 0);
  held.setTimer(() => (fired += 'c'), 1);
  held.destroy();
  clock.advance(5);
  assert.equal(fired, 'b');
  assert.equal(held.bytes, 0);
  assert.equal(held.flush(), true);
  assert.deepEqual(pushed, []);
});

it('under traffic that never lets the queue empty, released chunks are not kept', () => {
  const { held } = setup();
  // Each round adds two chunks and releases one: the queue never empties and grows by one a round.
  let next = 0;
  let maxSlots = 0;
  for (let round = 0; round < 5000; round++) {
    for (let k = 0; k < 2; k++) held.add(Buffer.from([next++ % 256]), round);
    held.take();
    maxSlots = Math.max(maxSlots, held.slots);
  }
  assert.equal(held.bytes, 5000);
  // Without compaction the array would hold all 10,000 chunks; released slots are dropped as it goes.
  assert.ok(held.slots <= 2 * 5000 && held.slots < 10_000, `${held.slots} slots for 5000 chunks held`);
  assert.ok(maxSlots < 10_000, `at most ${maxSlots} slots`);
  // Order survives compaction: what is left is chunks 5000..9999.
  for (let i = 5000; i < 10_000; i++) assert.equal(held.take().chunk[0], i % 256);
  assert.equal(held.peek(), undefined);
  assert.equal(held.slots, 0);
});
