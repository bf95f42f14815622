/** Writes a suite's outputs side by side in its directory: suite.json, junit.xml and index.html. */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExperimentResult } from '../experiment/run-types.js';
import { renderSuiteIndex } from './index-html.js';
import type { SuiteJson, SuiteJsonEntry } from './suite-json.js';
import { renderSuiteJunit } from './suite-junit.js';

export interface SuiteOutputPaths {
  suiteJson: string;
  junit: string;
  index: string;
}

/** Written aside and renamed: a reader never sees half a file, even while the suite rewrites it. */
function writeWhole(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

export function writeSuiteOutputs(
  dir: string,
  s: SuiteJson,
  resultOf: (e: SuiteJsonEntry) => ExperimentResult | undefined,
): SuiteOutputPaths {
  const paths = {
    suiteJson: join(dir, 'suite.json'),
    junit: join(dir, 'junit.xml'),
    index: join(dir, 'index.html'),
  };
  writeWhole(paths.suiteJson, `${JSON.stringify(s, null, 2)}\n`);
  // runs still waiting or running have no testcase yet
  const settled = s.entries.filter((e) => e.state !== 'waiting' && e.state !== 'running');
  writeWhole(
    paths.junit,
    renderSuiteJunit(s.title, settled, resultOf, s.startsBegun, (s.durationMs ?? 0) / 1000),
  );
  writeWhole(paths.index, renderSuiteIndex(s));
  return paths;
}
