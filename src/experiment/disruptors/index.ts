/** Every built-in disruptor type, one file each; add a type by adding its file and listing it here. */

import { commandDisruptor } from '../../plugins/disruptors/command.js';
import { httpDisruptor } from '../../plugins/disruptors/http.js';
import { proxyToxic } from '../../plugins/disruptors/proxy-toxic.js';
import { type DisruptorDefinition, Registry } from '../../plugins/registry.js';
import { failpoint } from './failpoint.js';
import { processKill } from './process-kill.js';
import { processPause } from './process-pause.js';
import { processRestart } from './process-restart.js';

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
