/**
 * `latency`: every chunk is held `latency` ± `jitter` ms after the proxy read it. Chunks keep their order — a
 * chunk never overtakes one read before it, as on a real link — and the delay counts from when the proxy read
 * the bytes, so back-to-back chunks are not delayed cumulatively. The jitter draw for a chunk is uniform over
 * [-jitter, jitter) whole milliseconds from the connection's seeded stream.
 */
import { registerToxic } from '../registry.js';
import { defineToxic } from '../toxic.js';
import { HeldChunks } from './held-chunks.js';

const attributes = {
  latency: { kind: 'integer', default: 0, unit: 'ms', description: 'Delay added to every chunk.' },
  jitter: {
    kind: 'integer',
    default: 0,
    unit: 'ms',
    description: 'Random variation: the delay is latency ± jitter.',
  },
} as const;

export const latencyToxic = registerToxic(
  defineToxic({
    type: 'latency',
    summary: 'Adds a delay to all data going through the proxy: latency ± jitter milliseconds.',
    attributes,
    create(ctx, initial) {
      let attrs = initial;
      const held = new HeldChunks(ctx); // each chunk's `at` is when it is due
      let lastDue = Number.NEGATIVE_INFINITY;

      const release = () => {
        const now = ctx.clock.now();
        for (let e = held.peek(); e !== undefined && e.at <= now; e = held.peek()) {
          held.take();
          ctx.push(e.chunk, e.at);
        }
        const next = held.peek();
        if (next) held.setTimer(release, next.at - now);
        else held.endIfEmpty();
      };

      return {
        write(chunk, at) {
          let delay = attrs.latency;
          if (attrs.jitter > 0) delay += ctx.random.nextInt(-attrs.jitter, attrs.jitter - 1);
          const due = Math.max(at + delay, lastDue);
          lastDue = due;
          held.add(chunk, due);
          if (!held.timing) held.setTimer(release, due - ctx.clock.now());
        },
        end() {
          held.endPending = true;
          held.endIfEmpty();
        },
        update(next) {
          attrs = next;
        },
        flush: () => held.flush(),
        destroy: () => held.destroy(),
        buffered: () => held.bytes,
      };
    },
  }),
);
