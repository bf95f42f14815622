/**
 * `latency`: every chunk is held `latency` ± `jitter` ms after the proxy read it. Chunks keep their order — a
 * chunk never overtakes one read before it, as on a real link — and the delay counts from when the proxy read
 * the bytes, so back-to-back chunks are not delayed cumulatively. The jitter draw for a chunk is uniform over
 * [-jitter, jitter) whole milliseconds from the connection's seeded stream.
 */
import { registerToxic } from '../registry.js';
import { defineToxic } from '../toxic.js';

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
      const queue: { chunk: Buffer; due: number }[] = [];
      let head = 0;
      let held = 0;
      let lastDue = Number.NEGATIVE_INFINITY;
      let endPending = false;
      let timer: ReturnType<typeof ctx.clock.setTimeout> | undefined;

      const release = () => {
        timer = undefined;
        const now = ctx.clock.now();
        while (head < queue.length && queue[head]!.due <= now) {
          const e = queue[head++]!;
          held -= e.chunk.length;
          ctx.push(e.chunk, e.due);
        }
        if (head === queue.length) {
          queue.length = 0;
          head = 0;
          if (endPending) {
            endPending = false;
            ctx.end();
          }
        } else {
          timer = ctx.clock.setTimeout(release, queue[head]!.due - now);
        }
      };

      return {
        write(chunk, at) {
          let delay = attrs.latency;
          if (attrs.jitter > 0) delay += ctx.random.nextInt(-attrs.jitter, attrs.jitter - 1);
          const due = Math.max(at + delay, lastDue);
          lastDue = due;
          queue.push({ chunk, due });
          held += chunk.length;
          if (timer === undefined) timer = ctx.clock.setTimeout(release, due - ctx.clock.now());
        },
        end() {
          if (head === queue.length) ctx.end();
          else endPending = true;
        },
        update(next) {
          attrs = next;
        },
        flush() {
          ctx.clock.clearTimeout(timer);
          timer = undefined;
          while (head < queue.length) {
            const e = queue[head++]!;
            ctx.push(e.chunk, e.due);
          }
          queue.length = 0;
          head = 0;
          held = 0;
          if (endPending) {
            endPending = false;
            ctx.end();
          }
          return true;
        },
        destroy() {
          ctx.clock.clearTimeout(timer);
          timer = undefined;
          queue.length = 0;
        },
        buffered: () => held,
      };
    },
  }),
);
