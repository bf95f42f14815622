/** The conformance harness of each disruptor, by its registered name. */
import { commandHarness } from './command.js';
import { failpointHarness } from './failpoint.js';
import { httpHarness } from './http.js';
import { processKillHarness, processPauseHarness, processRestartHarness } from './process.js';
import { proxyToxicHarness } from './proxy-toxic.js';
import type { DisruptorHarness } from './types.js';

export type { ConformanceCase, DisruptorHarness } from './types.js';

export const harnesses: Readonly<Record<string, DisruptorHarness>> = {
  'process.kill': processKillHarness,
  'process.pause': processPauseHarness,
  'process.restart': processRestartHarness,
  'proxy.toxic': proxyToxicHarness,
  failpoint: failpointHarness,
  command: commandHarness,
  http: httpHarness,
};
