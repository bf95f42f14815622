/**
 * `faultline failpoint list|set|unset|release|waiters --target host:port`: drives the failpoint control
 * endpoint of a running process (see docs/failpoints.md). Errors are one line and a non-zero exit: 2 for bad
 * input (a term that does not parse, a bad option), 1 for everything else (unreachable, 401, 404, ...).
 */
import type { Command } from 'commander';
import { InvalidOptionError } from '../../core/errors.js';
import {
  createFailpointClient,
  type FailpointClient,
  FailpointEndpointError,
} from '../../failpoint/client.js';

interface CommonOptions {
  target?: string;
  token?: string;
  json?: boolean;
}

function client(opts: CommonOptions): FailpointClient {
  const target = opts.target ?? process.env.FAULTLINE_FAILPOINTS_ADDR;
  if (target === undefined || target.trim() === '') {
    throw new InvalidOptionError(
      '--target',
      'required: the endpoint as host:port (or set FAULTLINE_FAILPOINTS_ADDR)',
    );
  }
  return createFailpointClient({ target, token: opts.token ?? process.env.FAULTLINE_FAILPOINTS_TOKEN });
}

function wholeNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw new InvalidOptionError(flag, `must be a whole number >= 0; got ${JSON.stringify(value)}`);
  }
  return n;
}

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function printJson(value: unknown): void {
  out(JSON.stringify(value, null, 2));
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

function withCommon(cmd: Command): Command {
  return cmd
    .option('--target <host:port>', "the process's failpoint endpoint (default: FAULTLINE_FAILPOINTS_ADDR)")
    .option('--token <token>', 'bearer token for the endpoint (default: FAULTLINE_FAILPOINTS_TOKEN)')
    .option('--json', "print the endpoint's JSON answer");
}

/**
 * The endpoint's answer to an unknown name tells an HTTP caller to pass `allowUnknown=1`; on the command line
 * that is the `--allow-unknown` flag, so the hint is reworded to what the user can type here.
 */
function unknownNameHint(err: unknown): unknown {
  if (!(err instanceof FailpointEndpointError) || err.code !== 'FAULTLINE_FAILPOINT_UNKNOWN') return err;
  const message = err.message.replace(/\ballowUnknown(=1)?\b/, '--allow-unknown');
  if (message === err.message) return err;
  return new FailpointEndpointError(err.status, err.code, message, err.column);
}

/** Registers `faultline failpoint ...`. */
export function registerFailpointCommand(program: Command): void {
  const fp = program
    .command('failpoint')
    .description('list, set, unset and release failpoints in a running process through its control endpoint');

  withCommon(fp.command('list'))
    .description(
      'every failpoint the process has reached, declared or set: term, hits, fires, paused callers',
    )
    .action(async (opts: CommonOptions) => {
      const listing = await client(opts).list();
      if (opts.json) return printJson(listing);
      if (listing.failpoints.length === 0) {
        out('(no failpoints reached, declared or set)');
      } else {
        const rows = listing.failpoints.map((f) => [
          f.name,
          f.term ?? '-',
          String(f.hits),
          String(f.fires),
          String(f.waiters),
          f.description ?? '',
        ]);
        out(table(['NAME', 'TERM', 'HITS', 'FIRES', 'WAITERS', 'DESCRIPTION'], rows));
      }
      if (listing.disabled) out(`failpoints are disabled (${listing.disabled})`);
    });

  withCommon(fp.command('set <name> <term>'))
    .description("set a failpoint's term, e.g. set upgrade.refuse '1*throw(\"refused\")'")
    .option('--allow-unknown', 'set a name the process has not reached or declared yet')
    .action(async (name: string, term: string, opts: CommonOptions & { allowUnknown?: boolean }) => {
      const res = await client(opts)
        .set(name, term, { allowUnknown: opts.allowUnknown === true })
        .catch((err: unknown) => {
          throw unknownNameHint(err);
        });
      if (opts.json) return printJson(res);
      out(`${name} = ${res.failpoint.term}`);
      if (res.warning !== undefined) process.stderr.write(`faultline: warning: ${res.warning}\n`);
    });

  withCommon(fp.command('unset <name>'))
    .description('switch a failpoint off (releases callers paused at it)')
    .action(async (name: string, opts: CommonOptions) => {
      const res = await client(opts).unset(name);
      if (opts.json) return printJson(res);
      out(res.unset ? `${name} unset` : `${name} had no term set`);
    });

  withCommon(fp.command('release <name>'))
    .description('release callers paused at a failpoint: all of them, --count N longest-waiting, or --id W')
    .option('--count <n>', 'release this many, longest-waiting first')
    .option('--id <w>', 'release the caller with this waiter id (see waiters)')
    .action(async (name: string, opts: CommonOptions & { count?: string; id?: string }) => {
      const count = wholeNumber('--count', opts.count);
      const id = wholeNumber('--id', opts.id);
      const res = await client(opts).release(
        name,
        id !== undefined ? { id } : count !== undefined ? { count } : {},
      );
      if (opts.json) return printJson(res);
      out(`released ${res.released} caller(s) at ${name}; ${res.waiters} still paused`);
    });

  withCommon(fp.command('waiters <name>'))
    .description('callers paused at a failpoint; --min N waits until N are paused')
    .option('--min <n>', 'wait until at least this many callers are paused')
    .option('--timeout <ms>', 'how long --min waits (default 30000)')
    .action(async (name: string, opts: CommonOptions & { min?: string; timeout?: string }) => {
      const min = wholeNumber('--min', opts.min);
      const timeoutMs = wholeNumber('--timeout', opts.timeout);
      const res = await client(opts).waiters(name, { min, timeoutMs });
      if (opts.json) return printJson(res);
      if (res.waiters.length === 0) return out(`(no callers paused at ${name})`);
      out(
        table(
          ['ID', 'SINCE', 'CTX'],
          res.waiters.map((w) => [String(w.id), w.since, w.ctx === null ? '' : JSON.stringify(w.ctx)]),
        ),
      );
    });
}
