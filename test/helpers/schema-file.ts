/** The published JSON Schemas are generated from zod: a test keeps each committed file equal to its source. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';

/** Asserts `path` holds `generated`; with UPDATE_SCHEMA=1 writes it first. */
export function assertSchemaFileCurrent(path: string, generated: object): void {
  const text = `${JSON.stringify(generated, null, 2)}\n`;
  if (process.env.UPDATE_SCHEMA === '1') writeFileSync(path, text);
  // compared as data: the committed file is formatted by the project's formatter
  assert.deepEqual(
    JSON.parse(readFileSync(path, 'utf8')),
    JSON.parse(text),
    `${path}: run with UPDATE_SCHEMA=1 to regenerate`,
  );
}
