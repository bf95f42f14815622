/**
 * `slow_close`: the end of the stream (the FIN) is passed on `delay` ms after it arrived; data flows unchanged.
 * With the default `downstream` stream, a server's close reaches the client late.
 */
import { registerToxic } from '../registry.js';
import { defineToxic } from '../toxic.js';

export const slowCloseToxic = registerToxic(
  defineToxic({
    type: 'slow_close',
    summary: 'Delays the TCP socket from closing until delay has elapsed.',
    attributes: {
      delay: { kind: 'integer', default: 0, unit: 'ms', description: 'How long to hold the close.' },
    },
    create(ctx, initial) {
      let delay = initial.delay;
      let timer: ReturnType<typeof ctx.clock.setTimeout> | undefined;
      let ended = false;
      return {
        write: (chunk, at) => ctx.push(chunk, at),
        end() {
          ended = true;
          timer = ctx.clock.setTimeout(() => {
            timer = undefined;
            ctx.end();
          }, delay);
        },
        update(next) {
          delay = next.delay;
        },
        flush() {
          if (timer !== undefined) {
            ctx.clock.clearTimeout(timer);
            timer = undefined;
            if (ended) ctx.end();
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
