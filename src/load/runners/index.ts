/** Load runner runtimes for experiment files, one file per type; importing this registers them all. */
import './command.js';
import './http.js';

export { type RunnerContext, type RunnerSpec, registerRunnerRuntime, startRunner } from './registry.js';
