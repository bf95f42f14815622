/**
 * A starter experiment for a user's own service: the few dozen lines `faultline init` writes, so a first
 * experiment is an edit of a working file rather than a page of documentation.
 *
 * With a command, faultline starts the service itself and the fault pauses it (SIGSTOP for a few seconds): every
 * service has a process, and whether it comes back is the first thing worth knowing. With a URL only, faultline
 * cannot touch the process, so a faultline proxy is started in front of the service and the fault is latency
 * on that link. Either way the file validates as written.
 */
import { InvalidOptionError } from '../core/errors.js';

export interface StarterOptions {
  /** The service's URL: load goes to it (or to the proxy in front of it) and a monitor watches it. */
  url: string;
  /** The shell command that starts the service; without it the service is already running. */
  command?: string;
  /** Client requests per second (default 20). */
  rate?: number;
  /** How long the method runs, in seconds (default 30). */
  durationSeconds?: number;
}

interface ServiceUrl {
  origin: string;
  host: string;
  port: number;
  /** Path and query, at least `/`. */
  path: string;
}

function parseServiceUrl(raw: string): ServiceUrl {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new InvalidOptionError(
      '--url',
      `'${raw}' is not a URL (expected e.g. http://127.0.0.1:8080/health)`,
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new InvalidOptionError('--url', `must be an http:// or https:// URL, got '${u.protocol}'`);
  }
  const port = u.port === '' ? (u.protocol === 'https:' ? 443 : 80) : Number(u.port);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return { origin: u.origin, host, port, path: `${u.pathname}${u.search}` || '/' };
}

function positive(value: number | undefined, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw new InvalidOptionError(field, `must be a positive number, got ${value}`);
  return value;
}

/** Seconds of method left after the fault: recovery counts after 5 healthy seconds, plus a margin. */
const RECOVERY_ROOM_S = 6;

/** YAML double-quoted scalar: JSON strings are valid ones. */
const q = (s: string): string => JSON.stringify(s);

/** The experiment file's text. Throws `InvalidOptionError` (field `--url`, `--rate`, `--duration`) on bad options. */
export function starterExperiment(options: StarterOptions): string {
  const url = parseServiceUrl(options.url);
  const rate = positive(options.rate, '--rate', 20);
  const duration = positive(options.durationSeconds, '--duration', 30);
  if (options.command !== undefined && options.command.trim() === '') {
    throw new InvalidOptionError('--command', 'must not be empty');
  }
  // time_to_recover is seen only after 5 healthy seconds inside the method: leave room after the fault.
  const faultFor = Math.max(1, Math.min(5, Math.round(duration / 6)));
  const faultAt = Math.min(Math.max(1, Math.round(duration / 4)), duration - faultFor - RECOVERY_ROOM_S);
  if (faultAt < 1) {
    throw new InvalidOptionError(
      '--duration',
      `must be at least ${1 + 1 + RECOVERY_ROOM_S}s, so that recovery after the fault can be seen`,
    );
  }
  const header = [
    '# yaml-language-server: $schema=./node_modules/faultline/schema/experiment.schema.json',
    '# A starter experiment: edit it, then `faultline validate` it, `faultline run --dry-run` it and run it.',
    '# Every field is described in docs/experiments.md.',
  ];
  const common = [
    `seed: 1`,
    `warmup: ${Math.min(5, Math.max(1, Math.round(duration / 6)))}s`,
    `duration: ${duration}s`,
    '',
  ];
  const monitorAndSteady = [
    'monitors:',
    '  service:',
    '    type: http',
    `    url: ${q(`${url.origin}${url.path}`)}`,
    '    every: 500ms',
    '',
    '# Checked before the fault and again after it: the service must answer within `within`.',
    'steady_state:',
    '  within: 30s',
    '  probes:',
    '    - monitor: service',
    '',
  ];
  const hypothesis = [
    'hypothesis:',
    '  - { kpi: error_rate, phase: before, below: 1% }',
    '  - { kpi: error_rate, phase: after, below: 1% }',
    '  - { kpi: time_to_recover, below: 15s }',
    '',
    '# Give up early (verdict aborted, everything rolled back) if nearly every request fails for 10 s.',
    'abort_when:',
    '  - { kpi: error_rate, above: 90%, for: 10s }',
  ];
  if (options.command !== undefined) {
    return [
      ...header,
      `title: ${q(`The service comes back after being paused for ${faultFor} s`)}`,
      ...common,
      'targets:',
      '  service:',
      '    type: process',
      `    command: ${q(options.command)}`,
      `    ready: { type: http, url: ${q(`${url.origin}${url.path}`)}, within: 30s }`,
      '',
      ...monitorAndSteady,
      'load:',
      '  - name: clients',
      '    type: http',
      `    url: ${q(`${url.origin}${url.path}`)}`,
      `    rate: ${rate}/s`,
      '    timeout: 5s',
      '',
      'faults:',
      '  - name: pause-the-service',
      '    disruptor: process.pause     # SIGSTOP now, SIGCONT when the duration is up',
      '    target: service',
      `    at: ${faultAt}s`,
      `    duration: ${faultFor}s`,
      '',
      ...hypothesis,
      '',
    ].join('\n');
  }
  const upstream = `${url.host.includes(':') ? `[${url.host}]` : url.host}:${url.port}`;
  const scheme = url.origin.startsWith('https:') ? 'https' : 'http';
  return [
    ...header,
    `title: ${q('The service answers through 300 ms of added latency and recovers after it')}`,
    ...common,
    '# faultline cannot touch a process it did not start, so a faultline proxy in front of the service is the',
    '# place the fault goes: load goes through it, the monitor watches the service itself.',
    'targets:',
    '  proxy:',
    '    type: process',
    '    command: >-',
    '      {{faultline}} proxy --port {{ports.api}} --seed 1',
    `      --proxy service=127.0.0.1:{{ports.listen}}=${upstream}`,
    '    ports: { api: 0, listen: 0 }',
    '    ready: { type: http, url: "http://127.0.0.1:{{ports.api}}/version", within: 60s }',
    '',
    ...monitorAndSteady,
    'load:',
    '  - name: clients',
    '    type: http',
    `    url: ${q(`${scheme}://127.0.0.1:{{targets.proxy.ports.listen}}${url.path}`)}`,
    `    rate: ${rate}/s`,
    '    timeout: 5s',
    '',
    'faults:',
    '  - name: slow-link',
    '    disruptor: proxy.toxic',
    '    target: proxy',
    `    at: ${faultAt}s`,
    `    duration: ${faultFor}s`,
    '    with:',
    '      api: "http://127.0.0.1:{{ports.api}}"',
    '      proxy: service',
    '      toxic: latency',
    '      attributes: { latency: 300, jitter: 50 }',
    '',
    ...hypothesis,
    '',
  ].join('\n');
}
