/** `command` monitor harness: real processes that answer late, cannot start, or never exit. */

import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MonitorHarness, until } from './monitor.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function commandHarness(): Promise<MonitorHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'faultline-monitor-'));
  let n = 0;
  return {
    async delayed(delayMs) {
      // the process writes the moment it answers (epoch ms) before it prints its value and exits
      const at = join(dir, `answered-${++n}`);
      return {
        options: { command: `sleep ${delayMs / 1000}; date +%s%3N > '${at}'; echo 7`, value: '(\\d+)' },
        answeredAt: () => {
          try {
            return Number(readFileSync(at, 'utf8').trim());
          } catch {
            return undefined;
          }
        },
      };
    },
    async down() {
      // a program that does not exist: spawn fails, which must be a down sample, not a throw
      return { command: [join(dir, 'no-such-program')] };
    },
    async silent() {
      const pidFile = join(dir, `pid-${++n}`);
      return {
        options: { command: `echo $$ > '${pidFile}'; exec sleep 60` },
        async released() {
          const pid = Number((await readFile(pidFile, 'utf8')).trim());
          await until(() => !alive(pid), 2000, `process ${pid} killed`);
        },
      };
    },
    bad: [
      { options: { command: '' }, field: 'command' },
      { options: { command: 'true', exit_code: 300 }, field: 'exit_code' },
      { options: { command: 'true', value: '(' }, field: 'value' },
    ],
    close: () => rm(dir, { recursive: true, force: true }),
  };
}
