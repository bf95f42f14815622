/**
 * `timeout`: stops all data in its direction and closes the connection `timeout` ms after the toxic started
 * acting on it; with `timeout: 0` the connection stays open and data is dropped until the toxic is removed.
 * Removing the toxic closes the connections whose data it dropped (their byte stream has a hole, as in
 * Toxiproxy); a connection it dropped nothing from carries on.
 */
import { registerToxic } from '../registry.js';
import { defineToxic } from '../toxic.js';

export const timeoutToxic = registerToxic(
  defineToxic({
    type: 'timeout',
    summary: 'Stops all data from getting through, and closes the connection after timeout (0: never).',
    attributes: {
      timeout: {
        kind: 'integer',
        default: 0,
        unit: 'ms',
        description: 'Close after this long; 0 holds forever.',
      },
    },
    create(ctx, initial) {
      let timer: ReturnType<typeof ctx.clock.setTimeout> | undefined;
      let dropped = false;
      const arm = (ms: number) => {
        ctx.clock.clearTimeout(timer);
        timer = ms > 0 ? ctx.clock.setTimeout(() => ctx.close(), ms) : undefined;
      };
      arm(initial.timeout);
      return {
        write() {
          dropped = true;
        },
        end() {
          ctx.close();
        },
        update(next) {
          arm(next.timeout);
        },
        flush() {
          ctx.clock.clearTimeout(timer);
          timer = undefined;
          if (dropped) ctx.close();
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
