/**
 * `npm run bench`: runs every suite in bench/suites (or those named on the command line: `npm run bench
 * fleet`), prints each table, and writes them to bench/RESULTS.md, replacing the sections of the suites that ran
 * and keeping the others. A suite that cannot run here (the fleet needs root and network namespaces) says why
 * and keeps its section. Suites measure side by side in one run and report ratios, so a slow or noisy machine
 * shifts both sides alike.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
  if (section.skipped !== undefined) {
    process.stderr.write(`bench: ${section.title}: skipped: ${section.skipped}\n`);
    continue;
  }
  process.stdout.write(
    `\n## ${section.title}\n\n${section.table}\n${section.notes ? `\n${section.notes}\n` : ''}`,
  );
  sections.push(section);
}

const RESULTS = new URL('./RESULTS.md', import.meta.url);
const header = [
  '# Benchmark results',
  '',
  `Latest \`npm run bench\`: ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ` +
    `${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown cpu'}).`,
  'Every ratio compares two measurements taken side by side in the same run.',
  '',
].join('\n');

let previous = '';
try {
  previous = readFileSync(RESULTS, 'utf8');
} catch {
  // the first run
}

/** The `## ` sections of the results file, by title, in their order. */
function previousSections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(/^## /m).slice(1)) {
    const newline = part.indexOf('\n');
    out.set(part.slice(0, newline).trim(), part.slice(newline + 1).replace(/^\n+|\n+$/g, ''));
  }
  return out;
}

const merged = previousSections(previous);
for (const s of sections) merged.set(s.title, `${s.table}\n${s.notes ? `\n${s.notes}` : ''}`.trimEnd());
const body = [...merged].map(([title, text]) => `## ${title}\n\n${text}\n`).join('\n');
// the header describes a whole run: a run of some suites keeps the one the file had
const keptHeader = wanted.length > 0 ? previous.split(/^## /m)[0]?.trimEnd() : undefined;
writeFileSync(RESULTS, `${keptHeader ? `${keptHeader}\n` : header}\n${body}`);
process.stderr.write(`bench: wrote bench/RESULTS.md (${sections.length} section(s) measured now)\n`);
