/**
 * `bandwidth`: the direction becomes a serial link of `rate` KB/s (1 KB = 1000 bytes, as in Toxiproxy): bytes
 * leave in slices of about 10 ms worth, each slice no earlier than the previous one plus its transmission time,
 * so N bytes take N / rate ms end to end. `rate: 0` lets nothing through (Toxiproxy behaves the same way).
 */
import { registerToxic } from '../registry.js';
import { defineToxic } from '../toxic.js';
import { HeldChunks } from './held-chunks.js';

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
      const held = new HeldChunks(ctx);
      let linkFreeAt = Number.NEGATIVE_INFINITY; // when the previous slice finished "transmitting"
      let sliceBytes = 0; // the front bytes in transmission (0: none yet)

      const schedule = () => {
        if (held.timing || rate <= 0) return;
        const first = held.peek();
        if (!first) {
          held.endIfEmpty();
          return;
        }
        if (sliceBytes === 0) {
          sliceBytes = Math.min(first.chunk.length, Math.max(1, Math.min(MAX_SLICE, rate * 10)));
        }
        const now = ctx.clock.now();
        // The link is busy from when it freed or the bytes arrived, whichever is later — not from when a
        // (possibly late) timer ran — so timer lateness does not add up over a long transfer. Catching up is
        // capped at MAX_CATCH_UP_MS of burst.
        const start = Math.max(linkFreeAt, first.at, now - MAX_CATCH_UP_MS);
        const doneAt = start + sliceBytes / rate;
        held.setTimer(() => {
          const slice = held.take(sliceBytes);
          sliceBytes = 0;
          linkFreeAt = doneAt;
          ctx.push(slice.chunk, slice.at);
          schedule();
        }, doneAt - now);
      };

      return {
        write(chunk, at) {
          held.add(chunk, at);
          schedule();
        },
        end() {
          held.endPending = true;
          schedule();
        },
        update(next) {
          rate = next.rate;
          held.clearTimer();
          schedule();
        },
        flush: () => held.flush(),
        destroy: () => held.destroy(),
        buffered: () => held.bytes,
      };
    },
  }),
);
