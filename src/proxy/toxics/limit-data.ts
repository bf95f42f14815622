/**
 * `limit_data`: passes the first `bytes` bytes of its direction and then closes the connection — the peer
 * receives exactly `bytes` bytes and then the end of the stream. The count lives as long as the connection, so
 * raising `bytes` later lets more through.
 */
import { registerToxic } from '../registry.js';
import { defineToxic } from '../toxic.js';

export const limitDataToxic = registerToxic(
  defineToxic({
    type: 'limit_data',
    summary: 'Closes the connection when transmitted data exceeded the limit.',
    attributes: {
      bytes: { kind: 'integer', default: 0, unit: 'bytes', description: 'Bytes to pass before closing.' },
    },
    create(ctx, initial) {
      let limit = initial.bytes;
      let sent = 0;
      let closing = false;
      return {
        write(chunk, at) {
          if (closing) return;
          const left = limit - sent;
          if (left > 0) {
            const piece = chunk.length > left ? chunk.subarray(0, left) : chunk;
            sent += piece.length;
            ctx.push(piece, at);
          }
          if (sent >= limit) {
            closing = true;
            ctx.close();
          }
        },
        end: () => ctx.end(),
        update(next) {
          limit = next.bytes;
        },
        flush: () => true,
      };
    },
  }),
);
