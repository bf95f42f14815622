/**
 * `host.disk-fill`: leaves only `free` bytes available on the filesystem holding `path`, by allocating a file
 * `.faultline-fill-<runId>` there with fallocate (instant, no data written). The size is what `df` shows
 * available minus `free`, measured on the host when the fault is applied. A marker file
 * (/run/faultline/fill-<runId>-<faultId>) holds the fill file's path, so a sweep finds fills without a record;
 * it also removes any `.faultline-fill-*` directly in the paths it is given.
 */
import { z } from 'zod';
import { InvalidOptionError } from '../../core/errors.js';
import { shellQuote } from '../command-output.js';
import type { Host } from '../host.js';
import {
  type FleetExec,
  faultTag,
  type HostFault,
  HostFaultError,
  type HostStep,
  lines,
  MARKER_DIR,
  markerPath,
  type PlanInput,
  parseOptions,
  revertRecord,
  runStepCommand,
  type SweepOptions,
  sh,
} from './types.js';

export const FILL_PREFIX = '.faultline-fill-';

const SIZE_RE = /^\s*(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|TiB|KB|MB|GB|TB|K|M|G|T)?\s*$/;
const SIZE_UNITS: Record<string, number> = {
  B: 1,
  K: 1024,
  KiB: 1024,
  M: 1024 ** 2,
  MiB: 1024 ** 2,
  G: 1024 ** 3,
  GiB: 1024 ** 3,
  T: 1024 ** 4,
  TiB: 1024 ** 4,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
};

/** Bytes in a size such as `64MiB`, `1.5G` (binary) or `10MB` (decimal); a bare number is bytes. */
export function parseSize(v: number | string): number {
  if (typeof v === 'number') return v;
  const m = SIZE_RE.exec(v);
  return m ? Math.floor(Number(m[1]) * (SIZE_UNITS[m[2] ?? 'B'] ?? Number.NaN)) : Number.NaN;
}

export const sizeSchema = z
  .union([z.number().int().min(0), z.string().regex(SIZE_RE, 'expected a size such as 64MiB, 1G or 500MB')])
  .describe('Bytes, or a size such as 64MiB, 1G (binary) or 500MB (decimal).');

export const diskFillOptionsSchema = z.strictObject({
  path: z
    .string()
    .regex(/^\/[^\n\0]*$/, 'expected an absolute path')
    .describe('A directory on the filesystem to fill; the fill file is created in it.'),
  free: sizeSchema.describe('Bytes left available (df) once the fault is applied.'),
  slack: sizeSchema
    .default('1MiB')
    .describe('How far above `free` the available space may stay and the fault still count as applied.'),
});
export type DiskFillOptions = z.input<typeof diskFillOptionsSchema>;

export interface DiskFillExpect {
  path: string;
  file: string;
  free: number;
  slack: number;
}

/** The available bytes on `path`'s filesystem, as a shell expression. */
const availOf = (path: string) => `$(df -B1 --output=avail ${path} | tail -n 1 | tr -d ' ')`;

function plan(input: PlanInput, options: unknown, field = 'with'): HostStep<DiskFillExpect>[] {
  const o = parseOptions(diskFillOptionsSchema, options, field);
  faultTag(input);
  const path = o.path.length > 1 ? o.path.replace(/\/+$/, '') : o.path;
  const file = `${path === '/' ? '' : path}/${FILL_PREFIX}${input.runId}`;
  const [free, slack] = [parseSize(o.free), parseSize(o.slack)];
  if (!Number.isSafeInteger(free)) throw new InvalidOptionError(`${field}.free`, `too large: ${o.free}`);
  const marker = markerPath('fill', input);
  const [p, f] = [shellQuote(path), shellQuote(file)];
  const command = sh(
    [
      'set -e',
      `[ -d ${p} ] || { echo ${shellQuote(`${path} is not a directory`)} >&2; exit 1; }`,
      `[ ! -e ${f} ] || { echo ${shellQuote(`${file} exists: another fault of run ${input.runId} fills ${path}`)} >&2; exit 1; }`,
      `mkdir -p ${MARKER_DIR}`,
      // the marker first: a sweep after a crash mid-way still finds the file
      `printf '%s\\n' ${f} > ${marker}`,
      `avail=${availOf(p)}`,
      `size=$((avail - ${free}))`,
      `if [ "$size" -gt 0 ]; then fallocate -l "$size" ${f}; fi`,
      'echo "$size"',
    ].join('\n'),
  );
  return input.targets.map((host) => ({
    host,
    command,
    record: {
      type: 'host.disk-fill',
      host: host.name,
      what: `fill ${path} to ${free} bytes free (${file})`,
      // only with its marker: without it the file, if any, is another fault's (this one was refused)
      command: sh(`if [ -f ${marker} ]; then rm -f ${f}; fi; rm -f ${marker}`),
      file,
    },
    expect: { path, file, free, slack },
  }));
}

async function verify(exec: FleetExec, step: HostStep<DiskFillExpect>): Promise<string> {
  const { path, file, free, slack } = step.expect;
  const script = `echo ${availOf(shellQuote(path))}; if [ -e ${shellQuote(file)} ]; then stat -c %s ${shellQuote(file)}; else echo -1; fi`;
  const { stdout } = await exec.exec(step.host, sh(script), { timeoutMs: 15_000 });
  const [avail, size] = lines(stdout).map(Number) as [number, number];
  if (!(avail <= free + slack))
    throw new HostFaultError(
      'FLEET_FAULT_NOT_APPLIED',
      step.host.name,
      `${path} has ${avail} bytes available, more than ${free} + ${slack} slack` +
        (size < 0 ? ` (no ${file})` : ` (${file} holds ${size})`),
    );
  return `${avail} bytes available on ${path}${size >= 0 ? `, ${file} holds ${size}` : ''}`;
}

/** Sweep: removes the fill files the marker files name, and any `.faultline-fill-*` in `options.paths`. */
async function sweep(exec: FleetExec, host: Host, options: SweepOptions = {}): Promise<string[]> {
  const dirs = (options.paths ?? []).map(shellQuote).join(' ');
  const script = [
    `for m in ${MARKER_DIR}/fill-*; do`,
    '  [ -f "$m" ] || continue',
    '  f=$(cat "$m"); [ -e "$f" ] && rm -f "$f" && echo "$f"',
    '  rm -f "$m"',
    'done',
    dirs ? `find ${dirs} -maxdepth 1 -name '${FILL_PREFIX}*' -print -delete 2>/dev/null` : '',
    'true',
  ].join('\n');
  const { stdout } = await exec.exec(host, sh(script), { timeoutMs: 30_000 });
  return lines(stdout);
}

export const diskFill: HostFault<typeof diskFillOptionsSchema, DiskFillExpect> = {
  name: 'host.disk-fill',
  options: diskFillOptionsSchema,
  plan,
  apply: runStepCommand(60_000),
  verify,
  revert: revertRecord,
  sweep,
};
