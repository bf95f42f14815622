/**
 * Every built-in load runner type, one file each, registered here once by name. The experiment schema, the
 * validator, the published JSON Schema and the engine ({@link startRunner}) all read this registry: a new runner
 * is a new file and one line below.
 */
import { Registry, type RunnerDefinition } from '../registry.js';
import { commandRunner } from './command.js';
import { httpRunner } from './http.js';

/** The built-in load runner types by name. */
export const runners = new Registry<RunnerDefinition>('load runner', [commandRunner, httpRunner]);
