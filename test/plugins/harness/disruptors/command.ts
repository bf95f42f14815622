/** Harness for command: the inject command creates a flag file, the revert command removes it. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DisruptorHarness } from './types.js';

export const commandHarness: DisruptorHarness = {
  async start() {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-conformance-cmd-'));
    const flag = join(dir, 'flag');
    return {
      instance: { id: 'api-0' },
      // `rm -f`: a revert command that is idempotent itself, as the docs ask of one
      options: { inject: ['touch', flag], revert: ['rm', '-f', flag] },
      faulted: () => existsSync(flag),
      restored: () => !existsSync(flag),
      vanish: async () => rmSync(flag, { force: true }),
      close: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
  badOption: { options: { inject: ['true'], timeout: 'forever' }, field: 'with.timeout' },
};
