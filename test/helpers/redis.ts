/**
 * Starts a real redis-server (the Debian package) on a free loopback port for one test file, with no
 * persistence, and stops it afterwards. Tests that need Redis skip loudly only when the binary is missing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { freePort } from '../../src/experiment/free-port.js';

export { freePort };

export const REDIS_BIN = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));

export interface RedisServer {
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts redis-server and resolves once it accepts connections (it says so on stdout). */
export async function startRedis(): Promise<RedisServer> {
  if (!REDIS_BIN) throw new Error('redis-server is not installed (apt-get install redis-server)');
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const child = spawn(
      REDIS_BIN,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--loglevel',
        'notice',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const ready = await new Promise<boolean>((resolve) => {
      child.stdout!.on('data', (d: Buffer) => {
        output += d.toString();
        if (output.includes('Ready to accept connections')) resolve(true);
      });
      child.once('exit', () => resolve(false));
    });
    if (ready) {
      return {
        port,
        process: child,
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          await once(child, 'exit');
        },
      };
    }
    if (!output.includes('Address already in use')) throw new Error(`redis-server did not start:\n${output}`);
  }
  throw new Error('redis-server: no free port after 5 attempts');
}
