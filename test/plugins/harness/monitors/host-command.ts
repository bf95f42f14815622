/**
 * `host.command` monitor harness, on the one-host bed of host.conformance.test.ts: checks run on the host over
 * SSH that answer late, report CRITICAL as a Nagios plug-in (check_tcp on a closed port), or never exit.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostBed } from '../host-bed.js';
import { type MonitorHarness, until } from './monitor.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const hostCommandHarness = (bed: () => HostBed) => async (): Promise<MonitorHarness> => {
  const hosts = [bed().ref.name];
  // the host shares this machine's filesystem: what the check writes is read here
  const dir = await mkdtemp(join(tmpdir(), 'faultline-host-monitor-'));
  let n = 0;
  return {
    async delayed(delayMs) {
      const at = join(dir, `answered-${++n}`);
      return {
        options: {
          hosts,
          command: `sleep ${delayMs / 1000}; date +%s%3N > '${at}'; echo 7`,
          value: '(\\d+)',
        },
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
      // a Nagios plug-in reporting CRITICAL: nothing listens on port 1 of the host
      return { hosts, nagios: true, command: '/usr/lib/nagios/plugins/check_tcp -H 127.0.0.1 -p 1' };
    },
    async silent() {
      const pidFile = join(dir, `pid-${++n}`);
      return {
        options: { hosts, command: `echo $$ > '${pidFile}'; exec sleep 60` },
        async released() {
          const pid = Number((await readFile(pidFile, 'utf8')).trim());
          // by the host's own `timeout`, a second after the sample's
          await until(() => !alive(pid), 5000, `process ${pid} on the host killed`);
        },
      };
    },
    bad: [
      { options: { hosts, command: '' }, field: 'command' },
      { options: { hosts, command: 'true', nagios: 'yes' }, field: 'nagios' },
      { options: { hosts, command: 'true', value: '(' }, field: 'value' },
    ],
    close: () => rm(dir, { recursive: true, force: true }),
  };
};
