/**
 * `faultline halt [--clear] [--wait DURATION] [--reason TEXT]`: the emergency stop. Without `--clear` it sets
 * the halt marker — every experiment running on this machine stops injecting, rolls back and ends `aborted`, and
 * no new one starts — then waits for the running ones to finish rolling back and says which. `--clear` lifts it.
 * A run file left by a runner that was killed (its pid gone, or reused by a process with another start time) is
 * ignored, with a line saying so: waiting on it would wait on a stranger. FAULTLINE_STATE_DIR chooses the
 * directory runners share (default `<tmpdir>/faultline`).
 */
import { join, sep } from 'node:path';
import type { Command } from 'commander';
import { InvalidOptionError } from '../../core/errors.js';
import { clearHalt, haltStatus, type RunFile, runFiles, setHalt, stateDir } from '../../experiment/halt.js';
import { printable } from '../../experiment/revert-words.js';
import { parseDuration } from '../../load/parse.js';

interface HaltCliOptions {
  clear?: boolean;
  status?: boolean;
  wait: string;
  reason?: string;
}

const POLL_MS = 100;

/**
 * A run file whose runner is gone (killed with SIGKILL, say) or whose pid now names another process: nothing to
 * stop or wait for, but the run may have left faults applied, which `faultline recover` undoes.
 */
function sayStale(f: RunFile): void {
  const suite = f.file.includes(`${sep}suites${sep}`);
  const target = suite ? f.run.outDir : join(f.run.outDir, 'journal.ndjson');
  process.stdout.write(
    `  ignoring stale ${suite ? 'suite' : 'run'} file ${f.file}: ${f.stale}; ${suite ? 'suite ' : ''}"${printable(f.run.title)}" died without rolling back: \`faultline recover ${target}\` undoes what it left and removes the file\n`,
  );
}

/** Run files of experiments and of suites (which stop with their runs). */
function allRunFiles(dir: string): RunFile[] {
  return [...runFiles(dir), ...runFiles(dir, 'suites')];
}

/** Registers `faultline halt`. */
export function registerHaltCommand(program: Command): void {
  program
    .command('halt')
    .description('emergency stop: abort (and roll back) every experiment running here and refuse new ones')
    .option('--clear', 'lift the halt: experiments may run again')
    .option('--status', 'say whether a halt is in force and what is running, change nothing')
    .option('--wait <duration>', 'how long to wait for running experiments to roll back', '60s')
    .option('--reason <text>', 'recorded with the halt and shown to runs that are refused')
    .action(async (o: HaltCliOptions) => {
      const dir = stateDir();
      if (o.status) {
        const h = haltStatus(dir);
        process.stdout.write(h ? `halted since ${h.at}${h.reason ? `: ${h.reason}` : ''}\n` : 'not halted\n');
        for (const f of runFiles(dir)) {
          if (f.stale === undefined)
            process.stdout.write(`running: pid ${f.run.pid} ${f.run.title} (${f.run.outDir})\n`);
          else sayStale(f);
        }
        for (const f of runFiles(dir, 'suites')) {
          if (f.stale === undefined)
            process.stdout.write(`suite running: pid ${f.run.pid} ${f.run.title} (${f.run.outDir})\n`);
          else sayStale(f);
        }
        return;
      }
      if (o.clear) {
        process.stdout.write(
          clearHalt(dir) ? 'halt cleared: experiments may run again\n' : 'no halt was in force\n',
        );
        return;
      }
      let waitMs: number;
      try {
        waitMs = parseDuration(o.wait);
      } catch (err) {
        throw new InvalidOptionError('--wait', (err as Error).message.replace(/^\w+: /, ''));
      }
      setHalt(dir, o.reason);
      const files = allRunFiles(dir);
      const running = files.flatMap((f) => (f.stale === undefined ? [f.run] : []));
      const suites = runFiles(dir, 'suites').filter((f) => f.stale === undefined).length;
      process.stdout.write(
        `halt set: ${running.length - suites} running experiment(s) rolling back${suites ? `, ${suites} suite(s) stopping` : ''}; new runs refused until \`faultline halt --clear\`\n`,
      );
      for (const f of files) if (f.stale !== undefined) sayStale(f);
      for (const r of running) process.stdout.write(`  stopping pid ${r.pid}: ${r.title}\n`);
      const deadline = performance.now() + waitMs;
      let left = running;
      while (left.length > 0 && performance.now() < deadline) {
        // other processes' exits have no event we can wait on; their registry entries are polled
        await new Promise((r) => setTimeout(r, POLL_MS));
        const now = allRunFiles(dir);
        const live = new Set(now.flatMap((f) => (f.stale === undefined ? [f.run.pid] : [])));
        for (const r of left.filter((x) => !live.has(x.pid))) {
          // its run file outlived it: the runner was killed before it could roll back
          const dead = now.find(
            (f) => f.stale !== undefined && f.run.pid === r.pid && f.run.runId === r.runId,
          );
          if (dead === undefined)
            process.stdout.write(`  stopped pid ${r.pid}: ${r.title} (results in ${r.outDir})\n`);
          else sayStale(dead);
        }
        left = left.filter((x) => live.has(x.pid));
      }
      if (left.length > 0) {
        process.stdout.write(`${left.length} experiment(s) or suite(s) still rolling back after ${o.wait}\n`);
        process.exitCode = 1;
      }
    });
}
