/**
 * `npm run demo` — faultline's whole job on a small real system that ships with it (examples/demo): a router,
 * three key-value replicas and a backing store reached through faultline's proxy, all started on free ports.
 *
 * It runs examples/experiments/kill-one-replica.yaml with live progress: load through the router, a replica
 * killed (and restarted) under it, monitors, a steady-state check before and after, KPIs per phase, a verdict and
 * a self-contained HTML report — then stops everything it started. It is exactly
 *
 *   faultline run examples/experiments/kill-one-replica.yaml
 *
 * Flags: --seed N (another schedule), --quick (a 20 s method instead of 40 s, for CI), --experiment FILE (one of
 * the other examples: slow-store.yaml fails on purpose, replication-backlog.yaml uses feedback and a failpoint).
 *
 * `npm run demo -- --suite` runs examples/suites/nightly.yaml instead: the three experiments as a suite (the kill
 * and the slow store side by side, then the backlog twice once the kill passed), once and now rather than on its
 * nightly schedule, keeping every run's report. It is exactly
 *
 *   faultline suite examples/suites/nightly.yaml --once --set cleanup=retain
 *
 * (--quick runs the backlog experiment once instead of twice; --seed and --out are passed on.)
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { faultlineCommand } from '../src/cli/invocation.js';
import { main } from '../src/cli/main.js';
import { shellWord } from '../src/core/shell-word.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
if (args.includes('--suite')) await runSuiteDemo();
const experiment = flag('--experiment') ?? 'examples/experiments/kill-one-replica.yaml';
const run = ['run', experiment];
const seed = flag('--seed');
if (seed !== undefined) run.push('--seed', seed);
if (args.includes('--quick')) run.push('--set', 'duration=20s');
if (flag('--out') !== undefined) run.push('--out', flag('--out') as string);

// what this run does is the chosen experiment's title: each example injects something else
let title: unknown;
try {
  title = (parse(readFileSync(experiment, 'utf8')) as { title?: unknown } | null)?.title;
} catch {
  // faultline run reports an unreadable file itself
}
process.stdout.write(
  [
    "faultline demo: a router, 3 key-value replicas and a backing store behind faultline's proxy, started on free",
    `ports, under load. ${typeof title === 'string' ? `${title}. ` : ''}Ctrl-C stops early and still rolls everything back.`,
    `(the same as: ${faultlineCommand()} ${run.join(' ')})`,
    '',
    '',
  ].join('\n'),
);
process.exitCode = await main(['node', 'faultline', ...run]);

/** `--suite`: the nightly suite, once, now; exits with the suite's exit code. */
async function runSuiteDemo(): Promise<never> {
  const suite = ['suite', 'examples/suites/nightly.yaml', '--once', '--set', 'cleanup=retain'];
  // shorter methods would end before recovery can be seen: --quick runs the backlog experiment once, not twice
  if (args.includes('--quick')) suite.push('--set', 'runs.backlog.repeat=1');
  for (const name of ['--seed', '--out']) {
    const value = flag(name);
    if (value !== undefined) suite.push(name, value);
  }
  process.stdout.write(
    [
      'faultline demo suite: the three demo experiments, each against its own copy of the demo system — the kill and',
      `the slow store side by side, then the backlog experiment ${args.includes('--quick') ? 'once' : 'twice'} once the kill has passed. The slow store fails`,
      'on purpose, so the suite does too. Ctrl-C stops early and still rolls everything back.',
      `(the same as: ${faultlineCommand()} ${suite.map(shellWord).join(' ')})`,
      '',
      '',
    ].join('\n'),
  );
  process.exit(await main(['node', 'faultline', ...suite]));
}
