/**
 * `reset_peer`: when data (or the end) next arrives in its direction, drops it and, `timeout` ms later, resets
 * the connection — a TCP RST to both the client and the upstream, so the client reads ECONNRESET. As in
 * Toxiproxy, the countdown starts at the first arrival, not at connect.
 */
import { registerToxic } from '../registry.js';
import { defineToxic } from '../toxic.js';

export const resetPeerToxic = registerToxic(
  defineToxic({
    type: 'reset_peer',
    summary: 'Resets the connection (TCP RST) when data arrives, immediately or after timeout.',
    attributes: {
      timeout: { kind: 'integer', default: 0, unit: 'ms', description: 'Wait this long after data arrives.' },
    },
    create(ctx, initial) {
      let timeout = initial.timeout;
      let triggered = false;
      let timer: ReturnType<typeof ctx.clock.setTimeout> | undefined;
      const trigger = () => {
        if (triggered) return;
        triggered = true;
        timer = ctx.clock.setTimeout(() => {
          timer = undefined;
          ctx.reset();
        }, timeout);
      };
      return {
        write: trigger,
        end: trigger,
        update(next) {
          timeout = next.timeout;
        },
        flush() {
          // Data was already dropped: the stream cannot be repaired, so a triggered reset goes ahead now.
          if (timer !== undefined) {
            ctx.clock.clearTimeout(timer);
            timer = undefined;
            ctx.reset();
          }
          return true;
        },
        destroy() {
          ctx.clock.clearTimeout(timer);
          timer = undefined;
        },
      };
    },
  }),
);
