/**
 * CLI start-up: CPU time of one `faultline` command from exec to exit, for the bundled CLI (dist/cli/bin.js, what
 * `npm run build` ships) against the same code loaded module by module (dist/cli/main.js and the ~300 modules
 * it imports, as tsc wrote them), with bare `node -e 0` as the floor. It counts wherever faultline is started
 * many times: `{{faultline}}` targets, suites' runs, `recover` after every crash. Variants alternate in rounds;
 * CPU is the child's user+sys as the shell's `times` reports it; medians over the rounds.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchSection, markdownTable } from '../types.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BUNDLE = join(ROOT, 'dist/cli/bin.js');
const MAIN = join(ROOT, 'dist/cli/main.js');
const ROUNDS = 9;

/** User+sys seconds of `node args…`, from the shell's `times` (its second line: the children's). */
function cpuOf(args: string[], cwd: string): number {
  const quoted = args.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ');
  const r = spawnSync('sh', ['-c', `'${process.execPath}' ${quoted} >/dev/null 2>&1; times`], {
    cwd,
    encoding: 'utf8',
  });
  const children = r.stdout.trim().split('\n')[1] ?? '';
  const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  if (seconds.length !== 2) throw new Error(`cannot read the shell's times: ${JSON.stringify(r.stdout)}`);
  return seconds[0]! + seconds[1]!;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const perModule = (argv: string[]) => [
  '--input-type=module',
  '-e',
  `const { main } = await import(${JSON.stringify(MAIN)}); process.exitCode = await main(['node', 'faultline', ...${JSON.stringify(argv)}]);`,
];

export default async function startupBench(): Promise<BenchSection> {
  if (!existsSync(BUNDLE) || !existsSync(MAIN))
    return { title: 'CLI start-up', table: '', skipped: 'dist/ is not built (npm run build)' };
  const cwd = mkdtempSync(join(tmpdir(), 'faultline-bench-startup-'));
  const loadBefore = loadavg()[0] ?? 0;
  const experiment = join(ROOT, 'examples/experiments/kill-one-replica.yaml');
  const commands: [string, string[]][] = [
    ['faultline --version', ['--version']],
    ['faultline validate (the demo experiment)', ['validate', experiment]],
    ['faultline recover (nothing to recover)', ['recover']],
  ];
  try {
    const floor: number[] = [];
    const samples = new Map<string, { bundled: number[]; modules: number[] }>();
    for (let r = 0; r < ROUNDS; r++) {
      floor.push(cpuOf(['-e', '0'], cwd));
      for (const [name, argv] of commands) {
        const s = samples.get(name) ?? { bundled: [], modules: [] };
        samples.set(name, s);
        s.bundled.push(cpuOf([BUNDLE, ...argv], cwd));
        s.modules.push(cpuOf(perModule(argv), cwd));
      }
    }
    const ms = (s: number) => (s * 1000).toFixed(0);
    const rows = [...samples].map(([name, s]) => {
      const b = median(s.bundled);
      const m = median(s.modules);
      return [name, ms(m), ms(b), `${(b / m).toFixed(2)}x`];
    });
    return {
      title: 'CLI start-up',
      table: markdownTable(
        ['command', 'module by module (CPU ms)', 'bundled (CPU ms)', 'bundled / module by module'],
        rows,
      ),
      notes:
        `Median of ${ROUNDS} rounds, user+sys CPU of the whole process from exec to exit; \`node -e 0\` alone ` +
        `takes ${ms(median(floor))} ms. The bundle is one 3.5 MB file: Node 20 resolves, reads and compiles ` +
        'every ES module separately, which is most of what the module-by-module start spends. ' +
        `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpus().length} cores ` +
        `(${cpus()[0]?.model.trim() ?? 'unknown cpu'}), 1-minute load average ${loadBefore.toFixed(2)} before and ` +
        `${(loadavg()[0] ?? 0).toFixed(2)} after.`,
    };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}
