/**
 * `faultline proxy [--host 127.0.0.1] [--port 8474] [--config proxies.json] [--proxy NAME=LISTEN=UPSTREAM]...
 * [--seed N]`: runs the Toxiproxy-compatible proxy server in the foreground until SIGINT/SIGTERM. The seed is
 * printed at start so a run's toxicity decisions can be replayed with `--seed`. `--proxy` lets an experiment
 * start the proxy as a process of its own with every port templated on the command line, no config file needed.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { FaultlineError, InvalidOptionError } from '../../core/errors.js';
import { parseHostPort } from '../../proxy/address.js';
import { createProxyServer, type ProxyServer } from '../../proxy/index.js';

interface ProxyCliOptions {
  host: string;
  port: string;
  config?: string;
  proxy?: string[];
  seed?: string;
}

/** One `--proxy` value. */
export interface ProxyOption {
  name: string;
  listen: string;
  upstream: string;
}

const PROXY_SYNTAX = 'NAME=LISTEN=UPSTREAM (e.g. store=127.0.0.1:0=127.0.0.1:6000)';

/** Parses `NAME=LISTEN=UPSTREAM`; `=` cannot occur in a host:port, so the split is unambiguous. */
export function parseProxyOption(text: string): ProxyOption {
  const parts = text.split('=').map((p) => p.trim());
  if (parts.length !== 3 || parts.some((p) => p === '')) {
    throw new InvalidOptionError('--proxy', `expected ${PROXY_SYNTAX}; got '${text}'`);
  }
  const [name, listen, upstream] = parts as [string, string, string];
  for (const [field, value] of [
    ['LISTEN', listen],
    ['UPSTREAM', upstream],
  ] as const) {
    const hp = parseHostPort(value);
    if (typeof hp === 'string') {
      throw new InvalidOptionError('--proxy', `${field} in '${text}' must be host:port (${hp})`);
    }
    if (field === 'UPSTREAM' && hp.port === 0) {
      throw new InvalidOptionError('--proxy', `UPSTREAM in '${text}' must not have port 0`);
    }
  }
  return { name, listen, upstream };
}

/** Names the `--config` file defines; an unreadable or invalid file is left for the server to report. */
async function configNames(file: string | undefined): Promise<Set<string>> {
  if (file === undefined) return new Set();
  try {
    const list: unknown = JSON.parse(await readFile(file, 'utf8'));
    if (!Array.isArray(list)) return new Set();
    return new Set(
      list.map((p) => (p as { name?: unknown } | null)?.name).filter((n) => typeof n === 'string'),
    );
  } catch {
    return new Set();
  }
}

/**
 * Creates the `--proxy` proxies, then loads `--config` and starts the API: once the API answers, every proxy
 * exists, so a client that waits for the API can add toxics straight away. A name given twice (in `--proxy` or
 * in both places) is refused rather than one silently replacing the other.
 */
async function start(server: ProxyServer, opts: ProxyCliOptions, extra: ProxyOption[]): Promise<void> {
  const inConfig = await configNames(opts.config);
  const seen = new Set<string>();
  for (const { name } of extra) {
    if (seen.has(name)) throw new InvalidOptionError('--proxy', `proxy '${name}' is given twice`);
    if (inConfig.has(name)) {
      throw new InvalidOptionError('--proxy', `proxy '${name}' is also defined in --config ${opts.config}`);
    }
    seen.add(name);
  }
  try {
    for (const p of extra) {
      try {
        await server.createProxy(p);
      } catch (err) {
        if (!(err instanceof FaultlineError)) throw err;
        throw new InvalidOptionError('--proxy', `${p.name}=${p.listen}=${p.upstream}: ${err.message}`);
      }
    }
    await server.listen();
  } catch (err) {
    await server.close();
    throw err;
  }
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
    .option(
      '--proxy <name=listen=upstream>',
      'create a proxy at start, e.g. store=127.0.0.1:0=127.0.0.1:6000 (repeatable; listen port 0 picks a free port, shown at start)',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option('--seed <n>', 'seed for toxicity and toxic randomness (default: random, printed)')
    .action(async (opts: ProxyCliOptions) => {
      const extra = (opts.proxy ?? []).map(parseProxyOption);
      const server = createProxyServer({
        host: opts.host,
        port: parsePort(opts.port),
        seed: parseSeed(opts.seed),
        config: opts.config,
      });
      await start(server, opts, extra);
      const address = server.address!;
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
