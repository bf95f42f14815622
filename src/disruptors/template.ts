/** `{{instance}}`, `{{pid}}` and `{{ports.NAME}}` in disruptor options, replaced per instance. */
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
    throw new InvalidOptionError(field, `${whole} has no value for instance ${instance.id}`);
  });
}

/** The instance as environment variables for commands. */
export function instanceEnv(instance: DisruptorInstance): Record<string, string> {
  const env: Record<string, string> = { FAULTLINE_INSTANCE: instance.id };
  if (instance.pid !== undefined) env.FAULTLINE_PID = String(instance.pid);
  for (const [name, port] of Object.entries(instance.ports ?? {})) {
    env[`FAULTLINE_PORT_${name.toUpperCase().replace(/\W/g, '_')}`] = String(port);
  }
  return env;
}
