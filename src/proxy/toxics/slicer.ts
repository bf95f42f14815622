/**
 * `slicer`: cuts each chunk into slices of `average_size` ± `size_variation` bytes (sizes drawn from the
 * connection's seeded stream), written one by one with `delay` microseconds after each — small TCP segments
 * that shake out parsers assuming one read is one message. Bytes and their order are unchanged.
 */
import { badRequestBody } from '../errors.js';
import { registerToxic } from '../registry.js';
import { defineToxic } from '../toxic.js';

const attributes = {
  average_size: {
    kind: 'integer',
    default: 0,
    unit: 'bytes',
    description: 'Average size of a slice (at least 1).',
  },
  size_variation: {
    kind: 'integer',
    default: 0,
    unit: 'bytes',
    description: 'Slices vary by up to this much (should be smaller than average_size).',
  },
  delay: { kind: 'integer', default: 0, unit: 'µs', description: 'Pause after each slice, in microseconds.' },
} as const;

export const slicerToxic = registerToxic(
  defineToxic({
    type: 'slicer',
    summary: 'Slices TCP data up into small bits, optionally adding a delay between each sliced "packet".',
    attributes,
    validate(a) {
      if (a.average_size < 1) throw badRequestBody('attributes.average_size', 'must be at least 1');
    },
    create(ctx, initial) {
      let attrs = initial;
      const queue: { chunk: Buffer; at: number }[] = [];
      let held = 0;
      let endPending = false;
      let timer: ReturnType<typeof ctx.clock.setTimeout> | undefined;

      const nextSize = (left: number) => {
        let size = attrs.average_size;
        if (attrs.size_variation > 0) size += ctx.random.nextInt(-attrs.size_variation, attrs.size_variation);
        return Math.min(left, Math.max(1, size));
      };

      const pump = () => {
        timer = undefined;
        while (queue.length > 0) {
          const e = queue[0]!;
          const size = nextSize(e.chunk.length);
          const piece = e.chunk.subarray(0, size);
          if (size === e.chunk.length) queue.shift();
          else e.chunk = e.chunk.subarray(size);
          held -= size;
          ctx.push(piece, e.at);
          if (attrs.delay > 0) {
            timer = ctx.clock.setTimeout(pump, attrs.delay / 1000);
            return;
          }
        }
        if (endPending) {
          endPending = false;
          ctx.end();
        }
      };

      return {
        write(chunk, at) {
          queue.push({ chunk, at });
          held += chunk.length;
          if (timer === undefined) pump();
        },
        end() {
          endPending = true;
          if (timer === undefined) pump();
        },
        update(next) {
          attrs = next;
        },
        flush() {
          ctx.clock.clearTimeout(timer);
          timer = undefined;
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
