/**
 * Heavy dependencies, loaded the first time they are used rather than when a module naming them is imported:
 * undici, ssh2, hdr-histogram-js and @mswjs/interceptors cost 40–150 ms of CPU each to load, and most CLI
 * commands (validate, halt, recover, seed, a dry run) never make a request, open SSH, record a latency or read a
 * calendar — nor does a program that imports faultline for `wrap`. All are CommonJS (or give `require` their
 * CommonJS build and are used only through here), so every user shares one instance.
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
export const cronParser = onFirstUse<typeof import('cron-parser')>('cron-parser');
export const mswInterceptors = onFirstUse<typeof import('@mswjs/interceptors')>('@mswjs/interceptors');
export const mswClientRequest = onFirstUse<typeof import('@mswjs/interceptors/ClientRequest')>(
  '@mswjs/interceptors/ClientRequest',
);
