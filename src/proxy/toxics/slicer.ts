/**
 * `slicer`: cuts each chunk into slices of `average_size` ± `size_variation` bytes (sizes drawn from the
 * connection's seeded stream), written one by one with `delay` microseconds after each — small TCP segments
 * that shake out parsers assuming one read is one message. Bytes and their order are unchanged.
 */
import { badRequestBody } from '../errors.js';
import { registerToxic } from '../registry.js';
import { defineToxic } from '../toxic.js';
import { HeldChunks } from './held-chunks.js';

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
      const held = new HeldChunks(ctx);

      const nextSize = (left: number) => {
        let size = attrs.average_size;
        if (attrs.size_variation > 0) size += ctx.random.nextInt(-attrs.size_variation, attrs.size_variation);
        return Math.min(left, Math.max(1, size));
      };

      const pump = () => {
        for (let e = held.peek(); e !== undefined; e = held.peek()) {
          const piece = held.take(nextSize(e.chunk.length));
          ctx.push(piece.chunk, piece.at);
          if (attrs.delay > 0) {
            held.setTimer(pump, attrs.delay / 1000);
            return;
          }
        }
        held.endIfEmpty();
      };

      return {
        write(chunk, at) {
          held.add(chunk, at);
          if (!held.timing) pump();
        },
        end() {
          held.endPending = true;
          if (!held.timing) pump();
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
