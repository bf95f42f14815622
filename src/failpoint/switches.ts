/**
 * The environment switches that keep failpoints off where they must be: NODE_ENV (production refuses unless
 * FAULTLINE_ALLOW_PRODUCTION says yes) and FAULTLINE_FAILPOINTS_OFF. Values are compared trimmed and
 * case-insensitively, and every doubtful value resolves to the safe side: `NODE_ENV=Production` or `prod` is
 * production, any yes-spelling of FAULTLINE_FAILPOINTS_OFF switches failpoints off, and a value that is neither
 * yes nor no is warned about once and read as "off" for FAULTLINE_FAILPOINTS_OFF and "no" for the allow.
 */

type Env = Record<string, string | undefined>;

const YES = new Set(['1', 'true', 'yes', 'y', 'on']);
const NO = new Set(['', '0', 'false', 'no', 'n', 'off']);
const PRODUCTION = new Set(['production', 'prod']);

const warned = new Set<string>();

function warnOnce(line: string): void {
  if (warned.has(line)) return;
  warned.add(line);
  process.stderr.write(`${line}\n`);
}

/** How a value is shown in a message: as written when plain, quoted when it has spaces or odd characters. */
function shown(value: string): string {
  return /^[\w.:/-]+$/.test(value) ? value : JSON.stringify(value);
}

/** `yes`, `no`, or undefined for a value that is neither (absent is `no`). */
function yesNo(value: string | undefined): boolean | undefined {
  const v = (value ?? '').trim().toLowerCase();
  if (YES.has(v)) return true;
  if (NO.has(v)) return false;
  return undefined;
}

/** True when NODE_ENV names production (`production`, `prod`, any case, surrounding spaces ignored). */
export function isProductionEnv(env: Env = process.env): boolean {
  return PRODUCTION.has((env.NODE_ENV ?? '').trim().toLowerCase());
}

/** Whether FAULTLINE_ALLOW_PRODUCTION says yes; a value that is neither yes nor no is a warning and a no. */
export function productionAllowed(env: Env = process.env): boolean {
  const raw = env.FAULTLINE_ALLOW_PRODUCTION;
  const v = yesNo(raw);
  if (v === undefined) {
    warnOnce(
      `faultline: FAULTLINE_ALLOW_PRODUCTION=${shown(raw!)} is neither yes nor no (1, true, yes, on / 0, false, no, off); failpoints stay refused in production`,
    );
    return false;
  }
  return v;
}

/**
 * Why failpoints are refused in this environment (`NODE_ENV=Production`, as written), or undefined when they
 * are not: production without the allow.
 */
export function productionRefusal(env: Env = process.env): string | undefined {
  if (!isProductionEnv(env) || productionAllowed(env)) return undefined;
  return `NODE_ENV=${shown(env.NODE_ENV!)}`;
}

/** The sentence every production refusal ends with. */
export const ALLOW_HINT = 'set FAULTLINE_ALLOW_PRODUCTION=1 as well to allow failpoints in production';

/**
 * Whether FAULTLINE_FAILPOINTS_OFF switches failpoints off: any yes-spelling does, and so — with a warning —
 * does a value that is neither yes nor no (whoever set it meant something to be off).
 */
export function failpointsOffByEnv(env: Env = process.env): boolean {
  const raw = env.FAULTLINE_FAILPOINTS_OFF;
  const v = yesNo(raw);
  if (v === undefined) {
    warnOnce(
      `faultline: FAULTLINE_FAILPOINTS_OFF=${shown(raw!)} is neither yes nor no (1, true, yes, on / 0, false, no, off); reading it as yes: failpoints are off`,
    );
    return true;
  }
  return v;
}
