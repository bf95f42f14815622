/** Every built-in load runner type, one file each. */
import { Registry, type RunnerDefinition } from '../../plugins/registry.js';
import { commandRunner } from './command.js';
import { httpRunner } from './http.js';

/** The built-in load runner types by name. */
export const runners = new Registry<RunnerDefinition>('load runner', [commandRunner, httpRunner]);
