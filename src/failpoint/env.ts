/**
 * Switching failpoints on from the environment, once, when faultline is loaded:
 *
 *   FAULTLINE_FAILPOINTS='a.b=50%throw;c=pause'   terms to set at start (all or none: a bad entry sets none)
 *   FAULTLINE_FAILPOINTS_FILE=/path/wrenches      `name=term` lines, applied now and again when the file changes
 *   FAULTLINE_FAILPOINTS_ADDR=127.0.0.1:7070      start the control endpoint (port 0: any free port)
 *   FAULTLINE_FAILPOINTS_TOKEN=...                require this bearer token on the endpoint
 *   FAULTLINE_SEED=42                             seed for percentages, so a run can be replayed
 *   FAULTLINE_FAILPOINTS_OFF=1                    disable failpoints for the life of the process (any yes)
 *   NODE_ENV=production                           refuse all of the above unless FAULTLINE_ALLOW_PRODUCTION=1
 *
 * The switches are read trimmed and case-insensitively, and doubtful values fall on the safe side (switches.ts).
 *
 * Misconfiguration never crashes the host process: each refusal or error is one line on stderr saying what
 * was not done and why.
 */
import { FaultlineError } from '../core/errors.js';
import { type FailpointFileWatcher, watchFailpointFile } from './file.js';
import { parseFailpointsEnv } from './grammar.js';
import { activationRefusal, disableFromEnvironment, failpoints } from './registry.js';
import { type FailpointServer, startFailpointServer } from './server.js';
import { ALLOW_HINT, failpointsOffByEnv, productionRefusal } from './switches.js';

type Env = Record<string, string | undefined>;

/** What applying the environment did; the endpoint promise settles once it listens or is refused. */
export interface FailpointEnvironmentResult {
  set: string[];
  server: Promise<FailpointServer | undefined>;
  /** The FAULTLINE_FAILPOINTS_FILE being followed, if any. */
  file?: FailpointFileWatcher;
}

/**
 * @internal Applies the FAULTLINE_FAILPOINTS* variables. faultline calls it once when it is loaded;
 * `log` receives each line for stderr.
 */
export function applyFailpointEnvironment(
  env: Env = process.env,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): FailpointEnvironmentResult {
  const result: FailpointEnvironmentResult = { set: [], server: Promise.resolve(undefined) };
  const spec = env.FAULTLINE_FAILPOINTS?.trim() ?? '';

  const off = failpointsOffByEnv(env);
  const offSetting = `FAULTLINE_FAILPOINTS_OFF=${(env.FAULTLINE_FAILPOINTS_OFF ?? '').trim()}`;
  if (off) {
    disableFromEnvironment(env.FAULTLINE_FAILPOINTS_OFF);
    if (spec !== '') log(`faultline: ignoring FAULTLINE_FAILPOINTS: ${offSetting} disables failpoints`);
  }

  const seed = env.FAULTLINE_SEED?.trim();
  if (seed !== undefined && seed !== '') {
    try {
      failpoints.seed(seed);
    } catch (err) {
      log(`faultline: ignoring FAULTLINE_SEED: ${(err as Error).message}`);
    }
  }

  if (spec !== '' && !off) {
    try {
      const entries = parseFailpointsEnv(spec);
      const refused = entries.length > 0 ? activationRefusal(entries[0]!.name) : undefined;
      if (refused?.code === 'FAULTLINE_FAILPOINTS_PRODUCTION') {
        log(
          `faultline: refusing to activate FAULTLINE_FAILPOINTS: ${productionRefusal() ?? 'NODE_ENV=production'}; ${ALLOW_HINT}`,
        );
      } else {
        // the code these names live in has usually not been loaded yet: no unknown-name warning at start
        for (const { name, spec: term } of entries) {
          failpoints.set(name, term, { allowUnknown: true });
          result.set.push(name);
        }
      }
    } catch (err) {
      log(`faultline: FAULTLINE_FAILPOINTS not applied: ${(err as Error).message}`);
    }
  }

  const file = env.FAULTLINE_FAILPOINTS_FILE?.trim();
  if (file !== undefined && file !== '') {
    const production = productionRefusal();
    if (off) log(`faultline: ignoring FAULTLINE_FAILPOINTS_FILE: ${offSetting} disables failpoints`);
    else if (production !== undefined) {
      log(`faultline: refusing to read FAULTLINE_FAILPOINTS_FILE: ${production}; ${ALLOW_HINT}`);
    } else result.file = watchFailpointFile(file, { log });
  }

  const addr = env.FAULTLINE_FAILPOINTS_ADDR?.trim();
  if (addr !== undefined && addr !== '') {
    result.server = startFailpointServer({ address: addr, token: env.FAULTLINE_FAILPOINTS_TOKEN ?? '' }).then(
      (server) => {
        log(`faultline: failpoint endpoint listening on ${server.url}`);
        return server;
      },
      (err: unknown) => {
        const message = err instanceof FaultlineError || err instanceof Error ? err.message : String(err);
        log(`faultline: failpoint endpoint not started: ${message}`);
        return undefined;
      },
    );
  }
  return result;
}
