/**
 * `faultline report RESULT_DIR`: (re)writes RESULT_DIR/report.html from RESULT_DIR/result.json and prints the
 * terminal summary and the report's path. Exit 2 with one line when the directory holds no valid result.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { writeReport } from '../../report/write.js';

/** Registers `faultline report`. */
export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('write RESULT_DIR/report.html from RESULT_DIR/result.json and print a summary')
    .argument('<result-dir>', 'the output directory of a run (holds result.json)')
    .action((dir: string) => {
      const written = writeReport(resolve(dir));
      process.stdout.write(`${written.summary}\nreport: ${written.path}\n`);
    });
}
