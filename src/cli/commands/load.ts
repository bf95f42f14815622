/**
 * `faultline load URL --rate 500/s --duration 30s` (open model) or `--connections 50` (closed model), or
 * `faultline load --command "…"` to run a program as the load. A live progress line while it runs (rewritten in
 * place on a terminal, one plain line per second otherwise), a summary table at the end, or `--json`.
 * `--threshold 'error_rate<1%'` (repeatable) makes the run pass or fail: exit 1 when one is broken, each broken
 * one named on stderr with what was measured — without any, the exit status says nothing about the results.
 */
import type { Command } from 'commander';
import { InvalidOptionError } from '../../core/errors.js';
import { runCommandLoad } from '../../load/command-runner.js';
import type { EngineChoice } from '../../load/engines/engine.js';
import { formatProgress, formatSummary } from '../../load/format.js';
import { type LoadOptions, type LoadResult, runLoad } from '../../load/http-runner.js';
import { parseDuration, parsePositiveInt, parseRate } from '../../load/parse.js';
import type { LoadProgress } from '../../load/recorder.js';
import { loadResultJson } from '../../load/result-json.js';
import { parseVariableSpec, type VariableSpec } from '../../load/template.js';
import { checkThresholds, formatThresholdResult, parseThreshold } from '../../load/thresholds.js';
import { parseSeedOption } from '../seed.js';

interface LoadCliOptions {
  rate?: string;
  duration: string;
  connections?: string;
  pipelining?: string;
  ramp?: string;
  think?: string;
  method?: string;
  header: string[];
  body?: string;
  timeout: string;
  seed?: string;
  var: string[];
  maxInFlight?: string;
  engine?: string;
  thread?: string;
  command?: string;
  once?: boolean;
  threshold: string[];
  json?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

function parseHeaders(list: string[]): Record<string, string> | undefined {
  if (list.length === 0) return undefined;
  const headers: Record<string, string> = {};
  for (const h of list) {
    const i = h.indexOf(':');
    if (i <= 0) throw new InvalidOptionError('--header', `expected 'Name: value', got '${h}'`);
    headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  return headers;
}

function parseVars(list: string[]): Record<string, VariableSpec> | undefined {
  if (list.length === 0) return undefined;
  const vars: Record<string, VariableSpec> = {};
  for (const v of list) {
    const i = v.indexOf('=');
    if (i <= 0) throw new InvalidOptionError('--var', `expected NAME=SPEC (e.g. key=zipf:1000), got '${v}'`);
    const name = v.slice(0, i);
    vars[name] = parseVariableSpec(v.slice(i + 1), `--var ${name}`);
  }
  return vars;
}

function progressWriter(json: boolean): { onProgress?: (p: LoadProgress) => void; end(): void } {
  if (json) return { end() {} };
  const tty = process.stdout.isTTY === true;
  let wrote = false;
  return {
    onProgress(p) {
      wrote = true;
      if (tty) process.stdout.write(`\r\x1b[2K${formatProgress(p)}`);
      else process.stdout.write(`${formatProgress(p)}\n`);
    },
    end() {
      if (tty && wrote) process.stdout.write('\n');
    },
  };
}

/** Registers `faultline load`. */
export function registerLoad(program: Command): void {
  program
    .command('load')
    .description(
      'generate HTTP load (open model with --rate, closed with --connections) or run a command as load',
    )
    .argument('[url]', 'target URL, e.g. http://127.0.0.1:8080/items')
    .option(
      '--rate <rate>',
      'open model: arrival rate, e.g. 500/s (latency measured from the intended send time)',
    )
    .option('--duration <duration>', 'how long to send, e.g. 30s', '10s')
    .option('--connections <n>', 'closed model: virtual users; open model: pool connections')
    .option(
      '--pipelining <n>',
      'HTTP/1.1 requests in flight per connection (default 1); the closed model keeps connections × n outstanding',
    )
    .option('--ramp <duration>', 'open model: ramp from 0 to --rate over this long (part of --duration)')
    .option('--think <duration>', 'closed model / command: pause between a response and the next request')
    .option('-m, --method <method>', 'HTTP method', 'GET')
    .option('-H, --header <header>', "request header 'Name: value' (repeatable)", collect, [])
    .option('--body <body>', 'request body; {{name}} placeholders are filled from --var')
    .option('--timeout <duration>', 'per-request timeout (headers, and body inactivity)', '10s')
    .option('--seed <seed>', 'seed for --var draws', '0')
    .option(
      '--var <name=spec>',
      'placeholder source: uniform:1-1000, zipf:1000[:s], oneof:a,b, seq',
      collect,
      [],
    )
    .option(
      '--max-in-flight <n>',
      'open model: drop (and count) arrivals beyond this many outstanding requests',
    )
    .option(
      '--engine <engine>',
      'HTTP transport: auto (raw for http:, undici for https:), raw (lean HTTP/1.1 on node:net) or undici',
    )
    .option(
      '--thread <thread>',
      'where the generator runs: auto (its own worker thread for the open model), main or worker',
    )
    .option('--command <command>', 'run this shell command as the load instead of HTTP')
    .option('--once', 'with --command: run it once (per connection) instead of repeatedly')
    .option(
      '--threshold <expr>',
      "pass/fail criterion, e.g. 'error_rate<1%' or 'p99<200ms' (repeatable): exit 1 when one is broken",
      collect,
      [],
    )
    .option('--json', 'print the result (summary and per-second series) as JSON')
    .action(async (url: string | undefined, o: LoadCliOptions) => {
      // before the run: a typo in a threshold should not cost a whole run
      const thresholds = o.threshold.map((t) => parseThreshold(t, '--threshold'));
      const durationMs = parseDuration(o.duration, '--duration');
      const timeoutMs = parseDuration(o.timeout, '--timeout');
      const seed = parseSeedOption(o.seed ?? '0');
      const thinkTimeMs = o.think === undefined ? undefined : parseDuration(o.think, '--think');
      const connections =
        o.connections === undefined ? undefined : parsePositiveInt(o.connections, '--connections');
      const out = progressWriter(o.json === true);
      let result: LoadResult;
      if (o.command !== undefined) {
        if (url !== undefined)
          throw new InvalidOptionError('--command', 'give either a URL or --command, not both');
        if (o.rate !== undefined) throw new InvalidOptionError('--rate', 'does not apply to --command');
        if (o.engine !== undefined) throw new InvalidOptionError('--engine', 'does not apply to --command');
        if (o.thread !== undefined) throw new InvalidOptionError('--thread', 'does not apply to --command');
        if (o.pipelining !== undefined)
          throw new InvalidOptionError('--pipelining', 'does not apply to --command');
        result = await runCommandLoad({
          command: o.command,
          mode: o.once ? 'once' : 'repeat',
          durationMs,
          concurrency: connections ?? 1,
          timeoutMs,
          thinkTimeMs,
          onProgress: out.onProgress,
        });
      } else {
        if (url === undefined) throw new InvalidOptionError('url', 'give a target URL (or --command)');
        const options: LoadOptions = {
          url,
          durationMs,
          timeoutMs,
          connections,
          pipelining: o.pipelining === undefined ? undefined : parsePositiveInt(o.pipelining, '--pipelining'),
          thinkTimeMs,
          seed,
          vars: parseVars(o.var),
          requests: {
            method: o.method,
            // The URL's own text, not URL.pathname: parsing would percent-encode {{placeholders}}.
            path: /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([^#]*)/i.exec(url)?.[1] || '/',
            headers: parseHeaders(o.header),
            body: o.body,
          },
          onProgress: out.onProgress,
        };
        if (o.engine !== undefined) {
          if (!['auto', 'raw', 'undici'].includes(o.engine))
            throw new InvalidOptionError('--engine', `must be auto, raw or undici, got '${o.engine}'`);
          options.engine = o.engine as EngineChoice;
        }
        const thread = o.thread ?? 'auto';
        if (!['auto', 'main', 'worker'].includes(thread))
          throw new InvalidOptionError('--thread', `must be auto, main or worker, got '${thread}'`);
        options.thread = thread as LoadOptions['thread'];
        if (o.rate !== undefined) {
          options.rate = parseRate(o.rate, '--rate');
          if (thinkTimeMs !== undefined)
            throw new InvalidOptionError('--think', 'applies to the closed model only');
          if (o.ramp !== undefined) options.rampMs = parseDuration(o.ramp, '--ramp');
          if (o.maxInFlight !== undefined)
            options.maxInFlight = parsePositiveInt(o.maxInFlight, '--max-in-flight');
        } else if (o.ramp !== undefined) {
          throw new InvalidOptionError('--ramp', 'needs --rate (the open model)');
        }
        result = await runLoad(options);
      }
      out.end();
      const judged = checkThresholds(thresholds, result.series);
      if (o.json) {
        process.stdout.write(`${JSON.stringify(loadResultJson(result, judged))}\n`);
        // The JSON goes to a program; the person running it should still hear that the numbers are suspect.
        if (result.lag?.warning !== undefined) process.stderr.write(`WARNING: ${result.lag.warning}\n`);
      } else process.stdout.write(`${formatSummary(result, judged)}\n`);
      const broken = judged.filter((t) => !t.ok);
      for (const t of broken)
        process.stderr.write(`faultline: threshold broken: ${formatThresholdResult(t)}\n`);
      if (broken.length > 0) process.exitCode = 1;
    });
}
