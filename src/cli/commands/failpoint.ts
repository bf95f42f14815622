/**
 * `faultline failpoint list|get|set|unset|release|waiters --target host:port`: drives the failpoint control
 * endpoint of a running process (see docs/failpoints.md). Errors are one line and a non-zero exit: 2 for bad
 * input (a term that does not parse, a bad option), 1 for everything else (unreachable, 401, 404, ...).
 *
 * With `--hosts GROUP_OR_NAMES --inventory FILE`, the same on every host named, each through an SSH forward to
 * the endpoint's address on that host (`--endpoint 127.0.0.1:7070`: its loopback; `{{host.name}}` and the like
 * are replaced per host): each line of output starts with the host's name, a host that fails is named on
 * stderr and the exit is 1 (2 when every failure is bad input).
 */
import type { Command } from 'commander';
import { FaultlineError, InvalidOptionError } from '../../core/errors.js';
import { expand } from '../../disruptors/template.js';
import {
  createFailpointClient,
  type FailpointClient,
  FailpointEndpointError,
} from '../../failpoint/client.js';
import { FleetConnections } from '../../fleet/connections.js';
import { hostFailpointClient } from '../../fleet/failpoint-client.js';
import { hostsFromInventory, type InventoryCliOptions, pickHosts } from './sweep.js';

interface CommonOptions extends Partial<InventoryCliOptions> {
  target?: string;
  endpoint?: string;
  token?: string;
  json?: boolean;
  hosts?: string;
}

/** What one endpoint answered: the JSON, the lines to print, a warning for stderr. */
interface Answer {
  json: unknown;
  lines: string[];
  warning?: string;
}

type Action = (client: FailpointClient) => Promise<Answer>;

/** `--endpoint` or `--target` (the same option), else FAULTLINE_FAILPOINTS_ADDR. */
function endpointOf(opts: CommonOptions): string {
  if (opts.target !== undefined && opts.endpoint !== undefined && opts.target !== opts.endpoint)
    throw new InvalidOptionError('--endpoint', 'give --endpoint or --target (the same option), not both');
  const target = opts.endpoint ?? opts.target ?? process.env.FAULTLINE_FAILPOINTS_ADDR;
  if (target === undefined || target.trim() === '') {
    throw new InvalidOptionError(
      opts.hosts === undefined ? '--target' : '--endpoint',
      opts.hosts === undefined
        ? 'required: the endpoint as host:port (or set FAULTLINE_FAILPOINTS_ADDR)'
        : 'required with --hosts: the endpoint as each host sees it, e.g. 127.0.0.1:7070',
    );
  }
  return target;
}

const tokenOf = (opts: CommonOptions) => opts.token ?? process.env.FAULTLINE_FAILPOINTS_TOKEN;

/** Runs the action against the endpoint, or against it on every host `--hosts` names, and prints the answers. */
async function perform(opts: CommonOptions, action: Action): Promise<void> {
  if (opts.hosts === undefined) {
    const answer = await action(createFailpointClient({ target: endpointOf(opts), token: tokenOf(opts) }));
    if (opts.json) printJson(answer.json);
    else for (const line of answer.lines) out(line);
    if (answer.warning !== undefined) process.stderr.write(`faultline: warning: ${answer.warning}\n`);
    return;
  }
  if (opts.inventory === undefined)
    throw new InvalidOptionError('--inventory', 'required with --hosts: the Ansible inventory naming them');
  const endpoint = endpointOf(opts);
  const refs = pickHosts(
    hostsFromInventory({ ...opts, hostKey: opts.hostKey ?? 'strict', inventory: opts.inventory }),
    opts.hosts,
  );
  const connections = new FleetConnections({ connectTimeoutMs: 10_000 });
  try {
    // every endpoint is checked before any host is contacted: bad input touches none
    const clients = refs.map((ref) =>
      hostFailpointClient(
        ref.name,
        (address, port) => connections.forward(ref, address, port),
        { target: expand(endpoint, { id: ref.name, host: ref }, '--endpoint'), token: tokenOf(opts) },
        '--endpoint',
      ),
    );
    const outcomes = await Promise.allSettled(
      clients.map(async (c) => {
        try {
          return await action(c);
        } finally {
          await c.close();
        }
      }),
    );
    report(
      opts,
      refs.map((r) => r.name),
      outcomes,
    );
  } finally {
    await connections.close();
  }
}

/** Prints each host's answer, its lines prefixed with its name, and names the hosts that failed. */
function report(opts: CommonOptions, names: string[], outcomes: PromiseSettledResult<Answer>[]): void {
  const failed = names.flatMap((name, i) => {
    const o = outcomes[i] as PromiseSettledResult<Answer>;
    return o.status === 'rejected' ? [{ name, err: unknownNameHint(o.reason) as Error }] : [];
  });
  if (opts.json) {
    const byHost: Record<string, unknown> = {};
    names.forEach((name, i) => {
      const o = outcomes[i] as PromiseSettledResult<Answer>;
      byHost[name] =
        o.status === 'fulfilled'
          ? o.value.json
          : {
              error: {
                code: (o.reason as { code?: string }).code ?? 'ERROR',
                message: String(o.reason?.message),
              },
            };
    });
    printJson(byHost);
  }
  names.forEach((name, i) => {
    const o = outcomes[i] as PromiseSettledResult<Answer>;
    if (o.status !== 'fulfilled') return;
    if (!opts.json) for (const line of o.value.lines) out(`${name}: ${line}`);
    if (o.value.warning !== undefined)
      process.stderr.write(`faultline: warning: ${name}: ${o.value.warning}\n`);
  });
  for (const { name, err } of failed) process.stderr.write(`faultline: ${name}: FAILED: ${err.message}\n`);
  if (failed.length > 0) {
    process.stderr.write(
      `faultline: ${failed.length} of ${names.length} host(s) failed: ${failed.map((f) => f.name).join(', ')}\n`,
    );
    const badInput = failed.every((f) => f.err instanceof FaultlineError && f.err.exitCode === 2);
    process.exitCode = badInput ? 2 : 1;
  }
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
    .option(
      '--endpoint <host:port>',
      'the same as --target; with --hosts, the address on each host (e.g. 127.0.0.1:7070; {{host.name}}, {{host.address}} replaced)',
    )
    .option('--token <token>', 'bearer token for the endpoint (default: FAULTLINE_FAILPOINTS_TOKEN)')
    .option('--json', "print the endpoint's JSON answer (with --hosts: one per host, by name)")
    .option('--hosts <names>', 'on these hosts or groups (comma-separated; all: every host), through SSH')
    .option('--inventory <file>', 'with --hosts: the Ansible inventory')
    .option('--known-hosts <file>', 'with --hosts: known_hosts (default ~/.ssh/known_hosts)')
    .option('--host-key <policy>', 'with --hosts: strict or accept-new', 'strict');
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
    .action((opts: CommonOptions) =>
      perform(opts, async (c) => {
        const listing = await c.list();
        const lines: string[] = [];
        if (listing.failpoints.length === 0) lines.push('(no failpoints reached, declared or set)');
        else {
          const rows = listing.failpoints.map((f) => [
            f.name,
            f.term ?? '-',
            String(f.hits),
            String(f.fires),
            String(f.waiters),
            f.description ?? '',
          ]);
          lines.push(...table(['NAME', 'TERM', 'HITS', 'FIRES', 'WAITERS', 'DESCRIPTION'], rows).split('\n'));
        }
        if (listing.disabled) lines.push(`failpoints are disabled (${listing.disabled})`);
        return { json: listing, lines };
      }),
    );

  withCommon(fp.command('get <name>'))
    .description('one failpoint: its term, hits, fires and paused callers')
    .action((name: string, opts: CommonOptions) =>
      perform(opts, async (c) => {
        const f = await c.get(name);
        const counts = `hits ${f.hits}, fires ${f.fires}, waiters ${f.waiters}`;
        return { json: f, lines: [`${f.name} = ${f.term ?? '(no term set)'} (${counts})`] };
      }),
    );

  withCommon(fp.command('set <name> <term>'))
    .description("set a failpoint's term, e.g. set upgrade.refuse '1*throw(\"refused\")'")
    .option('--allow-unknown', 'set a name the process has not reached or declared yet')
    .action((name: string, term: string, opts: CommonOptions & { allowUnknown?: boolean }) =>
      perform(opts, async (c) => {
        const res = await c
          .set(name, term, { allowUnknown: opts.allowUnknown === true })
          .catch((err: unknown) => {
            throw unknownNameHint(err);
          });
        return {
          json: res,
          lines: [`${name} = ${res.failpoint.term}`],
          ...(res.warning === undefined ? {} : { warning: res.warning }),
        };
      }),
    );

  withCommon(fp.command('unset <name>'))
    .description('switch a failpoint off (releases callers paused at it)')
    .action((name: string, opts: CommonOptions) =>
      perform(opts, async (c) => {
        const res = await c.unset(name);
        return { json: res, lines: [res.unset ? `${name} unset` : `${name} had no term set`] };
      }),
    );

  withCommon(fp.command('release <name>'))
    .description('release callers paused at a failpoint: all of them, --count N longest-waiting, or --id W')
    .option('--count <n>', 'release this many, longest-waiting first')
    .option('--id <w>', 'release the caller with this waiter id (see waiters)')
    .action((name: string, opts: CommonOptions & { count?: string; id?: string }) => {
      const count = wholeNumber('--count', opts.count);
      const id = wholeNumber('--id', opts.id);
      return perform(opts, async (c) => {
        const res = await c.release(name, id !== undefined ? { id } : count !== undefined ? { count } : {});
        return {
          json: res,
          lines: [`released ${res.released} caller(s) at ${name}; ${res.waiters} still paused`],
        };
      });
    });

  withCommon(fp.command('waiters <name>'))
    .description('callers paused at a failpoint; --min N waits until N are paused')
    .option('--min <n>', 'wait until at least this many callers are paused')
    .option('--timeout <ms>', 'how long --min waits (default 30000)')
    .action((name: string, opts: CommonOptions & { min?: string; timeout?: string }) => {
      const min = wholeNumber('--min', opts.min);
      const timeoutMs = wholeNumber('--timeout', opts.timeout);
      return perform(opts, async (c) => {
        const res = await c.waiters(name, { min, timeoutMs });
        const lines =
          res.waiters.length === 0
            ? [`(no callers paused at ${name})`]
            : table(
                ['ID', 'SINCE', 'CTX'],
                res.waiters.map((w) => [String(w.id), w.since, w.ctx === null ? '' : JSON.stringify(w.ctx)]),
              ).split('\n');
        return { json: res, lines };
      });
    });
}
