/**
 * `faultline proxy [--host 127.0.0.1] [--port 8474] [--config proxies.json] [--seed N]`: runs the
 * Toxiproxy-compatible proxy server in the foreground until SIGINT/SIGTERM. The seed is printed at start so a
 * run's toxicity decisions can be replayed with `--seed`.
 */
import type { Command } from 'commander';
import { InvalidOptionError } from '../../core/errors.js';
import { createProxyServer } from '../../proxy/index.js';

interface ProxyCliOptions {
  host: string;
  port: string;
  config?: string;
  seed?: string;
}

function parsePort(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) {
    throw new InvalidOptionError('--port', `must be an integer from 0 to 65535; got '${text}'`);
  }
  return Number(text);
}

function parseSeed(text: string | undefined): bigint | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim()))
    throw new InvalidOptionError('--seed', `must be a non-negative integer; got '${text}'`);
  return BigInt(text.trim());
}

/** Registers `faultline proxy`. */
export function registerProxyCommand(program: Command): void {
  program
    .command('proxy')
    .description('Run a TCP proxy with toxics behind a Toxiproxy-compatible HTTP API.')
    .option('--host <host>', 'API listen host', '127.0.0.1')
    .option('--port <port>', 'API listen port', '8474')
    .option('--config <file>', 'JSON file of proxies to create at start (Toxiproxy -config format)')
    .option('--seed <n>', 'seed for toxicity and toxic randomness (default: random, printed)')
    .action(async (opts: ProxyCliOptions) => {
      const server = createProxyServer({
        host: opts.host,
        port: parsePort(opts.port),
        seed: parseSeed(opts.seed),
        config: opts.config,
      });
      const address = await server.listen();
      process.stdout.write(`faultline proxy: API on ${address.url} (seed ${server.seed})\n`);
      for (const p of Object.values(server.listProxies())) {
        process.stdout.write(`  ${p.name}: ${p.listen} -> ${p.upstream}${p.enabled ? '' : ' (disabled)'}\n`);
      }
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await server.close();
      process.stdout.write('faultline proxy: stopped\n');
    });
}
