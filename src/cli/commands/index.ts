/** Every sub-command, one file each; add a command by adding its registrar here. */
import type { Command } from 'commander';
import { registerExploreCommand } from './explore.js';
import { registerFailpointCommand } from './failpoint.js';
import { registerHaltCommand } from './halt.js';
import { registerInitCommand } from './init.js';
import { registerLoad } from './load.js';
import { registerProxyCommand } from './proxy.js';
import { registerRecoverCommand } from './recover.js';
import { registerReportCommand } from './report.js';
import { registerRunCommand } from './run.js';
import { registerSuiteCommand } from './suite.js';
import { registerValidateCommand } from './validate.js';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  registerExploreCommand,
  registerFailpointCommand,
  registerHaltCommand,
  registerInitCommand,
  registerLoad,
  registerProxyCommand,
  registerRecoverCommand,
  registerReportCommand,
  registerRunCommand,
  registerSuiteCommand,
  registerValidateCommand,
];
