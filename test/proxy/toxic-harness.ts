/** Runs one toxic stage on a fake clock, recording what it pushes and does — no sockets, no sleeping. */
import { randomStream } from '../../src/core/random.js';
import {
  createFakeClock,
  type FakeClock,
  getToxicDefinition,
  parseAttributes,
  type StreamDirection,
  type ToxicContext,
  type ToxicStage,
} from '../../src/proxy/index.js';

export interface Pushed {
  chunk: Buffer;
  at: number;
  /** Clock time when it was pushed. */
  time: number;
}

export interface Harness {
  stage: ToxicStage;
  clock: FakeClock;
  pushed: Pushed[];
  /** 'end' | 'close' | 'reset' | 'detach', in order, with clock time. */
  events: { what: string; time: number }[];
  bytes(): Buffer;
  write(data: Buffer | string): void;
}

export function makeContext(
  clock: FakeClock,
  pushed: Pushed[],
  events: Harness['events'],
  direction: StreamDirection,
  seed: number,
): ToxicContext {
  return {
    proxy: 'p',
    toxic: 't',
    direction,
    connection: 0,
    random: randomStream(seed).fork(`proxy/p/t/conn-0/${direction}`),
    clock,
    push: (chunk, at) => pushed.push({ chunk, at, time: clock.now() }),
    end: () => events.push({ what: 'end', time: clock.now() }),
    close: () => events.push({ what: 'close', time: clock.now() }),
    reset: () => events.push({ what: 'reset', time: clock.now() }),
    detach: () => events.push({ what: 'detach', time: clock.now() }),
  };
}

export function harness(
  type: string,
  attributes: Record<string, unknown>,
  options: { direction?: StreamDirection; seed?: number } = {},
): Harness {
  const def = getToxicDefinition(type);
  if (!def?.create) throw new Error(`no one-sided toxic ${type}`);
  const clock = createFakeClock(1000);
  const pushed: Pushed[] = [];
  const events: Harness['events'] = [];
  const ctx = makeContext(clock, pushed, events, options.direction ?? 'downstream', options.seed ?? 1);
  const attrs = parseAttributes(def.attributes, attributes);
  def.validate?.(attrs);
  const stage = def.create(ctx, attrs) as ToxicStage;
  return {
    stage,
    clock,
    pushed,
    events,
    bytes: () => Buffer.concat(pushed.map((p) => p.chunk)),
    write: (data) => stage.write(Buffer.from(data), clock.now()),
  };
}
