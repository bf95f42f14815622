/**
 * Small schemas several definitions share: commands (a shell line or an argv list), HTTP requests, signals.
 */
import { z } from 'zod';
import { durationSchema } from './duration.js';

/** A shell command line (run with /bin/sh -c) or an argv list (run directly). */
export const commandSchema = z
  .union([z.string().min(1), z.array(z.string()).min(1)])
  .meta({ description: 'A shell command line, or an argv list run without a shell.' });

/** Signals a disruptor may send. */
/**
 * Which processes a process fault acts on: `group` (the instance's process group: a wrapper such as `sh -c` or
 * `npm start` and the server it spawned), `tree` (the process and its descendants) or `pid` (the process alone).
 */
export const processScopeSchema = z
  .enum(['group', 'tree', 'pid'])
  .describe(
    'Which processes the fault acts on: group (default for owned targets: the whole process group faultline started), tree (the process and its descendants), pid (the process alone; default for attached targets).',
  );

export const signalSchema = z.enum([
  'SIGKILL',
  'SIGTERM',
  'SIGINT',
  'SIGHUP',
  'SIGQUIT',
  'SIGUSR1',
  'SIGUSR2',
]);

/** An HTTP call made by a disruptor or a monitor. */
export const httpCallSchema = z.strictObject({
  url: z
    .string()
    .min(1)
    .describe('The URL; {{instance}}, {{pid}} and {{ports.NAME}} are replaced per instance.'),
  method: z.string().default('POST').describe('HTTP method (default POST).'),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
  timeout: durationSchema.default('5s').describe('Give up after this long (default 5s).'),
});

/** Environment variables; numbers and booleans (e.g. a whole-value `${param}`) become their text. */
export const envSchema = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String))
  .meta({ description: 'Environment variables: name → value (numbers and booleans are written as text).' });
