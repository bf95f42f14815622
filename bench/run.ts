/**
 * `npm run bench`: runs every suite in bench/suites (or those named on the command line), prints each
 * table, and writes them all to bench/RESULTS.md. Suites measure side by side in one run and report ratios,
 * so a slow or noisy machine shifts both sides alike.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { basename } from 'node:path';
import type { BenchSection } from './types.js';

const dir = new URL('./suites/', import.meta.url);
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.ts'))
  .filter((f) => wanted.length === 0 || wanted.includes(basename(f, '.ts')))
  .sort();

const sections: BenchSection[] = [];
for (const file of files) {
  process.stderr.write(`bench: ${file} …\n`);
  const mod = (await import(new URL(file, dir).href)) as { default: () => Promise<BenchSection> };
  const section = await mod.default();
  process.stdout.write(
    `\n## ${section.title}\n\n${section.table}\n${section.notes ? `\n${section.notes}\n` : ''}`,
  );
  sections.push(section);
}

const header = [
  '# Benchmark results',
  '',
  `Latest \`npm run bench\`: ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ` +
    `${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown cpu'}).`,
  'Every ratio compares two measurements taken side by side in the same run.',
  '',
].join('\n');
if (wanted.length === 0) {
  const body = sections
    .map((s) => `## ${s.title}\n\n${s.table}\n${s.notes ? `\n${s.notes}\n` : ''}`)
    .join('\n');
  writeFileSync(new URL('./RESULTS.md', import.meta.url), `${header}\n${body}`);
  process.stderr.write('bench: wrote bench/RESULTS.md\n');
}
