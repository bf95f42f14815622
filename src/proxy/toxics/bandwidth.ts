/**
 * `bandwidth`: the direction becomes a serial link of `rate` KB/s (1 KB = 1000 bytes, as in Toxiproxy): bytes
 * leave in slices of about 10 ms worth, each slice no earlier than the previous one plus its transmission time,
 * so N bytes take N / rate ms end to end. `rate: 0` lets nothing through (Toxiproxy behaves the same way).
 */
import { registerToxic } from '../registry.js';
import { defineToxic } from '../toxic.js';

const attributes = {
  rate: {
    kind: 'integer',
    default: 0,
    unit: 'KB/s',
    description: 'Maximum rate in kilobytes (1000 bytes) per second.',
  },
} as const;

const MAX_SLICE = 64 * 1024;
const MAX_CATCH_UP_MS = 200;

export const bandwidthToxic = registerToxic(
  defineToxic({
    type: 'bandwidth',
    summary: 'Limits the connection to a maximum number of kilobytes per second.',
    attributes,
    create(ctx, initial) {
      let rate = initial.rate; // bytes per millisecond
      const queue: { chunk: Buffer; at: number }[] = [];
      let held = 0;
      let endPending = false;
      let linkFreeAt = Number.NEGATIVE_INFINITY; // when the previous slice finished "transmitting"
      let timer: ReturnType<typeof ctx.clock.setTimeout> | undefined;
      let slice: { chunk: Buffer; at: number } | undefined; // the slice in transmission

      const schedule = () => {
        if (timer !== undefined || rate <= 0) return;
        if (!slice) {
          const first = queue[0];
          if (!first) {
            if (endPending) {
              endPending = false;
              ctx.end();
            }
            return;
          }
          const size = Math.min(first.chunk.length, Math.max(1, Math.min(MAX_SLICE, rate * 10)));
          if (size === first.chunk.length) {
            queue.shift();
            slice = first;
          } else {
            slice = { chunk: first.chunk.subarray(0, size), at: first.at };
            first.chunk = first.chunk.subarray(size);
          }
        }
        const now = ctx.clock.now();
        // The link is busy from when it freed or the bytes arrived, whichever is later — not from when a
        // (possibly late) timer ran — so timer lateness does not add up over a long transfer. Catching up is
        // capped at MAX_CATCH_UP_MS of burst.
        const start = Math.max(linkFreeAt, slice.at, now - MAX_CATCH_UP_MS);
        const doneAt = start + slice.chunk.length / rate;
        timer = ctx.clock.setTimeout(() => {
          timer = undefined;
          const s = slice!;
          slice = undefined;
          linkFreeAt = doneAt;
          held -= s.chunk.length;
          ctx.push(s.chunk, s.at);
          schedule();
        }, doneAt - now);
      };

      return {
        write(chunk, at) {
          queue.push({ chunk, at });
          held += chunk.length;
          schedule();
        },
        end() {
          endPending = true;
          schedule();
        },
        update(next) {
          rate = next.rate;
          if (timer !== undefined) {
            ctx.clock.clearTimeout(timer);
            timer = undefined;
          }
          schedule();
        },
        flush() {
          ctx.clock.clearTimeout(timer);
          timer = undefined;
          if (slice) ctx.push(slice.chunk, slice.at);
          slice = undefined;
          for (const e of queue) ctx.push(e.chunk, e.at);
          queue.length = 0;
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
