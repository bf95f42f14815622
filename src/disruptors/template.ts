/**
 * `{{instance}}`, `{{pid}}`, `{{ports.NAME}}` and, for an instance on a host, `{{host.name}}`, `{{host.address}}`,
 * `{{host.port}}` and `{{host.user}}` in disruptor options, replaced per instance.
 */
import { InvalidOptionError } from '../core/errors.js';
import type { DisruptorInstance } from './types.js';

/** Replaces the placeholders in `text`; an unknown placeholder is an error naming `field`. */
export function expand(text: string, instance: DisruptorInstance, field: string): string {
  return text.replace(/\{\{\s*([\w.-]+)\s*\}\}/g, (whole, key: string) => {
    if (key === 'instance') return instance.id;
    if (key === 'pid' && instance.pid !== undefined) return String(instance.pid);
    if (key.startsWith('ports.')) {
      const port = instance.ports?.[key.slice(6)];
      if (port !== undefined) return String(port);
    }
    const host = hostField(instance, key);
    if (host !== undefined) return host;
    throw new InvalidOptionError(field, `${whole} has no value for instance ${instance.id}`);
  });
}

/** The instance as environment variables for commands. */
export function instanceEnv(instance: DisruptorInstance): Record<string, string> {
  const env: Record<string, string> = { FAULTLINE_INSTANCE: instance.id };
  if (instance.host !== undefined) env.FAULTLINE_HOST = instance.host.name;
  if (instance.pid !== undefined) env.FAULTLINE_PID = String(instance.pid);
  for (const [name, port] of Object.entries(instance.ports ?? {})) {
    env[`FAULTLINE_PORT_${name.toUpperCase().replace(/\W/g, '_')}`] = String(port);
  }
  return env;
}

/** `host.name` → the instance's host's name; undefined for other keys or an instance on no host. */
export function hostField(
  instance: { host?: { [k: string]: unknown } | undefined },
  key: string,
): string | undefined {
  const m = /^host\.(name|address|port|user)$/.exec(key);
  const v = m && instance.host ? instance.host[m[1] as string] : undefined;
  return v === undefined ? undefined : String(v);
}
