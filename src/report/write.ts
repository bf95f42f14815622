/**
 * Reading result.json and writing report.html next to it: the file half of `faultline report`, kept in the
 * library so `faultline run` (through the experiment engine) writes the report the same way.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FaultlineError } from '../core/errors.js';
import { renderReport } from './html.js';
import { parseReportData } from './schema.js';
import { renderTextSummary } from './text.js';
import type { ReportData } from './types.js';

/** Reads and checks `DIR/result.json`. Errors (missing file, bad JSON, bad field) name the file. */
export function readResult(dir: string): ReportData {
  const file = join(dir, 'result.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'ENOTDIR' ? 'not a directory' : String(code);
    throw new FaultlineError(
      'FAULTLINE_NO_RESULT',
      `${file}: ${why} (expected the output directory of a run)`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new FaultlineError('FAULTLINE_BAD_RESULT', `${file}: not JSON: ${(err as Error).message}`);
  }
  try {
    return parseReportData(json);
  } catch (err) {
    throw new FaultlineError('FAULTLINE_BAD_RESULT', `${file}: ${(err as Error).message}`);
  }
}

/** What {@link writeReport} produced. */
export interface WrittenReport {
  /** Path of the report.html written. */
  path: string;
  data: ReportData;
  /** The terminal summary ({@link renderTextSummary}). */
  summary: string;
}

/** Writes `DIR/report.html` from `data` (or from `DIR/result.json` when `data` is not given). */
export function writeReport(dir: string, data: ReportData = readResult(dir)): WrittenReport {
  const path = join(dir, 'report.html');
  writeFileSync(path, renderReport(data));
  return { path, data, summary: renderTextSummary(data) };
}
