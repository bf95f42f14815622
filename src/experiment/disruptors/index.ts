/** Every built-in disruptor type, one file each; add a type by adding its file and listing it here. */
import { type DisruptorDefinition, Registry } from '../../plugins/registry.js';
import { commandDisruptor } from './command.js';
import { failpoint } from './failpoint.js';
import { httpDisruptor } from './http.js';
import { processKill } from './process-kill.js';
import { processPause } from './process-pause.js';
import { processRestart } from './process-restart.js';
import { proxyToxic } from './proxy-toxic.js';

/** The built-in disruptor types by name. */
export const disruptors = new Registry<DisruptorDefinition>('disruptor', [
  processKill,
  processPause,
  processRestart,
  proxyToxic,
  failpoint,
  commandDisruptor,
  httpDisruptor,
]);
