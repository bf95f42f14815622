/**
 * Heavy dependencies, loaded the first time they are used rather than when a module naming them is imported:
 * undici, ssh2 and hdr-histogram-js cost 70–150 ms of CPU each to load, and most CLI commands (validate, halt,
 * recover, seed, a dry run) never make a request, open SSH or record a latency. All three are CommonJS, so a
 * require gives the same instance an `import` would.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function onFirstUse<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => {
    loaded ??= require(id) as T;
    return loaded;
  };
}

export const undici = onFirstUse<typeof import('undici')>('undici');
export const ssh2 = onFirstUse<typeof import('ssh2')>('ssh2');
export const hdrHistogram = onFirstUse<typeof import('hdr-histogram-js')>('hdr-histogram-js');
